"""evaluation: wellbeing measures, follow-ups, indicator months, referral territory and
report time, the observer role

Revision ID: eval_01
Revises: scale_01
Create Date: 2026-12-07 07:10:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'eval_01'
down_revision = 'scale_01'
branch_labels = None
depends_on = None

OLD_ROLES = "('admin', 'coordinator', 'relay', 'social_worker')"
NEW_ROLES = "('admin', 'coordinator', 'relay', 'social_worker', 'observer')"
NO_TERRITORY = "'00000000-0000-0000-0000-000000000000'::uuid"


def _referral_columns():
    op.add_column('referrals', sa.Column('territory_id', postgresql.UUID(as_uuid=True),
                                         nullable=True))
    op.create_foreign_key(op.f('fk_referrals_territory_id_territories'), 'referrals',
                          'territories', ['territory_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_referrals_territory_id'), 'referrals', ['territory_id'])
    op.add_column('referrals', sa.Column('reported_at', sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column('referrals', sa.Column('reported_newcomer', sa.Boolean(),
                                         server_default=sa.text('false'), nullable=False))
    # History: reported when created; the territory of the exact point where it is still
    # known (an erased person's is not, an anonymised person's ~200 m point is what is left).
    op.execute("UPDATE referrals SET reported_at = created_at")
    op.execute("""
        UPDATE referrals SET territory_id = (
            SELECT t.id FROM territories t
            WHERE ST_Intersects(t.area, r.point::geometry)
            ORDER BY ST_Area(t.area), t.code NULLS LAST, t.id LIMIT 1),
          reported_newcomer = r.newcomer
        FROM residents r WHERE r.id = referrals.resident_id AND r.point IS NOT NULL""")
    op.alter_column('referrals', 'reported_at', nullable=False)
    op.create_index(op.f('ix_referrals_reported_at'), 'referrals', ['reported_at'])
    op.create_index('ix_referral_events_to_status_at', 'referral_events', ['to_status', 'at'])
    op.create_index('ix_contacts_at', 'contacts', ['at'])


def upgrade():
    op.drop_constraint(op.f('ck_users_role_known'), 'users', type_='check')
    op.create_check_constraint(op.f('ck_users_role_known'), 'users', f"role IN {NEW_ROLES}")
    _referral_columns()
    op.create_table(
        'wellbeing_measures',
        sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('referral_id', postgresql.UUID(as_uuid=True),
                  sa.ForeignKey('referrals.id', ondelete='CASCADE',
                                name=op.f('fk_wellbeing_measures_referral_id_referrals')),
                  nullable=False),
        sa.Column('author_id', postgresql.UUID(as_uuid=True),
                  sa.ForeignKey('users.id', name=op.f('fk_wellbeing_measures_author_id_users')),
                  nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('moment', sa.String(10), nullable=False),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.Column('lacks_company', sa.SmallInteger(), nullable=True),
        sa.Column('left_out', sa.SmallInteger(), nullable=True),
        sa.Column('isolated', sa.SmallInteger(), nullable=True),
        sa.Column('networks', postgresql.ARRAY(sa.String(20)), server_default=sa.text("'{}'"),
                  nullable=False),
        sa.Column('payload_digest', sa.LargeBinary(32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("moment IN ('baseline', 'follow_up')",
                           name=op.f('ck_wellbeing_measures_moment_known')),
        *(sa.CheckConstraint(f"{n} IS NULL OR {n} BETWEEN 1 AND 3",
                             name=op.f(f'ck_wellbeing_measures_{n}_range'))
          for n in ('lacks_company', 'left_out', 'isolated')),
        sa.CheckConstraint("erased_at IS NOT NULL OR answered = (lacks_company IS NOT NULL "
                           "AND left_out IS NOT NULL AND isolated IS NOT NULL)",
                           name=op.f('ck_wellbeing_measures_scores_iff_answered')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wellbeing_measures')),
    )
    op.create_index('uq_wellbeing_measures_referral_moment', 'wellbeing_measures',
                    ['referral_id', 'moment'], unique=True)
    op.create_index('ix_wellbeing_measures_at', 'wellbeing_measures', ['at'])
    op.create_table(
        'follow_ups',
        sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('referral_id', postgresql.UUID(as_uuid=True),
                  sa.ForeignKey('referrals.id', ondelete='CASCADE',
                                name=op.f('fk_follow_ups_referral_id_referrals')),
                  nullable=False),
        sa.Column('relay_id', postgresql.UUID(as_uuid=True),
                  sa.ForeignKey('relays.id', name=op.f('fk_follow_ups_relay_id_relays')),
                  nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('measure_id', postgresql.UUID(as_uuid=True),
                  sa.ForeignKey('wellbeing_measures.id', ondelete='SET NULL',
                                name=op.f('fk_follow_ups_measure_id_wellbeing_measures')),
                  nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('referral_id', name=op.f('uq_follow_ups_referral_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    )
    op.create_index(op.f('ix_follow_ups_relay_id'), 'follow_ups', ['relay_id'])
    op.create_index(op.f('ix_follow_ups_done_at'), 'follow_ups', ['done_at'])
    # the foreign key's own index: deleting a measure then finds its call-back at once
    op.create_index(op.f('ix_follow_ups_measure_id'), 'follow_ups', ['measure_id'])
    op.create_index('ix_follow_ups_due_open', 'follow_ups', ['due_on'],
                    postgresql_where=sa.text('done_at IS NULL'))
    op.create_table(
        'indicator_months',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('territory_id', postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column('territory_code', sa.String(40), nullable=True),
        sa.Column('territory_name', sa.String(120), nullable=False),
        sa.Column('parts', postgresql.JSONB(), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_months')),
    )
    op.execute("CREATE UNIQUE INDEX uq_indicator_months_month_territory ON indicator_months "
               f"(month, coalesce(territory_id, {NO_TERRITORY}))")


def downgrade():
    op.drop_table('indicator_months')
    op.drop_table('follow_ups')
    op.drop_table('wellbeing_measures')
    op.drop_index('ix_contacts_at', table_name='contacts')
    op.drop_index('ix_referral_events_to_status_at', table_name='referral_events')
    op.drop_index(op.f('ix_referrals_reported_at'), table_name='referrals')
    op.drop_index(op.f('ix_referrals_territory_id'), table_name='referrals')
    op.drop_constraint(op.f('fk_referrals_territory_id_territories'), 'referrals',
                       type_='foreignkey')
    for column in ('reported_newcomer', 'reported_at', 'territory_id'):
        op.drop_column('referrals', column)
    op.execute("DELETE FROM users WHERE role = 'observer'")
    op.drop_constraint(op.f('ck_users_role_known'), 'users', type_='check')
    op.create_check_constraint(op.f('ck_users_role_known'), 'users', f"role IN {OLD_ROLES}")
