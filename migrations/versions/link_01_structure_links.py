"""structures' one-time links to a referral (a structure without an account answers by e-mail)

Revision ID: link_01
Revises: ops_01
Create Date: 2026-12-07 05:36:50.744791
"""
import sqlalchemy as sa
from alembic import op

revision = 'link_01'
down_revision = 'ops_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'structure_links',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('referral_id', sa.UUID(), nullable=False),
        sa.Column('structure_id', sa.UUID(), nullable=False),
        sa.Column('referred_event_id', sa.BigInteger(), nullable=False),
        sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('notification_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.UUID(), nullable=True),
        sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('openings', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_action', sa.String(length=20), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.Column('ended_by_id', sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('replaced', 'disabled', 'erased')",
            name=op.f('ck_structure_links_end_reason_known')),
        sa.CheckConstraint(
            "last_action IS NULL OR last_action IN ('accepted', 'declined', 'closed')",
            name=op.f('ck_structure_links_last_action_known')),
        sa.CheckConstraint('(ended_at IS NULL) = (end_reason IS NULL)',
                           name=op.f('ck_structure_links_ended_with_reason')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_structure_links_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'],
                                name=op.f('fk_structure_links_ended_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_structure_links_notification_id_notifications'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                                name=op.f('fk_structure_links_referral_id_referrals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['referred_event_id'], ['referral_events.id'],
            name=op.f('fk_structure_links_referred_event_id_referral_events'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['structure_id'], ['structures.id'],
                                name=op.f('fk_structure_links_structure_id_structures'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_structure_links')),
        sa.UniqueConstraint('digest', name=op.f('uq_structure_links_digest')),
    )
    with op.batch_alter_table('structure_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_structure_links_referral_id'), ['referral_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_structure_links_structure_id'), ['structure_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('structure_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_structure_links_structure_id'))
        batch_op.drop_index(batch_op.f('ix_structure_links_referral_id'))
    op.drop_table('structure_links')
