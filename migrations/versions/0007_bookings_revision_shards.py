"""bookings revision in shards: concurrent bookings no longer queue on one counter row (PostgreSQL)

0002's trigger bumps the one "bookings" row in every transaction that writes a reservation. The
row stays locked until that transaction commits, so every booking waited for the one before it to
finish: its last statement, the trip back to the web process, and its COMMIT. Under load the web
processes queued on that row (bench B4).

Now each database connection bumps its own shard ("bookings:0" to "bookings:15", chosen by its
backend's process id), and the counter is the sum of the rows named "bookings" and "bookings:N"
(``scheduler.services.clinic.counters``). A bump still commits with the change it counts, and
every bump raises the sum, so caches keyed by it stay exact. SQLite lets one writer in at a time,
so its triggers keep bumping the one row.

Revision ID: 0007_bookings_revision_shards
Revises: 0006_integrations
"""
from alembic import op

revision = '0007_bookings_revision_shards'
down_revision = '0006_integrations'
branch_labels = None
depends_on = None

SHARDS = 16


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        "INSERT INTO revision (name, value) VALUES "
        + ", ".join(f"('bookings:{shard}', 0)" for shard in range(SHARDS))
    )
    op.execute(
        "CREATE FUNCTION bump_revision_shard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE revision SET value = value + 1 WHERE name = TG_ARGV[0] || ':' || (pg_backend_pid() % {SHARDS}); "
        "RETURN NULL; END $$"
    )
    op.execute("DROP TRIGGER reservation_bumps_bookings ON reservation")
    op.execute(
        "CREATE TRIGGER reservation_bumps_bookings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON reservation FOR EACH STATEMENT EXECUTE FUNCTION bump_revision_shard('bookings')"
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP TRIGGER reservation_bumps_bookings ON reservation")
    op.execute(
        "CREATE TRIGGER reservation_bumps_bookings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON reservation FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('bookings')"
    )
    op.execute("DROP FUNCTION bump_revision_shard()")
    # The one row takes the shards' counts, so the counter never goes back to a value caches saw.
    op.execute(
        "UPDATE revision SET value = value + "
        "(SELECT coalesce(sum(value), 0) FROM revision WHERE name LIKE 'bookings:%') WHERE name = 'bookings'"
    )
    op.execute("DELETE FROM revision WHERE name LIKE 'bookings:%'")
