"""Directory (structures, resources, relays) and referrals (residents, events, contacts)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:32:25.044610
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erased_ids',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_ids'))
    )
    op.create_geospatial_table('structures',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False,
                                 from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('source_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_structures'))
    )
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_structures_point', ['point'], unique=False,
                                         postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(
            'uq_structures_source', ['source', 'source_id'], unique=True,
            postgresql_where=sa.text('source IS NOT NULL AND source_id IS NOT NULL'))

    op.create_geospatial_table('relays',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=True),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False,
                                 from_text='ST_GeogFromText', name='geography', nullable=False),
              nullable=False),
    sa.Column('radius_m', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active_referrals', sa.Integer(), nullable=False),
    sa.Column('languages', postgresql.ARRAY(sa.String(length=8)), nullable=False),
    sa.Column('skills', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('availability', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'paused', 'ended')",
                       name=op.f('ck_relays_status_known')),
    sa.CheckConstraint('active_referrals >= 0', name=op.f('ck_relays_load_positive')),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_relays_capacity_positive')),
    sa.CheckConstraint('radius_m > 0', name=op.f('ck_relays_radius_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_relays_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relays')),
    sa.UniqueConstraint('user_id', name=op.f('uq_relays_user_id'))
    )
    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_relays_point', ['point'], unique=False,
                                         postgresql_using='gist', postgresql_ops={})

    op.create_geospatial_table('residents',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=True),
    sa.Column('pseudonym', sa.String(length=80), nullable=True),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False,
                                 from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('approx_point', Geography(geometry_type='POINT', srid=4326, dimension=2,
                                        spatial_index=False, from_text='ST_GeogFromText',
                                        name='geography'), nullable=True),
    sa.Column('languages', postgresql.ARRAY(sa.String(length=8)), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('audiences', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('newcomer', sa.Boolean(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_by_id', sa.UUID(), nullable=True),
    sa.Column('reported_by_id', sa.UUID(), nullable=True),
    sa.Column('last_contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('erased_at IS NOT NULL OR (point IS NOT NULL AND approx_point IS NOT NULL)',
                       name=op.f('ck_residents_has_a_point')),
    sa.CheckConstraint('erased_at IS NOT NULL OR first_name IS NOT NULL OR pseudonym IS NOT NULL',
                       name=op.f('ck_residents_has_a_name')),
    sa.ForeignKeyConstraint(['consent_by_id'], ['users.id'],
                            name=op.f('fk_residents_consent_by_id_users')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'],
                            name=op.f('fk_residents_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents'))
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_residents_approx_point', ['approx_point'],
                                         unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_geospatial_index('idx_residents_point', ['point'], unique=False,
                                         postgresql_using='gist', postgresql_ops={})

    op.create_geospatial_table('resources',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('structure_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('categories', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('audiences', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False,
                                 from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('opening_hours', sa.String(length=255), nullable=True),
    sa.Column('languages', postgresql.ARRAY(sa.String(length=8)), nullable=False),
    sa.Column('accessible', sa.Boolean(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('saturation', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('source_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("saturation IN ('available', 'limited', 'full')",
                       name=op.f('ck_resources_saturation_known')),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0',
                       name=op.f('ck_resources_capacity_positive')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'],
                            name=op.f('fk_resources_structure_id_structures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_resources_point', ['point'], unique=False,
                                         postgresql_using='gist', postgresql_ops={})
        batch_op.create_index('ix_resources_categories', ['categories'], unique=False,
                              postgresql_using='gin')
        batch_op.create_index(batch_op.f('ix_resources_structure_id'), ['structure_id'],
                              unique=False)
        batch_op.create_index(
            'uq_resources_source', ['source', 'source_id'], unique=True,
            postgresql_where=sa.text('source IS NOT NULL AND source_id IS NOT NULL'))

    op.create_table('structure_members',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('structure_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'],
                            name=op.f('fk_structure_members_structure_id_structures'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_structure_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'structure_id', name=op.f('pk_structure_members'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('resident_id', sa.UUID(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('relay_id', sa.UUID(), nullable=True),
    sa.Column('resource_id', sa.UUID(), nullable=True),
    sa.Column('reporter_id', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('payload_digest', sa.LargeBinary(length=32), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)",
                       name=op.f('ck_referrals_outcome_iff_closed')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('helped', 'not_helped', 'redirected', "
                       "'unreachable', 'declined_help', 'no_longer_needed', 'duplicate', "
                       "'opposed')", name=op.f('ck_referrals_outcome_known')),
    sa.CheckConstraint("status IN ('reported', 'assigned', 'contacted', 'referred', 'accepted', "
                       "'closed')", name=op.f('ck_referrals_status_known')),
    sa.CheckConstraint("status IN ('reported', 'closed') OR relay_id IS NOT NULL",
                       name=op.f('ck_referrals_relay_when_assigned')),
    sa.CheckConstraint("status NOT IN ('referred', 'accepted') OR resource_id IS NOT NULL",
                       name=op.f('ck_referrals_resource_when_referred')),
    sa.ForeignKeyConstraint(['relay_id'], ['relays.id'], name=op.f('fk_referrals_relay_id_relays')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'],
                            name=op.f('fk_referrals_reporter_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                            name=op.f('fk_referrals_resident_id_residents')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                            name=op.f('fk_referrals_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_relay_id'), ['relay_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_referrals_status_changed', ['status', 'status_changed_at'],
                              unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('author_id', sa.UUID(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('payload_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('visit', 'phone', 'meeting', 'message')",
                       name=op.f('ck_contacts_channel_known')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_contacts_author_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                            name=op.f('fk_contacts_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('referral_id', sa.UUID(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_professional', sa.Boolean(), nullable=False),
    sa.Column('relay_id', sa.UUID(), nullable=True),
    sa.Column('resource_id', sa.UUID(), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                            name=op.f('fk_referral_events_actor_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                            name=op.f('fk_referral_events_referral_id_referrals'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relay_id'], ['relays.id'],
                            name=op.f('fk_referral_events_relay_id_relays')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                            name=op.f('fk_referral_events_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_events_referral_id'), ['referral_id'],
                              unique=False)



def downgrade():
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_events_referral_id'))

    op.drop_table('referral_events')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_referral_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_author_id'))

    op.drop_table('contacts')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status_changed')
        batch_op.drop_index(batch_op.f('ix_referrals_resource_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_resident_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_relay_id'))

    op.drop_table('referrals')
    op.drop_table('structure_members')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_resources_source',
            postgresql_where=sa.text('source IS NOT NULL AND source_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_resources_structure_id'))
        batch_op.drop_index('ix_resources_categories', postgresql_using='gin')
        batch_op.drop_geospatial_index('idx_resources_point', postgresql_using='gist',
                                       column_name='point')

    op.drop_geospatial_table('resources')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_residents_point', postgresql_using='gist',
                                       column_name='point')
        batch_op.drop_geospatial_index('idx_residents_approx_point', postgresql_using='gist',
                                       column_name='approx_point')

    op.drop_geospatial_table('residents')
    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.drop_geospatial_index('idx_relays_point', postgresql_using='gist',
                                       column_name='point')

    op.drop_geospatial_table('relays')
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_structures_source',
            postgresql_where=sa.text('source IS NOT NULL AND source_id IS NOT NULL'))
        batch_op.drop_geospatial_index('idx_structures_point', postgresql_using='gist',
                                       column_name='point')

    op.drop_geospatial_table('structures')
    op.drop_table('erased_ids')
