"""holds: a chosen time kept for a patient while they finish, and appointment versions

A hold reserves the provider and room with the same reservation rows (and so the same
no-overlap guarantee) as a booked visit; its rows go when the hold is used or expires. An
appointment's version counts its changes (the iCalendar SEQUENCE and the message version).

Revision ID: 0004_holds
Revises: 0003_outbox
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_holds'
down_revision = '0003_outbox'
branch_labels = None
depends_on = None


def _sqlite_reservation_triggers():
    # Rebuilding the table on SQLite (batch mode) drops its triggers: put back the ones
    # 0002_schedule_revisions made, so the bookings counter still sees every change.
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS reservation_{event.lower()}_bumps_bookings AFTER {event} ON reservation "
            "BEGIN UPDATE revision SET value = value + 1 WHERE name = 'bookings'; END"
        )


def upgrade():
    op.create_table(
        'hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('visit_type_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_hold_starts_before_ends')),
        sa.ForeignKeyConstraint(['visit_type_id'], ['visit_type.id'], name=op.f('fk_hold_visit_type_id_visit_type')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_hold_provider_id_provider')),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_hold_room_id_room')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hold')),
        sa.UniqueConstraint('token', name=op.f('uq_hold_token')),
    )
    op.create_index(op.f('ix_hold_expires_at'), 'hold', ['expires_at'], unique=False)

    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.alter_column('appointment_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('hold_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reservation_hold_id_hold'), 'hold', ['hold_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_reservation_hold_id'), ['hold_id'], unique=False)
        batch_op.create_check_constraint('for_one_thing', '(appointment_id IS NULL) <> (hold_id IS NULL)')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_reservation_triggers()

    # A plain ADD COLUMN: rebuilding appointment on SQLite would cascade-delete its reservations.
    op.add_column('appointment', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    op.execute("ALTER TABLE appointment DROP COLUMN version")
    op.execute("DELETE FROM reservation WHERE hold_id IS NOT NULL")
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reservation_for_one_thing'), type_='check')
        batch_op.drop_index(batch_op.f('ix_reservation_hold_id'))
        batch_op.drop_constraint(batch_op.f('fk_reservation_hold_id_hold'), type_='foreignkey')
        batch_op.drop_column('hold_id')
        batch_op.alter_column('appointment_id', existing_type=sa.Integer(), nullable=False)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_reservation_triggers()
    op.drop_index(op.f('ix_hold_expires_at'), table_name='hold')
    op.drop_table('hold')
