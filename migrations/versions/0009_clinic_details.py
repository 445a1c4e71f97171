"""clinic details: address, entrance, parking, map link, after-hours guidance and nurse line as data

Revision ID: 0009_clinic_details
Revises: 0008_provider_capabilities
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_clinic_details'
down_revision = '0008_provider_capabilities'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
