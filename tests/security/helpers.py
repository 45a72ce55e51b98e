"""Helpers for the security tests: extra apps with other settings, login through the form."""

import re

from bienveilleurs import create_app

from ..conftest import TEST_CONFIG, IsolatedClient
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
    return client.post("/connexion", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(client)}, headers=headers)


def session_cookie(client, app):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def with_cookie(app, value):
    """A fresh client that only carries this session cookie value (a replay)."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return client
