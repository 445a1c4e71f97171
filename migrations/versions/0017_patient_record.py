"""the patient record: what helps the clinic talk to the patient

- ``patient.interpreter_language``: the language an interpreter is needed for (empty: none
  recorded), and ``patient.access_needs``: access needs in the patient's words (a wheelchair,
  hearing loss...). Both shown as flags on the staff patient record and edited there (audited).

Revision ID: 0017_patient_record
Revises: 0016_waitlist
"""

from alembic import op
import sqlalchemy as sa

revision = "0017_patient_record"
down_revision = "0016_waitlist"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table rebuild on SQLite).
    op.add_column("patient", sa.Column("interpreter_language", sa.String(length=60), nullable=False, server_default=""))
    op.add_column("patient", sa.Column("access_needs", sa.String(length=300), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("access_needs")
        batch_op.drop_column("interpreter_language")
