"""last used: when an API client's token and a calendar feed's address were last used

- ``api_client.last_used_at`` and ``calendar_feed.last_used_at`` (UTC; NULL: never), written at
  most once a minute per token (services.integrations), shown on the admin pages.
- The triggers that bump the "api_clients" revision (0006) now fire on changes to what a token
  opens, not on ``last_used_at``: every process remembers checked tokens for as long as that
  revision stands, and noting a use must not make them all check again. They are listed by
  column (``UPDATE OF ...``): a column added to api_client later that decides what a token
  opens must be added to TRACKED below in its own migration.

Revision ID: 0019_last_used
Revises: 0018_routing_words
"""

from alembic import op
import sqlalchemy as sa

revision = "0019_last_used"
down_revision = "0018_routing_words"
branch_labels = None
depends_on = None

# Every column of api_client but last_used_at.
TRACKED = "id, name, token_hash, scopes, active, created_at, revoked_at, created_by_id"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _bump_on(update: str) -> None:
    """(Re)create 0006's triggers, firing on UPDATE ``update`` ("UPDATE" or "UPDATE OF ...")."""
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS api_client_bumps_api_clients ON api_client")
        # bump_revision() is 0002's: statement-level, one bump per statement.
        op.execute(
            f"CREATE TRIGGER api_client_bumps_api_clients AFTER INSERT OR {update} OR DELETE OR TRUNCATE "
            "ON api_client FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('api_clients')"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS api_client_update_bumps_api_clients")
        op.execute(
            f"CREATE TRIGGER api_client_update_bumps_api_clients AFTER {update} ON api_client "
            "BEGIN UPDATE revision SET value = value + 1 WHERE name = 'api_clients'; END"
        )


def upgrade():
    # Plain ADD COLUMN (no table rebuild on SQLite, which would drop api_client's triggers).
    op.add_column("api_client", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("calendar_feed", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    _bump_on(f"UPDATE OF {TRACKED}")


def downgrade():
    _bump_on("UPDATE")
    # SQLite (3.35 and later) drops a plain column in place, keeping the table's triggers.
    op.drop_column("calendar_feed", "last_used_at")
    op.drop_column("api_client", "last_used_at")
