"""The watch register and check-in campaigns

Revision ID: camp_01
Revises: cand_01
Create Date: 2026-12-07 07:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'camp_01'
down_revision = 'cand_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'watch_entries',
        sa.Column('resident_id', sa.UUID(), nullable=False),
        sa.Column('reasons', postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('consent_by_id', sa.UUID(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['consent_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('resident_id'))
    op.create_table(
        'campaigns',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('territory_ids', postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column('outside', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.UUID(), nullable=True),
        sa.Column('payload_digest', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('heatwave', 'cold', 'other')", name='kind_known'),
        sa.CheckConstraint("status IN ('open', 'closed')", name='status_known'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'))
    op.create_table(
        'campaign_checks',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('campaign_id', sa.UUID(), nullable=False),
        sa.Column('resident_id', sa.UUID(), nullable=False),
        sa.Column('relay_id', sa.UUID(), nullable=True),
        sa.Column('territory_id', sa.UUID(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_call_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('help_notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'ok', 'needs_help', 'not_reached', 'escalated')",
            name='status_known'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['relay_id'], ['relays.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign_id', 'resident_id', name='uq_campaign_checks_person'))
    op.create_index('ix_campaign_checks_campaign_id', 'campaign_checks', ['campaign_id'])
    op.create_index('ix_campaign_checks_resident_id', 'campaign_checks', ['resident_id'])
    op.create_index('ix_campaign_checks_relay_id', 'campaign_checks', ['relay_id'])
    op.create_index('ix_campaign_checks_open', 'campaign_checks', ['status'],
                    postgresql_where=sa.text("status IN ('pending', 'not_reached')"))
    op.create_table(
        'campaign_calls',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('check_id', sa.UUID(), nullable=False),
        sa.Column('author_id', sa.UUID(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('payload_digest', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('phone', 'visit')", name='channel_known'),
        sa.CheckConstraint("outcome IN ('ok', 'needs_help', 'not_reached')",
                           name='outcome_known'),
        sa.ForeignKeyConstraint(['check_id'], ['campaign_checks.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_campaign_calls_check_id', 'campaign_calls', ['check_id'])


def downgrade():
    op.drop_table('campaign_calls')
    op.drop_table('campaign_checks')
    op.drop_table('campaigns')
    op.drop_table('watch_entries')
