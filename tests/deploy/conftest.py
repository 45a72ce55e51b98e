"""What the deployment tests share: scratch databases, free ports, the tools they need.

These tests run the real programs (nginx, gunicorn, PgBouncer, pg_basebackup, age,
systemd-analyze) on loopback. `make test` installs them (scripts/dev.sh system test); a
missing one fails the test with the package to install, never skips it silently.
"""

import os
import pwd
import shutil
import socket
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bienveilleurs.extensions import db as _db

PACKAGES = {"nginx": "nginx", "pgbouncer": "pgbouncer", "age": "age", "age-keygen": "age",
            "openssl": "openssl", "systemd-analyze": "systemd", "pg_basebackup": "postgresql",
            "pg_dump": "postgresql-client", "pg_restore": "postgresql-client"}
SBIN = ("/usr/sbin", "/sbin")


def tool(name):
    """Return the path of a program the test needs, or fail saying which package brings it."""
    found = shutil.which(name) or next((os.path.join(d, name) for d in SBIN
                                        if os.access(os.path.join(d, name), os.X_OK)), None)
    if found is None:
        pytest.fail(f"{name} est introuvable : installez le paquet Debian "
                    f"{PACKAGES.get(name, name)} (make test le fait : scripts/dev.sh system test).")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_service_user():
    """(user name, argv prefix) to run a server that refuses root (PgBouncer, PostgreSQL)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name, []
    return "postgres", ["runuser", "-u", "postgres", "--"]


@pytest.fixture
def scratch_database(database_url):
    """Return a factory of empty databases on the test cluster, all dropped afterwards."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    made = []

    def make():
        name = f"bv_scratch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def dispose(app):
    with app.app_context():
        _db.engine.dispose()


def run(command, **kwargs):
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} a échoué ({result.returncode}) :\n"
                    f"{result.stdout}\n{result.stderr}")
    return result
