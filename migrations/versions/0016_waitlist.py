"""the waitlist: entries, freed times, offers held for a batch, and their messages

- ``visit_type.waitlist_notice_minutes`` (NULL: the clinic's MIN_NOTICE_MINUTES; 72 hours for
  injections and neurotomies, 2 hours for therapy), ``waitlist_batch_size`` (3) and
  ``waitlist_hold_minutes`` (30): the waitlist's rules per visit type, as data.
- ``waitlist_entry``: a patient waiting for an earlier time, with their windows.
- ``freed_time``: a time that became free, recorded with the change that freed it; the worker
  offers it and marks it handled.
- ``waitlist_offer`` and ``waitlist_recipient``: a freed time held (by a hold row, under the
  reservations' guarantee) for a batch of entries, each with a claim token kept only as a hash.
- ``outbox_message.waitlist_entry_id`` / ``waitlist_offer_id``: waitlist messages; a row is about
  exactly one of an appointment, a request or a waitlist entry.

Revision ID: 0016_waitlist
Revises: 0015_patient_requests
"""
from alembic import op
import sqlalchemy as sa

revision = '0016_waitlist'
down_revision = '0015_patient_requests'
branch_labels = None
depends_on = None

ABOUT_ONE_THING = (
    "(CASE WHEN appointment_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) "
    "+ (CASE WHEN waitlist_entry_id IS NULL THEN 0 ELSE 1 END) = 1"
)
OLD_ABOUT_ONE_THING = '(appointment_id IS NULL) <> (request_id IS NULL)'
NOTICE_MINUTES = {"injection": 72 * 60, "neurotomy": 72 * 60, "therapy": 120}


