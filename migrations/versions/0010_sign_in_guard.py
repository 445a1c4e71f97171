"""sign-in guard: failed sign-ins counted per account and client address

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
    pass


def downgrade():
    pass
