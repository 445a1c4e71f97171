"""clinic details: address, entrance, parking, map link, after-hours guidance and nurse line as data

One row (id 1), a catalog table: its triggers bump the "catalog" revision as 0002's do for the
other catalog tables, so caches keyed by that counter see an edit at once. The demo row's values
are placeholders, marked as such (scheduler.domain.clinic_details.PLACEHOLDER holds the same).

Revision ID: 0009_clinic_details
Revises: 0008_provider_capabilities
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_clinic_details'
down_revision = '0008_provider_capabilities'
branch_labels = None
depends_on = None

TABLE = "clinic_details"
COUNTER = "catalog"

PLACEHOLDER = {
    "id": 1,
    "address_line1": "200 First Street SW (placeholder)",
    "address_line2": "",
    "city": "Rochester",
    "state": "MN",
    "postal_code": "55905",
    "building": "Placeholder: Main building, east entrance; check in at the first-floor desk.",
    "parking": "Placeholder: visitor parking ramp across the street; bring your ticket to be validated.",
    "map_url": "https://www.openstreetmap.org/search?query=200%20First%20Street%20SW%20Rochester%20MN",
    "after_hours": (
        "Placeholder: outside clinic hours, call the nurse line for advice. "
        "In an emergency, call 911 or go to the nearest emergency department."
    ),
    "nurse_line": "507-555-0148",
    "phone": "",  # empty: the configured CLINIC_PHONE
}


def upgrade():
    table = op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_line1", sa.String(length=120), nullable=False),
        sa.Column("address_line2", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("building", sa.String(length=500), nullable=False),
        sa.Column("parking", sa.String(length=500), nullable=False),
        sa.Column("map_url", sa.String(length=500), nullable=False),
        sa.Column("after_hours", sa.String(length=1000), nullable=False),
        sa.Column("nurse_line", sa.String(length=30), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_clinic_details_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_details")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Statement-level, as 0002: one bump per statement however many rows it touched.
        op.execute(
            f"CREATE TRIGGER {TABLE}_bumps_{COUNTER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('{COUNTER}')"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_{event.lower()}_bumps_{COUNTER} AFTER {event} ON {TABLE} "
                f"BEGIN UPDATE revision SET value = value + 1 WHERE name = '{COUNTER}'; END"
            )
    op.bulk_insert(table, [PLACEHOLDER])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_bumps_{COUNTER} ON {TABLE}")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{event}_bumps_{COUNTER}")
    op.drop_table(TABLE)
