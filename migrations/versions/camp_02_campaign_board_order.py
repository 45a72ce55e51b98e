"""the campaign board's order: each status of a campaign by last change

Revision ID: camp_02
Revises: maps_01
Create Date: 2026-12-07 15:10:00
"""
from alembic import op

revision = 'camp_02'
down_revision = 'maps_01'
branch_labels = None
depends_on = None


def upgrade():
    # services.campaigns.board_page walks each status of a campaign in this order; the index
    # on campaign_id alone is its prefix.
    op.create_index('ix_campaign_checks_board', 'campaign_checks',
                    ['campaign_id', 'status', 'updated_at', 'id'], unique=False)
    op.drop_index('ix_campaign_checks_campaign_id', table_name='campaign_checks')


def downgrade():
    op.create_index('ix_campaign_checks_campaign_id', 'campaign_checks', ['campaign_id'],
                    unique=False)
    op.drop_index('ix_campaign_checks_board', table_name='campaign_checks')
