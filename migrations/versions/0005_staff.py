"""staff: staff accounts for signing in, and an append-only audit trail

Audit rows can be added and read, never changed or removed: a trigger refuses UPDATE and DELETE
(and TRUNCATE on PostgreSQL) so a bug or a careless query cannot rewrite the trail. Production
should also grant the application's role only INSERT and SELECT on audit_event.

Revision ID: 0005_staff
Revises: 0004_holds
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_staff'
down_revision = '0004_holds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'scheduler', 'phone')", name=op.f('ck_staff_account_role_known')),
        sa.CheckConstraint('username = lower(username)', name=op.f('ck_staff_account_username_lower_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_account')),
        sa.UniqueConstraint('username', name=op.f('uq_staff_account_username')),
    )

    op.create_table(
        'audit_event',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_kind', sa.String(length=10), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('record_type', sa.String(length=40), nullable=False),
        sa.Column('record_id', sa.String(length=64), nullable=True),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=False),
        sa.CheckConstraint("actor_kind IN ('staff', 'patient', 'system', 'api')",
                           name=op.f('ck_audit_event_actor_kind_known')),
        sa.CheckConstraint("channel IN ('web', 'phone', 'api', 'system')", name=op.f('ck_audit_event_channel_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    op.create_index(op.f('ix_audit_event_at'), 'audit_event', ['at'], unique=False)
    op.create_index(op.f('ix_audit_event_patient_id'), 'audit_event', ['patient_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {event} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    op.drop_index(op.f('ix_audit_event_patient_id'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_at'), table_name='audit_event')
    op.drop_table('audit_event')
    op.drop_table('staff_account')
