"""A real streaming standby of the test cluster (pg_basebackup -R, on loopback): read-only
requests go there; a client that just wrote reads from the primary; replay paused beyond
the bound, or the standby down, and reads go to the primary."""

import glob
import logging
import os
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bienveilleurs import clock, replica
from bienveilleurs.services import accounts

from ..conftest import api_headers
from ..factories import make_resource, make_user
from ..security.helpers import make_app
from .conftest import as_service_user, dispose, free_port, run, tool

pytestmark = pytest.mark.committed


def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"{name} introuvable : installez le paquet Debian postgresql.")
    return found[-1]


HOT_STANDBY_LIMITS = ("max_connections", "max_worker_processes", "max_wal_senders",
                      "max_prepared_transactions", "max_locks_per_transaction")


class Standby:
    """A hot standby of the cluster behind `url`, streaming from it, on its own port."""

    def __init__(self, url):
        tool("pg_basebackup")
        self.user, self.prefix = as_service_user()
        self.folder = Path(tempfile.mkdtemp(prefix="bv-standby-"))
        self.data = self.folder / "data"
        self.port = free_port()
        passfile = self.folder / "pgpass"
        passfile.write_text(f"{url.host}:{url.port}:*:{url.username}:{url.password}\n")
        os.chmod(passfile, 0o600)
        if self.prefix:
            shutil.chown(self.folder, self.user)
            shutil.chown(passfile, self.user)
        env = {**os.environ, "PGPASSFILE": str(passfile)}
        run([*self.prefix, "env", f"PGPASSFILE={passfile}", _pg_bin("pg_basebackup"),
             "-h", url.host, "-p", str(url.port), "-U", url.username, "-D", str(self.data),
             "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"], env=env)
        # A hot standby needs at least the primary's limits.
        primary = create_engine(url)
        with primary.connect() as conn:
            limits = " ".join(f"-c {name}={conn.execute(text(f'show {name}')).scalar()}"
                              for name in HOT_STANDBY_LIMITS)
        primary.dispose()
        started = subprocess.run(
            [*self.prefix, _pg_bin("pg_ctl"), "-D", str(self.data), "-l",
             str(self.folder / "standby.log"), "-w", "-t", "60", "-o",
             f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
             f"-c hot_standby=on -c fsync=off {limits}", "start"], cwd="/")
        if started.returncode != 0:
            pytest.fail("the standby did not start:\n"
                        + (self.folder / "standby.log").read_text()[-2000:])
        self.url = url.set(port=self.port)
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            self.wait_for(lambda c: c.execute(text(
                "select status from pg_stat_wal_receiver")).scalar() == "streaming")
        except BaseException:
            self.remove()
            raise

    def wait_for(self, condition, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                if condition(conn):
                    return
            time.sleep(0.1)
        raise AssertionError("the standby never got there")

    def sql(self, statement):
        with self.engine.connect() as conn:
            return conn.execute(text(statement)).scalar()

    def stop(self):
        self.engine.dispose()
        subprocess.run([*self.prefix, _pg_bin("pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], cwd="/", capture_output=True)

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def standby(database_url):
    server = Standby(make_url(database_url))
    yield server
    server.remove()


def test_reads_go_to_the_standby_unless_the_client_wrote_or_it_lags_or_is_down(
        database_url, committed, standby, caplog, monkeypatch):
    monkeypatch.setattr(replica, "CHECK_EVERY_S", 0)  # check the standby at every request
    app = make_app(database_url, DATABASE_REPLICA_URL=standby.url.render_as_string(
        hide_password=False), REPLICA_MAX_LAG_S=30)
    coordinator = make_user(role="coordinator")
    first = make_resource(name="Maison de quartier")
    committed.commit()
    token = accounts.issue_token(coordinator.email)
    standby.wait_for(lambda c: c.execute(text("select count(*) from api_tokens")).scalar() == 1)
    caplog.set_level(logging.INFO, logger="bienveilleurs.request")
    writer, reader = app.test_client(), app.test_client()
    headers = api_headers(token)

    def served(client, path, **kwargs):
        caplog.clear()
        response = client.get(path, headers=headers, **kwargs)
        return response.status_code, caplog.records[-1].database

    try:
        assert served(reader, f"/api/v1/resources/{first.id}") == (200, "standby")
        assert served(reader, "/api/v1/me") == (200, "primary")  # not marked read-only

        standby.sql("select pg_wal_replay_pause()")
        created = writer.post("/api/v1/resources", headers=headers, json={
            "name": "Épicerie solidaire", "categories": ["sante--sante-mentale"],
            "lat": 49.4944, "lon": 0.1079})
        assert created.status_code == 201, created.get_json()
        new = f"/api/v1/resources/{created.get_json()['id']}"
        # The writer reads its own write (the primary); the reader sees the standby's past.
        assert served(writer, new) == (200, "primary")
        assert served(reader, new) == (404, "standby")
        hsds = reader.get("/hsds/services").get_json()
        assert "Épicerie solidaire" not in str(hsds)
        # Later, the writer is back on the standby like everyone.
        with app.app_context():
            sticky = replica.sticky_seconds()  # this app's bound, 30 s: 33 s
        with clock.frozen(clock.now() + timedelta(seconds=sticky + 1)):
            assert served(writer, new) == (404, "standby")

        # Replay paused past the bound: reads go to the primary.
        app.config["REPLICA_MAX_LAG_S"] = 1
        time.sleep(1.5)
        assert served(reader, new) == (200, "primary")

        app.config["REPLICA_MAX_LAG_S"] = 30
        standby.sql("select pg_wal_replay_resume()")
        standby.wait_for(lambda c: c.execute(text("select count(*) from resources")).scalar() == 2)
        assert served(reader, new) == (200, "standby")

        standby.stop()
        assert served(reader, new) == (200, "primary")
        assert "standby unreachable" in caplog.text
    finally:
        dispose(app)
        with app.app_context():
            replica.standby().engine.dispose()
