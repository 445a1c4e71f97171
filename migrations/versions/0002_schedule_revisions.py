"""schedule revisions: counters bumped by triggers whenever bookings or the catalog change

Caches of availability (and of the catalog) are keyed by these counters, so they are exact: any
change, by any code path or process, bumps a counter in the same transaction as the change.

Revision ID: 0002_schedule_revisions
Revises: 0001_clinic_core
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_schedule_revisions'
down_revision = '0001_clinic_core'
branch_labels = None
depends_on = None

COUNTED = {
    "bookings": ("reservation",),
    "catalog": ("specialty", "provider", "provider_hours", "time_off", "room", "visit_type", "closure",
                "routing_rule"),
}


def upgrade():
    op.create_table(
        "revision",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_revision")),
    )
    op.execute("INSERT INTO revision (name, value) VALUES ('bookings', 0), ('catalog', 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE revision SET value = value + 1 WHERE name = TG_ARGV[0]; RETURN NULL; END $$"
        )
    for counter, tables in COUNTED.items():
        for table in tables:
            if postgres:
                # Statement-level: one bump per statement however many rows it touched.
                op.execute(
                    f"CREATE TRIGGER {table}_bumps_{counter} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('{counter}')"
                )
            else:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    op.execute(
                        f"CREATE TRIGGER {table}_{event.lower()}_bumps_{counter} AFTER {event} ON {table} "
                        f"BEGIN UPDATE revision SET value = value + 1 WHERE name = '{counter}'; END"
                    )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for counter, tables in COUNTED.items():
        for table in tables:
            if postgres:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_{counter} ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_bumps_{counter}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS bump_revision()")
    op.drop_table("revision")