def upgrade():
    # Plain ADD COLUMN: rebuilding visit_type on SQLite would drop its revision triggers.
    op.add_column('visit_type', sa.Column('waitlist_notice_minutes', sa.Integer(), nullable=True))
    op.add_column('visit_type', sa.Column('waitlist_batch_size', sa.Integer(), nullable=False, server_default='3'))
    op.add_column('visit_type', sa.Column('waitlist_hold_minutes', sa.Integer(), nullable=False, server_default='30'))
    for code, minutes in NOTICE_MINUTES.items():
        op.execute(sa.text("UPDATE visit_type SET waitlist_notice_minutes = :m WHERE code = :c").bindparams(
            m=minutes, c=code))

    op.create_table(
        'waitlist_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('visit_type_id', sa.Integer(), nullable=False),
        sa.Column('provider_ids', sa.JSON(), nullable=False),
        sa.Column('earliest', sa.Date(), nullable=True),
        sa.Column('latest', sa.Date(), nullable=True),
        sa.Column('weekdays', sa.JSON(), nullable=False),
        sa.Column('parts_of_day', sa.JSON(), nullable=False),
        sa.Column('replaces_appointment_id', sa.Integer(), nullable=True),
        sa.Column('priority', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('manage_nonce', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'booked', 'left', 'expired')",
                           name=op.f('ck_waitlist_entry_status_known')),
        sa.CheckConstraint("priority IN ('urgent', 'routine')", name=op.f('ck_waitlist_entry_priority_known')),
        sa.CheckConstraint('earliest IS NULL OR latest IS NULL OR earliest <= latest',
                           name=op.f('ck_waitlist_entry_earliest_before_latest')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_waitlist_entry_patient_id_patient')),
        sa.ForeignKeyConstraint(['visit_type_id'], ['visit_type.id'],
                                name=op.f('fk_waitlist_entry_visit_type_id_visit_type')),
        sa.ForeignKeyConstraint(['replaces_appointment_id'], ['appointment.id'],
                                name=op.f('fk_waitlist_entry_replaces_appointment_id_appointment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entry')),
        sa.UniqueConstraint('reference', name=op.f('uq_waitlist_entry_reference')),
    )
    op.create_index(op.f('ix_waitlist_entry_patient_id'), 'waitlist_entry', ['patient_id'])
    op.create_index(op.f('ix_waitlist_entry_expires_at'), 'waitlist_entry', ['expires_at'])
    op.create_index('ix_waitlist_entry_waiting', 'waitlist_entry', ['visit_type_id', 'status', 'created_at'])

    op.create_table(
        'freed_time',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_type_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cause', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_freed_time_starts_before_ends')),
        sa.CheckConstraint("cause IN ('cancelled', 'moved', 'hold-expired', 'offer-expired', 'staff')",
                           name=op.f('ck_freed_time_cause_known')),
        sa.ForeignKeyConstraint(['visit_type_id'], ['visit_type.id'],
                                name=op.f('fk_freed_time_visit_type_id_visit_type')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_freed_time_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_freed_time')),
    )
    op.create_index('ix_freed_time_unhandled', 'freed_time', ['created_at'],
                    postgresql_where=sa.text('handled_at IS NULL'), sqlite_where=sa.text('handled_at IS NULL'))

    op.create_table(
        'waitlist_offer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_type_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('hold_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_entry_id', sa.Integer(), nullable=True),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_waitlist_offer_starts_before_ends')),
        sa.CheckConstraint("status IN ('open', 'claimed', 'expired')", name=op.f('ck_waitlist_offer_status_known')),
        sa.ForeignKeyConstraint(['visit_type_id'], ['visit_type.id'],
                                name=op.f('fk_waitlist_offer_visit_type_id_visit_type')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_waitlist_offer_provider_id_provider')),
        sa.ForeignKeyConstraint(['hold_id'], ['hold.id'], name=op.f('fk_waitlist_offer_hold_id_hold'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['claimed_entry_id'], ['waitlist_entry.id'],
                                name=op.f('fk_waitlist_offer_claimed_entry_id_waitlist_entry')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name=op.f('fk_waitlist_offer_appointment_id_appointment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offer')),
    )
    op.create_index('ix_waitlist_offer_open', 'waitlist_offer', ['status', 'expires_at'])
    op.create_index('ix_waitlist_offer_time', 'waitlist_offer', ['provider_id', 'starts_at'])

    op.create_table(
        'waitlist_recipient',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('offered', 'claimed', 'taken', 'expired')",
                           name=op.f('ck_waitlist_recipient_outcome_known')),
        sa.ForeignKeyConstraint(['offer_id'], ['waitlist_offer.id'],
                                name=op.f('fk_waitlist_recipient_offer_id_waitlist_offer'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entry.id'],
                                name=op.f('fk_waitlist_recipient_entry_id_waitlist_entry')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_waitlist_recipient_patient_id_patient')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_recipient')),
        sa.UniqueConstraint('offer_id', 'entry_id', name=op.f('uq_waitlist_recipient_offer_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_waitlist_recipient_token_hash')),
    )
    op.create_index(op.f('ix_waitlist_recipient_entry_id'), 'waitlist_recipient', ['entry_id'])
    op.create_index('ix_waitlist_recipient_patient_offered', 'waitlist_recipient', ['patient_id', 'offered_at'])

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waitlist_offer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_waitlist_entry_id_waitlist_entry'),
                                    'waitlist_entry', ['waitlist_entry_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_waitlist_offer_id_waitlist_offer'),
                                    'waitlist_offer', ['waitlist_offer_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_outbox_message_waitlist_entry_id'), ['waitlist_entry_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_about_one_thing'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_about_one_thing'), ABOUT_ONE_THING)


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE waitlist_entry_id IS NOT NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_about_one_thing'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_about_one_thing'), OLD_ABOUT_ONE_THING)
        batch_op.drop_index(batch_op.f('ix_outbox_message_waitlist_entry_id'))
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_waitlist_offer_id_waitlist_offer'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_waitlist_entry_id_waitlist_entry'), type_='foreignkey')
        batch_op.drop_column('waitlist_offer_id')
        batch_op.drop_column('waitlist_entry_id')
    op.drop_index('ix_waitlist_recipient_patient_offered', table_name='waitlist_recipient')
    op.drop_index(op.f('ix_waitlist_recipient_entry_id'), table_name='waitlist_recipient')
    op.drop_table('waitlist_recipient')
    op.drop_index('ix_waitlist_offer_time', table_name='waitlist_offer')
    op.drop_index('ix_waitlist_offer_open', table_name='waitlist_offer')
    op.drop_table('waitlist_offer')
    op.drop_index('ix_freed_time_unhandled', table_name='freed_time')
    op.drop_table('freed_time')
    op.drop_index('ix_waitlist_entry_waiting', table_name='waitlist_entry')
    op.drop_index(op.f('ix_waitlist_entry_expires_at'), table_name='waitlist_entry')
    op.drop_index(op.f('ix_waitlist_entry_patient_id'), table_name='waitlist_entry')
    op.drop_table('waitlist_entry')
    # SQLite (3.35 and later) drops a plain column in place.
    op.drop_column('visit_type', 'waitlist_hold_minutes')
    op.drop_column('visit_type', 'waitlist_batch_size')
    op.drop_column('visit_type', 'waitlist_notice_minutes')
