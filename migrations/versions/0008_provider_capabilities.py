"""provider capabilities: each provider's professional kind and the visit types they perform

Until now every provider of a specialty was offered for every visit type of that specialty (the
physical therapist for evaluations, the physiatrist for therapy). A provider now has a kind
(``scheduler.domain.catalog.ProviderKind``) and a set of visit types they perform, as data that
admins edit on the provider page.

Providers already in the database keep doing what they could do: the physician kind of their
specialty, and every visit type of their specialty plus follow-ups. An admin then narrows them
(a therapist to therapy, say); the migration cannot know who is who.

Revision ID: 0008_provider_capabilities
Revises: 0007_bookings_revision_shards
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_provider_capabilities'
down_revision = '0007_bookings_revision_shards'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must keep meaning what it meant when written.
PHYSICIAN_KIND_OF_SPECIALTY = {
    "pmr": "physiatrist",
    "radiology-pain": "pain-physician",
    "ortho": "spine-surgeon",
    "endo": "endocrinologist",
}


def upgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=False, server_default="physician"))
    op.create_table(
        "provider_visit_type",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("visit_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_provider_visit_type_provider_id_provider"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visit_type_id"], ["visit_type.id"], name=op.f("fk_provider_visit_type_visit_type_id_visit_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_id", "visit_type_id", name=op.f("pk_provider_visit_type")),
    )
    op.create_index(op.f("ix_provider_visit_type_visit_type_id"), "provider_visit_type", ["visit_type_id"])

    bind = op.get_bind()
    for code, kind in PHYSICIAN_KIND_OF_SPECIALTY.items():
        bind.execute(
            sa.text("UPDATE provider SET kind = :kind WHERE specialty_id IN (SELECT id FROM specialty WHERE code = :code)"),
            {"kind": kind, "code": code},
        )
    bind.execute(
        sa.text(
            "INSERT INTO provider_visit_type (provider_id, visit_type_id) "
            "SELECT p.id, v.id FROM provider p JOIN visit_type v "
            "ON v.specialty_id = p.specialty_id OR v.code = 'follow-up'"
        )
    )

    # A change of who does what changes what is offered: it bumps the catalog counter like the
    # other catalog tables (0002).
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER provider_visit_type_bumps_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON provider_visit_type FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('catalog')"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER provider_visit_type_{event.lower()}_bumps_catalog AFTER {event} ON provider_visit_type "
                "BEGIN UPDATE revision SET value = value + 1 WHERE name = 'catalog'; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS provider_visit_type_bumps_catalog ON provider_visit_type")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS provider_visit_type_{event}_bumps_catalog")
    op.drop_index(op.f("ix_provider_visit_type_visit_type_id"), table_name="provider_visit_type")
    op.drop_table("provider_visit_type")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("kind")
