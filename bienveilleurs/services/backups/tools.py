"""What creating and restoring share: the database to talk to, the tools, the error."""

import os
import shutil

from flask import current_app
from sqlalchemy.engine import make_url

from ...config import setting


class BackupError(Exception):
    """A backup or a restore refused or failed; the message is in French, for the admin."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def database_url():
    """PostgreSQL itself (DATABASE_DIRECT_URL, else the app's database), as SQLAlchemy's URL."""
    url = setting("DATABASE_DIRECT_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return make_url(url)


def libpq_args(url):
    """Return (a libpq URL without the password, an environment with PGPASSWORD).

    The password never appears on a command line, where every local user could read it.
    """
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def require_tool(name):
    if shutil.which(name) is None:
        package = {"age": "age"}.get(name, "postgresql-client")
        raise BackupError(f"L'outil {name} est introuvable : installez le paquet Debian {package}.")
