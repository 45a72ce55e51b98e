"""becoming a relay: candidacies and their events, the charter, training sessions

Revision ID: cand_01
Revises: walk_01
Create Date: 2026-12-07 06:12:24.275625
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision = 'cand_01'
down_revision = 'walk_01'
branch_labels = None
depends_on = None


def _point():
    return sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2,
                                        spatial_index=False, from_text='ST_GeogFromText',
                                        name='geography', nullable=False), nullable=False)


def _fk(column, table, name_table, ondelete=None):
    return sa.ForeignKeyConstraint([column], [f'{table}.id'],
                                   name=op.f(f'fk_{name_table}_{column}_{table}'),
                                   ondelete=ondelete)


def _indexes(table, *columns):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def _point_index(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_geospatial_index(f'idx_{table}_point', ['point'], unique=False,
                                         postgresql_using='gist', postgresql_ops={})


def upgrade():
    op.create_table(
        'charter_versions',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text_md', sa.Text(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.UUID(), nullable=True),
        _fk('published_by_id', 'users', 'charter_versions', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_versions')),
        sa.UniqueConstraint('number', name=op.f('uq_charter_versions_number')))
    op.create_table(
        'network_milestones',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('person_key', sa.UUID(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('territory_id', sa.UUID(), nullable=True),
        sa.CheckConstraint("kind IN ('candidacy_confirmed', 'first_training')",
                           name=op.f('ck_network_milestones_kind_known')),
        _fk('territory_id', 'territories', 'network_milestones', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_network_milestones')),
        sa.UniqueConstraint('kind', 'person_key', name='once_per_person'))
    op.create_index('ix_network_milestones_kind_at', 'network_milestones', ['kind', 'at'])

    op.create_geospatial_table(
        'training_sessions',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place_name', sa.String(length=200), nullable=False),
        _point(),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.UUID(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('capacity > 0', name=op.f('ck_training_sessions_capacity_positive')),
        _fk('created_by_id', 'users', 'training_sessions', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions')))
    _point_index('training_sessions')
    _indexes('training_sessions', 'starts_at')

    op.create_geospatial_table(
        'candidacies',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('first_name', sa.String(length=80), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=True),
        _point(),
        sa.Column('profile', sa.String(length=20), nullable=False),
        sa.Column('languages', postgresql.ARRAY(sa.String(length=8)), nullable=False),
        sa.Column('availability', sa.String(length=500), nullable=True),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('territory_id', sa.UUID(), nullable=True),
        sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('relay_id', sa.UUID(), nullable=True),
        sa.CheckConstraint("profile IN ('resident', 'shopkeeper', 'professional', 'association')",
                           name=op.f('ck_candidacies_profile_known')),
        sa.CheckConstraint("stage IN ('submitted', 'confirmed', 'met', 'charter_signed', "
                           "'trained', 'active', 'declined', 'withdrawn')",
                           name=op.f('ck_candidacies_stage_known')),
        _fk('relay_id', 'relays', 'candidacies'),
        _fk('territory_id', 'territories', 'candidacies', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_candidacies')),
        sa.UniqueConstraint('relay_id', name=op.f('uq_candidacies_relay_id')))
    _point_index('candidacies')
    op.create_index('ix_candidacies_email', 'candidacies', ['email'])
    op.create_index('ix_candidacies_stage_changed_at', 'candidacies', ['stage', 'stage_changed_at'])

    op.create_table(
        'charter_prompts',
        sa.Column('user_id', sa.UUID(), nullable=False),
        sa.Column('version_id', sa.UUID(), nullable=False),
        sa.Column('prompted_at', sa.DateTime(timezone=True), nullable=False),
        _fk('user_id', 'users', 'charter_prompts', 'CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['charter_versions.id'],
                                name=op.f('fk_charter_prompts_version_id_charter_versions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'version_id', name=op.f('pk_charter_prompts')))
    op.create_table(
        'candidacy_events',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('candidacy_id', sa.UUID(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.UUID(), nullable=True),
        sa.Column('actor_role', sa.String(length=20), nullable=False),
        sa.Column('from_stage', sa.String(length=20), nullable=True),
        sa.Column('to_stage', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        _fk('actor_id', 'users', 'candidacy_events', 'SET NULL'),
        _fk('candidacy_id', 'candidacies', 'candidacy_events', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_candidacy_events')))
    _indexes('candidacy_events', 'candidacy_id')
    op.create_table(
        'charter_signatures',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('version_id', sa.UUID(), nullable=False),
        sa.Column('candidacy_id', sa.UUID(), nullable=True),
        sa.Column('relay_id', sa.UUID(), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('witness_id', sa.UUID(), nullable=True),
        sa.CheckConstraint("method IN ('meeting', 'link', 'sign_in')",
                           name=op.f('ck_charter_signatures_method_known')),
        sa.CheckConstraint('candidacy_id IS NOT NULL OR relay_id IS NOT NULL',
                           name=op.f('ck_charter_signatures_has_signer')),
        _fk('candidacy_id', 'candidacies', 'charter_signatures', 'SET NULL'),
        _fk('relay_id', 'relays', 'charter_signatures', 'CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['charter_versions.id'],
                                name=op.f('fk_charter_signatures_version_id_charter_versions')),
        _fk('witness_id', 'users', 'charter_signatures', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_signatures')))
    _indexes('charter_signatures', 'candidacy_id', 'relay_id', 'version_id')
    op.create_table(
        'training_participants',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('session_id', sa.UUID(), nullable=False),
        sa.Column('candidacy_id', sa.UUID(), nullable=True),
        sa.Column('relay_id', sa.UUID(), nullable=True),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attended', sa.Boolean(), nullable=True),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('candidacy_id IS NOT NULL OR relay_id IS NOT NULL',
                           name=op.f('ck_training_participants_has_person')),
        _fk('candidacy_id', 'candidacies', 'training_participants', 'SET NULL'),
        _fk('relay_id', 'relays', 'training_participants', 'CASCADE'),
        sa.ForeignKeyConstraint(
            ['session_id'], ['training_sessions.id'],
            name=op.f('fk_training_participants_session_id_training_sessions'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_participants')),
        sa.UniqueConstraint('session_id', 'candidacy_id', name='one_candidacy_per_session'),
        sa.UniqueConstraint('session_id', 'relay_id', name='one_relay_per_session'))
    _indexes('training_participants', 'candidacy_id', 'relay_id', 'session_id')

    # A candidate's links (confirmation, charter) live beside the accounts' links.
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidacy_id', sa.UUID(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.UUID(), nullable=True)
        batch_op.create_index(batch_op.f('ix_account_tokens_candidacy_id'), ['candidacy_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_account_tokens_candidacy_id_candidacies'),
                                    'candidacies', ['candidacy_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('ck_account_tokens_purpose_known'), type_='check')
        batch_op.create_check_constraint(
            'purpose_known', "purpose IN ('invitation', 'password_reset', 'candidacy', 'charter')")
        batch_op.create_check_constraint('one_owner', '(user_id IS NULL) <> (candidacy_id IS NULL)')

    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.drop_column('phone')
    op.execute("DELETE FROM account_tokens WHERE candidacy_id IS NOT NULL")
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_account_tokens_one_owner'), type_='check')
        batch_op.drop_constraint(op.f('ck_account_tokens_purpose_known'), type_='check')
        batch_op.create_check_constraint('purpose_known',
                                         "purpose IN ('invitation', 'password_reset')")
        batch_op.drop_constraint(batch_op.f('fk_account_tokens_candidacy_id_candidacies'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_account_tokens_candidacy_id'))
        batch_op.alter_column('user_id', existing_type=sa.UUID(), nullable=False)
        batch_op.drop_column('candidacy_id')
    for table in ('training_participants', 'charter_signatures', 'candidacy_events',
                  'charter_prompts'):
        op.drop_table(table)
    op.drop_geospatial_table('candidacies')
    op.drop_geospatial_table('training_sessions')
    op.drop_table('network_milestones')
    op.drop_table('charter_versions')
