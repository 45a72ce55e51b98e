"""coverage cached per territory: the hexagon cells with the relays reaching each, and the
state of each territory's computation

Revision ID: maps_01
Revises: lists_01
Create Date: 2026-12-07 15:00:00
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry

revision = 'maps_01'
down_revision = 'lists_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_cells',
        sa.Column('territory_id', sa.UUID(), nullable=False),
        sa.Column('i', sa.Integer(), nullable=False),
        sa.Column('j', sa.Integer(), nullable=False),
        sa.Column('shape', Geometry('POLYGON', srid=4326, spatial_index=False), nullable=False),
        sa.Column('centre', Geography('POINT', srid=4326, spatial_index=False), nullable=False),
        sa.Column('relays', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], ondelete='CASCADE',
                                name=op.f('fk_coverage_cells_territory_id_territories')),
        sa.PrimaryKeyConstraint('territory_id', 'i', 'j', name=op.f('pk_coverage_cells')))
    op.create_index('idx_coverage_cells_shape', 'coverage_cells', ['shape'],
                    postgresql_using='gist')
    op.create_index('idx_coverage_cells_centre', 'coverage_cells', ['centre'],
                    postgresql_using='gist')
    op.create_table(
        'territory_coverage',
        sa.Column('territory_id', sa.UUID(), nullable=False),
        sa.Column('outline_md5', sa.String(length=32), nullable=False),
        sa.Column('cells', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('uncovered', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('relays', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('free_places', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['territory_id'], ['territories.id'], ondelete='CASCADE',
                                name=op.f('fk_territory_coverage_territory_id_territories')),
        sa.PrimaryKeyConstraint('territory_id', name=op.f('pk_territory_coverage')))


def downgrade():
    op.drop_table('territory_coverage')
    op.drop_index('idx_coverage_cells_centre', table_name='coverage_cells')
    op.drop_index('idx_coverage_cells_shape', table_name='coverage_cells')
    op.drop_table('coverage_cells')
