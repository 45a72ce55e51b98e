"""Points read as geometry, indexed: the exact point-in-territory test in lon/lat

The outlines' index on (area::geography), which served the same test on the sphere, goes.

Revision ID: geom_01
Revises: camp_02
"""
from alembic import op

revision = 'geom_01'
down_revision = 'camp_02'
branch_labels = None
depends_on = None

# As bienveilleurs.models.base.POINT_GEOMETRY_INDEXED (a migration keeps its own copy).
TABLES = ("residents", "relays", "structures", "resources", "candidacies", "training_sessions")


def upgrade():
    for table in TABLES:
        op.execute(f"CREATE INDEX ix_{table}_point_geometry ON {table} "
                   "USING gist ((point::geometry))")
    op.execute("DROP INDEX ix_territories_area_geography")


def downgrade():
    op.execute("CREATE INDEX ix_territories_area_geography ON territories "
               "USING gist ((area::geography))")
    for table in TABLES:
        op.execute(f"DROP INDEX ix_{table}_point_geometry")
