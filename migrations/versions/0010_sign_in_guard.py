"""sign-in guard: failed sign-ins counted per account and client address

- ``sign_in_guard``: one row per (account, client) with that client's run of wrong passwords; it
  replaces ``staff_account.failed_logins``/``last_failed_at``, which counted per account only and
  so let anyone lock a named colleague out. Runs in progress are not carried over (they are at
  most 15 minutes of waiting).
- ``refusal_tally``: refusals of unidentified callers counted per minute, client, action and
  subject, instead of one permanent audit row per refusal.

Revision ID: 0010_sign_in_guard
Revises: 0009_clinic_details
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_sign_in_guard'
down_revision = '0009_clinic_details'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_guard',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['staff_account.id'], ondelete='CASCADE',
                                name=op.f('fk_sign_in_guard_account_id_staff_account')),
        sa.PrimaryKeyConstraint('account_id', 'client', name=op.f('pk_sign_in_guard')),
    )
    op.create_table(
        'refusal_tally',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refusal_tally')),
        sa.UniqueConstraint('minute', 'client', 'action', 'subject', name=op.f('uq_refusal_tally_minute')),
    )
    # SQLite (3.35 and later) drops a plain column in place: no copy of a table others refer to.
    op.drop_column('staff_account', 'last_failed_at')
    op.drop_column('staff_account', 'failed_logins')


def downgrade():
    op.add_column('staff_account',
                  sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('staff_account', sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_table('refusal_tally')
    op.drop_table('sign_in_guard')
