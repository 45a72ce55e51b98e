"""pgRouting where the server has it (the walking network)

Revision ID: walk_01
Revises: ux_01
Create Date: 2026-12-07 06:00:00

The walking network itself (schema `routing`) is built by `flask routing import`, not by
migrations: it is data, replaced as a whole, and Alembic's autogenerate leaves it alone
(migrations/env.py). Creating the extension needs a role allowed to; where the server has
no pgRouting, or the role may not create it, nothing changes and matching stays
straight-line (the import says so).
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = 'walk_01'
down_revision = 'ux_01'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    bind = op.get_bind()
    available = bind.execute(sa.text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'")).first()
    if available is None:
        log.info("pgRouting n'est pas disponible sur ce serveur : distances à vol d'oiseau.")
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pgrouting"))
    except sa.exc.DBAPIError:
        log.warning("pgRouting n'a pas pu être activé (droits insuffisants ?) : distances à "
                    "vol d'oiseau jusqu'à ce qu'un administrateur de la base l'active.")


def downgrade():
    op.execute("DROP SCHEMA IF EXISTS routing CASCADE")
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
