"""Test infrastructure: a real PostGIS database built by the migrations, once per run.

Each test runs inside an outer transaction that is rolled back (services' commits become
savepoint releases). Concurrency tests use `committed`, which really commits and truncates
afterwards. Browser tests share one headless Chromium and a live server.
"""

import contextlib
import contextvars
import os
import shutil
import threading
import uuid

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session, sessionmaker

from bienveilleurs import clock, create_app
from bienveilleurs.extensions import db as _db

from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, make_user

KEEP_TABLES = {"alembic_version", "spatial_ref_sys"}

# Hypothesis profiles: "ci" keeps database-backed property tests fast in `make test`;
# HYPOTHESIS_PROFILE=thorough explores more. Tests opt in with settings.get_profile(...).
settings.register_profile("ci", max_examples=50, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, stateful_step_count=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="session")
def database_url():
    """Create a database of its own for this run, so parallel runs never collide."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.exit("DATABASE_URL n'est pas défini : lancez les tests avec `make test`.",
                    returncode=2)
    url = make_url(base)
    name = f"bv_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TEST_CONFIG = {
    "SECRET_KEY": "test-secret-key",
    "SERVER_NAME": None,
    "TILE_URL": "",
    "GEOCODER_URL": "",
}


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as in production.

    Tests hold an app context open; Flask would reuse it for the requests, sharing `g` (and
    the signed-in user) between requests. Running each request in an empty contextvars
    context makes it push its own.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    """The application, with the schema built by running every migration."""
    os.environ.setdefault("BIENVEILLEURS_ENV", "test")
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade
        upgrade()
        _db.engine.dispose()
    return application


@contextlib.contextmanager
def rolled_back_session(app):
    """Yield a session joined to an outer transaction that is rolled back at the end."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                         expire_on_commit=False),
            scopefunc=_app_ctx_id)
        original, _db.session = _db.session, session
        try:
            yield session
        finally:
            session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def db(app):
    """A session joined to an outer transaction that is rolled back after the test."""
    with rolled_back_session(app) as session:
        yield session


def truncate_all(app):
    """Empty every table; end any connection a test left open in a transaction first.

    A thread or a client left "idle in transaction" would otherwise hold its locks and
    make the TRUNCATE wait forever, hanging the whole run.
    """
    with app.app_context():
        for attempt in range(3):
            try:
                with _db.engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '15s'"))
                    tables = [row[0] for row in conn.execute(text(
                        "select tablename from pg_tables where schemaname = 'public'"))
                        if row[0] not in KEEP_TABLES]
                    if tables:
                        # The access log refuses TRUNCATE unless told (migration priv_01).
                        conn.execute(text(
                            "SET LOCAL bienveilleurs.allow_access_log_truncate = 'on'"))
                        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                          + " CASCADE"))
                return
            except OperationalError:
                if attempt == 2:
                    raise
                with _db.engine.connect() as conn:
                    conn.execute(text(
                        "select pg_terminate_backend(pid) from pg_stat_activity "
                        "where datname = current_database() and pid <> pg_backend_pid() "
                        "and state like 'idle in transaction%'"))
                _db.engine.dispose()


@pytest.fixture
def committed(app):
    """Real commits, seen by several connections; every table is emptied afterwards."""
    truncate_all(app)
    with app.app_context():
        yield _db.session
        _db.session.remove()
    truncate_all(app)


@pytest.fixture
def client(app, db):
    return app.test_client()


def sign_in(client, user):
    """Give a test client a signed-in session for `user` (as the login page would, the
    second factor given)."""
    now = clock.now().timestamp()  # the frozen clock in timeout tests
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["started"] = sess["seen"] = now
        sess["second_factor"] = True
    return client


def totp_code(email, secret=TEST_TOTP_SECRET):
    """A code the account has not used yet: this time step's, else the next one's (accepted
    too, for a phone a little ahead); waits for a new step when both were used."""
    import time

    from sqlalchemy import select

    from bienveilleurs.models import User
    from bienveilleurs.services import two_factor
    while True:
        _db.session.expire_all()
        last = _db.session.scalar(select(User.totp_last_step).where(User.email == email))
        now = two_factor.current_step(secret)
        step = now if last is None or last < now else last + 1
        if step <= now + two_factor.DRIFT_STEPS:
            return two_factor.code_at_step(secret, step)
        time.sleep(1)


@pytest.fixture
def client_as(app, db):
    """Return a factory: `client_as("coordinator")` or `client_as(user)` → a signed-in client."""
    def factory(who, **user_kwargs):
        user = who if not isinstance(who, str) else make_user(role=who, **user_kwargs)
        client = app.test_client()
        sign_in(client, user)
        client.user = user
        return client
    return factory


def api_headers(token=None):
    """Headers of a session call made by the app's own pages (see API.md)."""
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {"X-Requested-With": "bienveilleurs", "Origin": "http://localhost"}


# --- browser tests ------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app on a free local port in a thread, for the browser tests."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's) for the whole run."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium est absent : `make test` l'installe (paquet Debian chromium).")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture
def phone(browser, live_server, committed):
    """A fresh phone-sized browser context on the live server, recording console errors."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def open_menu(page):
    """On a phone, press the header's « Menu » (a <details> summary), as a user would, to reach
    the navigation and the account block (templates/base.html)."""
    page.locator("[data-site-menu] > summary").click()
    assert page.locator("[data-site-menu]").get_attribute("open") is not None


def browser_login(page, email, password=TEST_PASSWORD, totp_secret=TEST_TOTP_SECRET):
    """Sign in through the pages; the code step, when the account has one, with its secret."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/connexion/code"):
        page.get_by_label("Code à 6 chiffres (ou code de secours)").fill(
            totp_code(email, totp_secret))
        page.get_by_role("button", name="Valider").click()
        page.wait_for_load_state()


def browser_enrol(page, email):
    """On the enrolment page an account without its second factor is sent to: read the key as
    an authenticator app would, give its code, note the recovery codes, go on. Returns the
    key and the recovery codes."""
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Activer la double authentification")
    assert page.locator(".qr-code svg").is_visible()
    secret = page.locator(".secret-key").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres (ou code de secours)").fill(totp_code(email, secret))
    page.get_by_role("button", name="Activer").click()
    page.wait_for_load_state()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    page.wait_for_load_state()
    return secret, codes
