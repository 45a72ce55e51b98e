"""indexes for paged lists and for the territories' scope on geography

Revision ID: scale_01
Revises: camp_01
Create Date: 2026-12-08 06:30:00
"""
from alembic import op

revision = 'scale_01'
down_revision = 'camp_01'
branch_labels = None
depends_on = None


def upgrade():
    # geo.queries.point_in_area tests geography against geography: one point against the
    # territories needs their outlines indexed as geography.
    op.execute("CREATE INDEX ix_territories_area_geography ON territories "
               "USING gist ((area::geography))")
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status_changed')
        batch_op.create_index('ix_referrals_status_changed',
                              ['status', 'status_changed_at', 'id'], unique=False)
    # HSDS pages of active services by name then id (services.open_referral.services_page).
    op.create_index('ix_resources_active_name', 'resources', ['name', 'id'], unique=False,
                    postgresql_where='active')


def downgrade():
    op.drop_index('ix_resources_active_name', table_name='resources',
                  postgresql_where='active')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status_changed')
        batch_op.create_index('ix_referrals_status_changed', ['status', 'status_changed_at'],
                              unique=False)
    op.execute("DROP INDEX ix_territories_area_geography")
