"""urgent patients: call-back targets, urgency and intake answers on visits, urgent-only blocks

- ``visit_request.call_back_by``: when an urgent request must have been called back (two clinic
  hours, or the first hour of the next open day); the queue counts down to it.
- ``appointment.urgent`` and ``appointment.intake``: what the patient answered (cause, red flags,
  referral) and whether it was urgent, so staff see it on the visit, the calendar and the day list.
  ``intake`` is JSON text (written by the booking's one INSERT, read by the store).
- ``urgent_block`` and ``provider.urgent_release_hours``: weekly blocks a physician keeps for
  urgent patients, released to everyone that many hours before they start.

Revision ID: 0011_urgent_patients
Revises: 0010_sign_in_guard
"""
from alembic import op
import sqlalchemy as sa

revision = '0011_urgent_patients'
down_revision = '0010_sign_in_guard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_back_by", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("intake", sa.Text(), nullable=True))
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent_release_hours", sa.Integer(), nullable=False, server_default="24"))
        batch_op.create_check_constraint(
            op.f("ck_provider_urgent_release_hours_range"), "urgent_release_hours BETWEEN 0 AND 168"
        )
    op.create_table(
        "urgent_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_urgent_block_weekday_range")),
        sa.CheckConstraint("starts < ends", name=op.f("ck_urgent_block_starts_before_ends")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_urgent_block_provider_id_provider"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_block")),
    )
    op.create_index(op.f("ix_urgent_block_provider_id"), "urgent_block", ["provider_id"])
    # Kept times change what is offered: the catalog counter counts them (0002).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER urgent_block_bumps_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON urgent_block FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('catalog')"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER urgent_block_{event.lower()}_bumps_catalog AFTER {event} ON urgent_block "
                "BEGIN UPDATE revision SET value = value + 1 WHERE name = 'catalog'; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS urgent_block_bumps_catalog ON urgent_block")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS urgent_block_{event}_bumps_catalog")
    op.drop_index(op.f("ix_urgent_block_provider_id"), table_name="urgent_block")
    op.drop_table("urgent_block")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_provider_urgent_release_hours_range"), type_="check")
        batch_op.drop_column("urgent_release_hours")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("intake")
        batch_op.drop_column("urgent")
    with op.batch_alter_table("visit_request", schema=None) as batch_op:
        batch_op.drop_column("call_back_by")
