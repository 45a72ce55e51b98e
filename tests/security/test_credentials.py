"""A new password ends API tokens as well as sessions; a link's secret is never kept readable in
the session cookie; in development without SECRET_KEY every process shares one persisted key."""

import json
import os
import re
import stat
import subprocess
import sys

from sqlalchemy import select

from bienveilleurs.models import Notification, User
from bienveilleurs.services import accounts, invitations

from ..conftest import api_headers
from ..factories import TEST_PASSWORD, make_user
from .helpers import csrf_token, form_login, session_cookie

NEW_PASSWORD = "un tout nouveau mot de passe"


def _token_works(app, token):
    return app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 200


def test_a_password_change_ends_api_tokens(app, db):
    make_user(role="relay", email="jeton@b.fr")
    token = accounts.issue_token("jeton@b.fr", label="script")
    assert _token_works(app, token)
    client = app.test_client()
    form_login(client, "jeton@b.fr")
    response = client.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(client, "/compte/mot-de-passe"),
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert not _token_works(app, token)


def _reset_link(db, email):
    db.expire_all()
    body = db.scalar(select(Notification.body_text).join(
        User, User.id == Notification.recipient_user_id).where(
        User.email == email, Notification.kind == "password_reset"))
    return re.search(r"/reinitialisation/(\S+)", body).group(1)


def test_a_password_reset_ends_api_tokens_and_keeps_the_secret_out_of_the_cookie(app, db):
    make_user(role="relay", email="oubli@b.fr")
    token = accounts.issue_token("oubli@b.fr")
    invitations.request_password_reset("oubli@b.fr", address="192.0.2.1")
    secret = _reset_link(db, "oubli@b.fr")

    client = app.test_client()
    opened = client.get(f"/reinitialisation/{secret}")
    assert opened.status_code == 303 and secret not in opened.headers["Location"]
    cookie = session_cookie(client, app)
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in cookie and secret not in json.dumps(stored)
    page = client.get("/reinitialisation")
    assert page.status_code == 200
    done = client.post("/reinitialisation", data={
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                page.get_data(as_text=True)).group(1)})
    assert done.status_code == 303
    assert not _token_works(app, token)
    # The link served once; holding its row id in a cookie gives nothing more.
    assert client.get("/reinitialisation").status_code == 404
    assert form_login(app.test_client(), "oubli@b.fr", NEW_PASSWORD).status_code == 303


def test_an_invalid_link_is_said_at_once(app, db):
    response = app.test_client().get("/invitation/pas-un-vrai-lien")
    assert response.status_code == 404 and "pas valable" in response.get_data(as_text=True)


KEY_OF_ONE_PROCESS = (
    "import sys, bienveilleurs.config as c; c.DEV_SECRET_FILE = sys.argv[1]; "
    "print(c.load_config({'DATABASE_URL': 'postgresql://x/y', "
    "'BIENVEILLEURS_ENV': 'development'})['SECRET_KEY'])")


def test_development_without_secret_key_shares_one_persisted_key(tmp_path):
    """Two gunicorn workers (two processes) started together get the same key, kept in a
    private file that the next start reads again."""
    path = tmp_path / ".dev" / "secret_key"
    processes = [subprocess.Popen([sys.executable, "-c", KEY_OF_ONE_PROCESS, str(path)],
                                  stdout=subprocess.PIPE, text=True) for _ in range(3)]
    keys = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = subprocess.run([sys.executable, "-c", KEY_OF_ONE_PROCESS, str(path)],
                           capture_output=True, text=True, timeout=60, check=True)
    assert again.stdout.strip() == path.read_text().strip()
    assert sorted(os.listdir(path.parent)) == ["secret_key"]  # no temporary file left


def test_the_development_key_file_is_not_in_git():
    from bienveilleurs.config import DEV_SECRET_FILE, ROOT
    result = subprocess.run(["git", "check-ignore", "-q", DEV_SECRET_FILE], cwd=ROOT)
    assert result.returncode == 0
