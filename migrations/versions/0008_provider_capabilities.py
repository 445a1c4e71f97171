"""provider capabilities: each provider's professional kind and the visit types they perform

Revision ID: 0008_provider_capabilities
Revises: 0007_bookings_revision_shards
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_provider_capabilities'
down_revision = '0007_bookings_revision_shards'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
