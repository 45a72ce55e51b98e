"""referrals.reported_name: the name as the reporter typed it

Revision ID: ux_01
Revises: link_01
Create Date: 2026-12-07 05:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'ux_01'
down_revision = 'link_01'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('referrals', sa.Column('reported_name', sa.String(length=80), nullable=True))
    # Reports made before: the person's name as it stands (nothing better was kept).
    op.execute("UPDATE referrals SET reported_name = coalesce(r.first_name, r.pseudonym) "
               "FROM residents r WHERE r.id = referrals.resident_id AND r.erased_at IS NULL "
               "AND r.anonymised_at IS NULL")


def downgrade():
    op.drop_column('referrals', 'reported_name')
