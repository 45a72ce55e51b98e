"""The app behind Debian's PgBouncer in transaction pooling mode (run as the `postgres` user
when the tests run as root: PgBouncer refuses root). Few server connections, so that every
client transaction lands on whichever one is free: the main flows work, two job runners at
once still run each job once, and the driver's automatic prepared statements (turned off by
DATABASE_POOLER=pgbouncer) are what would break it."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bienveilleurs import clock
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import ScheduledJob, User
from bienveilleurs.services import accounts, jobs

from ..conftest import api_headers
from ..factories import TEST_PASSWORD, make_resource, make_user
from ..referral_helpers import report_payload
from ..security.helpers import form_login, make_app
from .conftest import as_service_user, dispose, free_port, tool
from .servers import stop

pytestmark = pytest.mark.committed


class PgBouncer:
    """PgBouncer in transaction mode in front of the test cluster, on a loopback port."""

    def __init__(self, url, *, server_connections=1):
        binary = tool("pgbouncer")
        self.user, prefix = as_service_user()
        self.folder = Path(tempfile.mkdtemp(prefix="bv-pgbouncer-"))
        self.port = free_port()
        (self.folder / "users.txt").write_text(f'"{url.username}" "{url.password}"\n')
        (self.folder / "pgbouncer.ini").write_text(f"""
[databases]
* = host={url.host} port={url.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {self.folder}/users.txt
pool_mode = transaction
default_pool_size = {server_connections}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = {self.folder}/pgbouncer.log
pidfile = {self.folder}/pgbouncer.pid
""")
        for path in (self.folder, *self.folder.iterdir()):
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
            if prefix:
                shutil.chown(path, self.user)
        self.process = subprocess.Popen([*prefix, binary, str(self.folder / "pgbouncer.ini")],
                                        cwd="/", stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        self.url = url.set(host="127.0.0.1", port=self.port)
        try:
            self.wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def wait_until_answering(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            probe = create_engine(self.url, connect_args={"prepare_threshold": None})
            try:
                with probe.connect() as conn:
                    conn.execute(text("select 1"))
                return
            except DBAPIError:
                if self.process.poll() is not None:
                    pytest.fail("PgBouncer did not start: " + self.process.stderr.read().decode())
                time.sleep(0.2)
            finally:
                probe.dispose()
        pytest.fail("PgBouncer does not answer")

    def stop(self):
        stop(self.process, signal.SIGINT)  # PgBouncer's safe shutdown: clients are gone by now
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def bouncer(database_url):
    server = PgBouncer(make_url(database_url))
    yield server
    server.stop()


def _alternate(app):
    """Run one query again and again on two of the app's pooled connections, in turn;
    return the driver's error, if any."""
    with app.app_context(), _db.engine.connect() as first, _db.engine.connect() as second:
        try:
            for _ in range(6):
                for conn in (first, second):
                    conn.execute(select(User.id).where(User.role == "admin"))
                    conn.commit()
        except DBAPIError as exc:
            return str(exc.orig)
    return None


def test_the_drivers_prepared_statements_are_off_behind_pgbouncer(bouncer, committed):
    """The control: by default psycopg prepares a statement run five times; through one
    server connection shared by two clients, the second one's name collides. With
    DATABASE_POOLER=pgbouncer, the app's engine prepares nothing."""
    apps = {pooler: make_app(bouncer.url.render_as_string(hide_password=False),
                             DATABASE_POOLER=pooler) for pooler in ("", "pgbouncer")}
    try:
        assert re.search(r'prepared statement "_pg3_\d+" (already exists|does not exist)',
                         _alternate(apps[""]) or "")
        assert _alternate(apps["pgbouncer"]) is None
    finally:
        for app in apps.values():
            dispose(app)


def test_the_main_flows_work_through_pgbouncer_in_transaction_mode(
        database_url, bouncer, committed):
    app = make_app(bouncer.url.render_as_string(hide_password=False), DATABASE_POOLER="pgbouncer")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None
    coordinator = make_user(role="coordinator", email="coord@exemple.fr")
    make_resource()
    committed.commit()
    token = accounts.issue_token(coordinator.email)
    try:
        with app.app_context():
            assert make_url(str(_db.engine.url)).port == bouncer.port
        browser = app.test_client()
        signed = form_login(browser, "coord@exemple.fr", TEST_PASSWORD)
        assert signed.status_code in (302, 303), signed.get_data(as_text=True)[-500:]
        inbox = browser.get("/coordination/a-attribuer")
        assert inbox.status_code == 200 and "Mireille" not in inbox.get_data(as_text=True)
        api = app.test_client()
        headers = api_headers(token)
        results, errors = [], []

        def report(n):
            try:
                made = api.post("/api/v1/referrals", headers=headers,
                                json=report_payload(id=f"00000000-0000-4000-8000-00000000000{n}"))
                results.append(made.status_code)
            except Exception as exc:  # any driver error is the failure this test looks for
                errors.append(exc)

        threads = [threading.Thread(target=report, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and sorted(results) == [201] * 6
        assert "Mireille" in browser.get("/coordination/a-attribuer").get_data(as_text=True)
        match = api.get("/api/v1/match?lat=49.4944&lon=0.1079&categories=sante", headers=headers)
        assert match.status_code == 200 and match.get_json()["resources"]

        # Busy: the same statements, again and again, from several pooled connections at once
        # (the driver would prepare them after a few runs, each on whichever server it had).
        statuses = []

        def reads():
            client = app.test_client()
            for _ in range(8):
                statuses.append(client.get("/api/v1/match?lat=49.4944&lon=0.1079&categories=sante",
                                           headers=headers).status_code)
                statuses.append(client.get("/api/v1/me", headers=headers).status_code)

        readers = [threading.Thread(target=reads) for _ in range(4)]
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join()
        assert statuses == [200] * 64
        assert api.get("/hsds/services").status_code == 200
        assert api.get("/readyz").get_json() == {"status": "ok"}

        # Two job runners at once, through PgBouncer: each due job runs once.
        start = clock.now()
        with app.app_context(), clock.frozen(start):
            jobs.run_due()
        runs = []

        def runner():
            with app.app_context():
                runs.extend(jobs.run_due())

        with clock.frozen(start + timedelta(days=1)):
            pair = [threading.Thread(target=runner) for _ in range(2)]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join()
        done = [r.name for r in runs if r.outcome == "ok"]
        assert sorted(done) == sorted(set(done)) and "referrals.expire" in done
        assert not [r for r in runs if r.outcome == "failed"]
        committed.expire_all()
        assert committed.scalar(select(ScheduledJob.runs_total)
                                .where(ScheduledJob.name == "referrals.expire")) == 1
    finally:
        dispose(app)
