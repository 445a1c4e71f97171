"""routing words: the seeded rules' reasons no longer say "{visit_type} visits"

The default rule "visit-type-specialty" (and the code's fallback) said "{visit_type} visits are
with {specialty}.", which a visit type named "Follow-up visit" turned into "Follow-up visit visits
are with ...". New databases are seeded with "This visit is with {specialty}."; this brings the
rules of databases seeded before to the same words. A reason an admin has since reworded is left
as it is (only the old default text is replaced).

Revision ID: 0018_routing_words
Revises: 0017_patient_record
"""

from alembic import op
import sqlalchemy as sa

revision = "0018_routing_words"
down_revision = "0017_patient_record"
branch_labels = None
depends_on = None

OLD = "{visit_type} visits are with {specialty}."
NEW = "This visit is with {specialty}."


def _reword(before: str, after: str) -> None:
    op.execute(
        sa.text("UPDATE routing_rule SET reason = :after WHERE reason = :before").bindparams(before=before, after=after)
    )


def upgrade():
    _reword(OLD, NEW)


def downgrade():
    _reword(NEW, OLD)
