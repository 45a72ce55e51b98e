"""Alembic environment: run migrations with the application's engine and metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
# PostGIS owns these; autogenerate must never try to drop or alter them.
POSTGIS_TABLES = {"spatial_ref_sys", "geography_columns", "geometry_columns",
                  "raster_columns", "raster_overviews"}


# The walking network (`flask routing import`) is data replaced as a whole, in schemas of
# its own: never the migrations' business.
ROUTING_SCHEMAS = {"routing", "routing_next", "routing_previous"}


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    if type_ == "table" and getattr(obj, "schema", None) in ROUTING_SCHEMAS:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _skip_empty(ctx, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("Aucun changement de schéma détecté.")


def run_migrations_online():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", alembic_helpers.writer)
    if getattr(config.cmd_opts, "autogenerate", False):
        writer = options["process_revision_directives"]

        def directives(ctx, revision, directives_):
            _skip_empty(ctx, revision, directives_)
            if directives_:
                writer(ctx, revision, directives_)
        options["process_revision_directives"] = directives
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=database.metadata,
            include_object=include_object,
            render_item=alembic_helpers.render_item,
            compare_type=True,
            **{k: v for k, v in options.items() if k not in {"compare_type"}},
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Les migrations hors ligne ne sont pas prises en charge ; "
                     "utilisez flask db upgrade.")
run_migrations_online()
