"""schedule changes: provider hours with an effective-from date, and visits kept as exceptions

- ``provider_hours.effective_from``: NULL for the pattern in effect now; a date for the blocks of a
  new pattern that takes over on that day (a physician moving to mornings from next month).
- ``appointment.kept_outside_hours``: a person decided to keep this visit although a schedule
  change left it outside its provider's hours or on a closure; it is flagged on the calendar and
  not listed among the visits needing attention.

Revision ID: 0012_schedule_changes
Revises: 0011_urgent_patients
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_schedule_changes'
down_revision = '0011_urgent_patients'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("provider_hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_from", sa.Date(), nullable=True))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kept_outside_hours", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("kept_outside_hours")
    with op.batch_alter_table("provider_hours", schema=None) as batch_op:
        batch_op.drop_column("effective_from")
