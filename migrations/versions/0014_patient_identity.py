"""patient and provider identity

- ``patient.mrn``: the medical record number an integration knows the patient by (its system is
  the setting PATIENT_MRN_SYSTEM); unique, so a booking by MRN finds one patient. Patients
  booked before (or through the public pages) have none.
- ``provider.npi``: the provider's National Provider Identifier, when the clinic records it.

Revision ID: 0014_patient_identity
Revises: 0013_hold_limits
"""
from alembic import op
import sqlalchemy as sa

revision = '0014_patient_identity'
down_revision = '0013_hold_limits'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mrn', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_patient_mrn'), ['mrn'])
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('npi', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.drop_column('npi')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_patient_mrn'), type_='unique')
        batch_op.drop_column('mrn')
