"""relays listed by name a page at a time

Revision ID: lists_01
Revises: eval_01
Create Date: 2026-12-07 15:00:00
"""
from alembic import op

revision = 'lists_01'
down_revision = 'eval_01'
branch_labels = None
depends_on = None


def upgrade():
    # « Bienveilleurs » by name then id, a page at a time (directory.list_relays).
    op.create_index('ix_relays_display_name', 'relays', ['display_name', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_relays_display_name', table_name='relays')
