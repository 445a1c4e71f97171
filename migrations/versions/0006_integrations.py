"""integrations: API clients for the FHIR API, and staff members' iCalendar feeds

Both keep only a SHA-256 of their secret token (shown once, when made); revoking keeps the row,
so audit events that name an API client keep their meaning. Any change to api_client bumps the
"api_clients" revision counter (as 0002's triggers do for bookings and the catalog), so each
process may remember which tokens it has checked for exactly as long as nothing has changed: a
revoked token is refused from the next call, whichever process answers it.

Revision ID: 0006_integrations
Revises: 0005_staff
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_integrations'
down_revision = '0005_staff'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_client',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=20), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("scopes IN ('read', 'book', 'read book')", name=op.f('ck_api_client_scopes_known')),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_account.id'],
                                name=op.f('fk_api_client_created_by_id_staff_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_client_token_hash')),
    )

    op.create_table(
        'calendar_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=12), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=True),
        sa.Column('specialty_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('provider', 'specialty')", name=op.f('ck_calendar_feed_scope_known')),
        sa.CheckConstraint(
            "(scope = 'provider' AND provider_id IS NOT NULL AND specialty_id IS NULL) OR "
            "(scope = 'specialty' AND specialty_id IS NOT NULL AND provider_id IS NULL)",
            name=op.f('ck_calendar_feed_scope_target'),
        ),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_calendar_feed_staff_id_staff_account')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_calendar_feed_provider_id_provider')),
        sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'],
                                name=op.f('fk_calendar_feed_specialty_id_specialty')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash')),
    )
    op.create_index(op.f('ix_calendar_feed_staff_id'), 'calendar_feed', ['staff_id'], unique=False)

    op.execute("INSERT INTO revision (name, value) VALUES ('api_clients', 0)")
    if op.get_bind().dialect.name == 'postgresql':
        # bump_revision() is 0002's: statement-level, one bump per statement.
        op.execute(
            "CREATE TRIGGER api_client_bumps_api_clients AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON api_client FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('api_clients')"
        )
    else:
        for event in ('INSERT', 'UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER api_client_{event.lower()}_bumps_api_clients AFTER {event} ON api_client "
                "BEGIN UPDATE revision SET value = value + 1 WHERE name = 'api_clients'; END"
            )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS api_client_bumps_api_clients ON api_client")
    else:
        for event in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS api_client_{event}_bumps_api_clients")
    op.execute("DELETE FROM revision WHERE name = 'api_clients'")
    op.drop_index(op.f('ix_calendar_feed_staff_id'), table_name='calendar_feed')
    op.drop_table('calendar_feed')
    op.drop_table('api_client')
