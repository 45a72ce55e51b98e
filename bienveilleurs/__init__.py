"""Bienveilleurs: geolocated coordination of a city's network of volunteer neighbourhood relays."""

import logging
import os

from flask import Flask

from . import logs, replica, request_log
from .config import engine_options, load_config
from .extensions import csrf, db, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config=None):
    """Build the application: settings, extensions, blueprints, error handlers and CLI."""
    app = Flask(__name__, template_folder=os.path.join(ROOT, "templates"),
                static_folder="static")
    app.config.update(load_config())
    if config:
        app.config.update(config)
        if "MAX_UPLOAD_MB" in config and "MAX_CONTENT_LENGTH" not in config:
            app.config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_MB"] * 1024 * 1024
        if "DATABASE_POOLER" in config and "SQLALCHEMY_ENGINE_OPTIONS" not in config:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)

    request_log.init_app(app)  # first: its hooks time the whole request; LOG_FORMAT
    logs.install()  # no personal data in any log record (see logs.py)
    for warning in app.config.get("CONFIG_WARNINGS", ()):
        logging.getLogger("bienveilleurs").warning(warning)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    replica.init_app(app)  # before the blueprints' hooks: it picks the request's database

    from . import models  # noqa: F401  (registers the tables on the metadata)
    from .web import register_web
    register_web(app)

    from .cli import register_cli
    register_cli(app)
    return app
