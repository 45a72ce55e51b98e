"""Helpers for the security tests: extra apps with other settings, login through the form,
a world shared by a module in a rolled-back transaction, requests whose writes are undone."""

import re
from contextlib import contextmanager

from bienveilleurs import create_app

from ..conftest import TEST_CONFIG, IsolatedClient, rolled_back_session, totp_code
from ..factories import TEST_PASSWORD


def make_app(database_url, **overrides):
    """Build another application on the test database, with some settings changed."""
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    application.test_client_class = IsolatedClient
    return application


def csrf_token(client, path="/connexion"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def form_login(client, email, password=TEST_PASSWORD, **headers):
    """Sign in through the form; the code step too when the account has a second factor."""
    response = client.post("/connexion", data={"email": email, "password": password,
                                               "csrf_token": csrf_token(client)}, headers=headers)
    if response.status_code == 303 and response.headers["Location"].endswith("/connexion/code"):
        response = client.post("/connexion/code", headers=headers, data={
            "code": totp_code(email), "csrf_token": csrf_token(client, "/connexion/code")})
    return response


def session_cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def with_cookie(app, value):
    """A fresh client that only carries this session cookie value (a replay)."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return client


@contextmanager
def rolled_back_world(app, build):
    """Yield (session, world) built once by `build()` for a whole module, in a transaction
    rolled back at the end (as the `db` fixture does per test)."""
    with rolled_back_session(app) as session:
        world = build()
        session.commit()
        yield session, world


def undone(db, send):
    """Return what `send()` returns, every write of the request undone afterwards.

    A savepoint of our own, out of SQLAlchemy's sight: the request's session nests its own
    in it, so that every caller meets the same world.
    """
    db.commit()
    connection = db.get_bind()
    connection.exec_driver_sql("SAVEPOINT undone_request")
    try:
        return send(connection)
    finally:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT undone_request")
        db.expire_all()
