"""hold limits and idempotent bookings

- ``hold.client_key``: a hash of who asked for a hold (a patient's address, an integration), so
  live holds can be counted per client in the database, across workers and hosts. Holds taken
  before this have none (they expire within minutes).
- ``hold_history``: the times a client has held, kept after the hold goes, so that holding the
  same time again does not renew it.
- ``idempotency_record``: the first answer to a booking sent with an ``Idempotency-Key`` (kept
  24 hours), returned again to a retry with the same key.

Revision ID: 0013_hold_limits
Revises: 0012_schedule_changes
"""
from alembic import op
import sqlalchemy as sa

revision = '0013_hold_limits'
down_revision = '0012_schedule_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('hold', sa.Column('client_key', sa.String(length=64), nullable=True))
    op.create_index('ix_hold_client_key_expires_at', 'hold', ['client_key', 'expires_at'], unique=False)
    op.create_table(
        'hold_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_key', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('first_held_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('forget_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hold_history')),
        sa.UniqueConstraint('client_key', 'starts_at', name=op.f('uq_hold_history_client_key')),
    )
    op.create_index(op.f('ix_hold_history_forget_at'), 'hold_history', ['forget_at'], unique=False)
    op.create_table(
        'idempotency_record',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('location', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_idempotency_record_key_hash')),
    )
    op.create_index(op.f('ix_idempotency_record_created_at'), 'idempotency_record', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_idempotency_record_created_at'), table_name='idempotency_record')
    op.drop_table('idempotency_record')
    op.drop_index(op.f('ix_hold_history_forget_at'), table_name='hold_history')
    op.drop_table('hold_history')
    op.drop_index('ix_hold_client_key_expires_at', table_name='hold')
    # SQLite (3.35 and later) drops a plain column in place.
    op.drop_column('hold', 'client_key')
