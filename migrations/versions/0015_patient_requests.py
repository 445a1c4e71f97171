"""requests the patient can see

- ``visit_request.status`` may be ``withdrawn`` (the patient withdrew it through their request
  link); ``cancelled``, which no code ever wrote, is gone (any such row becomes ``withdrawn``).
- ``visit_request.manage_nonce``: part of the request page's signed token, as on appointments.
  Requests made before have none (their links are signed with an empty nonce).
- ``visit_request.decline_reason``: why a scheduler declined it (a DECLINE_REASONS key), shown to
  the patient on the request page.

Revision ID: 0015_patient_requests
Revises: 0014_patient_identity
"""
from alembic import op
import sqlalchemy as sa

revision = '0015_patient_requests'
down_revision = '0014_patient_identity'
branch_labels = None
depends_on = None

NEW_STATUSES = "status IN ('open', 'placed', 'declined', 'withdrawn')"
OLD_STATUSES = "status IN ('open', 'placed', 'declined', 'cancelled')"


def upgrade():
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_visit_request_status_known'), type_='check')
    op.execute("UPDATE visit_request SET status = 'withdrawn' WHERE status = 'cancelled'")
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_visit_request_status_known'), NEW_STATUSES)
        batch_op.add_column(sa.Column('manage_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('manage_nonce')
        batch_op.drop_constraint(batch_op.f('ck_visit_request_status_known'), type_='check')
    op.execute("UPDATE visit_request SET status = 'cancelled' WHERE status = 'withdrawn'")
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_visit_request_status_known'), OLD_STATUSES)
