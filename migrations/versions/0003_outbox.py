"""outbox: messages written in the same transaction as the change that causes them

Revision ID: 0003_outbox
Revises: 0002_schedule_revisions
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_outbox'
down_revision = '0002_schedule_revisions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('provider_message_id', sa.String(length=200), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'dead', 'withdrawn')",
                           name=op.f('ck_outbox_message_status_known')),
        sa.CheckConstraint('(appointment_id IS NULL) <> (request_id IS NULL)',
                           name=op.f('ck_outbox_message_about_one_thing')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name=op.f('fk_outbox_message_appointment_id_appointment')),
        sa.ForeignKeyConstraint(['request_id'], ['visit_request.id'],
                                name=op.f('fk_outbox_message_request_id_visit_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key')),
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_outbox_message_due', ['send_after'], unique=False,
                              postgresql_where=sa.text("status = 'queued'"),
                              sqlite_where=sa.text("status = 'queued'"))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_due')
        batch_op.drop_index(batch_op.f('ix_outbox_message_request_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_appointment_id'))
    op.drop_table('outbox_message')
