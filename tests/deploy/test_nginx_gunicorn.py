"""The shipped deployment, run: Debian's nginx with deploy/nginx/bienveilleurs.conf (filled for
loopback ports and a throwaway certificate) in front of gunicorn started as the web unit says,
in production mode. Checked through nginx: TLS and HTTP/2, sign-in, an API call, cache headers
of static files and of /sw.js, the client address the app sees, 413 for an oversized body,
slow clients held by nginx, JSON logs with nginx's request id, metrics added up over the
workers, and a graceful reload that loses no request."""

import os
import re
import signal
import socket
import ssl
import threading
import time

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from bienveilleurs.extensions import db as _db
from bienveilleurs.models import LoginThrottle
from bienveilleurs.services import accounts

from ..conftest import truncate_all
from ..factories import TEST_PASSWORD, make_resource, make_user
from ..referral_helpers import LAT, LON
from .servers import Gunicorn, Nginx, request_lines

pytestmark = pytest.mark.committed  # committed rows, seen by gunicorn; emptied afterwards

METRICS_TOKEN = "jeton-des-mesures-de-test"


class FromAddress(HTTPAdapter):
    """Connect from another loopback address, as another client would."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def site(app, database_url, tmp_path_factory):
    """gunicorn and nginx, started once for this module (workers take seconds to start)."""
    truncate_all(app)
    folder = tmp_path_factory.mktemp("site")
    web = proxy = None
    with app.app_context():
        try:
            coordinator = make_user(role="coordinator", email="coord@exemple.fr",
                                    display_name="Claire Coordination")
            # Coordinators sign in with a second factor: the form test signs a relay in.
            make_user(role="relay", email="relais@exemple.fr", display_name="Rémi Relais")
            make_resource(name="Épicerie solidaire du quartier")
            _db.session.commit()
            token = accounts.issue_token(coordinator.email)
            web = Gunicorn(folder, {
                "DATABASE_URL": database_url, "BIENVEILLEURS_ENV": "production",
                "SECRET_KEY": "une-cle-de-test-pour-la-production", "TRUSTED_PROXIES": "1",
                "LOG_FORMAT": "json", "MAX_UPLOAD_MB": "1", "METRICS_TOKEN": METRICS_TOKEN,
                "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2",
                "BASE_URL": "https://localhost"})
            proxy = Nginx(folder, upstream=f"127.0.0.1:{web.port}",
                          static_dir=app.static_folder, max_upload_mb=1)
            yield proxy, web, client(proxy), token, _db.session
        finally:
            for server in (proxy, web):
                if server is not None:
                    server.stop()
            _db.session.remove()
            truncate_all(app)


def client(proxy, address=None):
    """A requests session that trusts the throwaway certificate and nothing from the
    environment (no proxy, no other CA bundle)."""
    http = requests.Session()
    http.trust_env = False
    http.verify = str(proxy.cert)
    if address:
        http.mount("https://", FromAddress(address))
    return http


def _csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_site_through_nginx(site):
    proxy, web, http, token, session = site
    http = client(proxy)  # a session of its own (it signs in)
    assert proxy.alpn() == "h2"

    health = http.get(f"{proxy.url}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert re.fullmatch(r"[0-9a-f]{32}", health.headers["X-Request-Id"])
    assert http.get(f"{proxy.url}/readyz").json() == {"status": "ok"}
    plain_http = client(proxy).get(f"http://127.0.0.1:{proxy.http_port}/connexion",
                                   allow_redirects=False)
    assert plain_http.status_code == 301
    assert plain_http.headers["Location"].startswith("https://")

    # Sign in with the form: a Secure __Host- cookie over TLS, CSRF checked.
    login = http.get(f"{proxy.url}/connexion")
    signed = http.post(f"{proxy.url}/connexion", headers={"Referer": login.url}, data={
        "email": "relais@exemple.fr", "password": TEST_PASSWORD, "csrf_token": _csrf(login.text)})
    assert signed.status_code == 200 and "Rémi Relais" in signed.text
    assert "__Host-session" in http.cookies
    assert signed.history and signed.history[0].status_code in (302, 303)
    assert "max-age=63072000" in signed.headers["Strict-Transport-Security"]

    # An API call with a token (an integration: no session cookie).
    match = client(proxy).get(f"{proxy.url}/api/v1/match",
                     params={"lat": LAT, "lon": LON, "categories": "sante"},
                     headers={"Authorization": f"Bearer {token}"})
    assert match.status_code == 200
    assert [r["name"] for r in match.json()["resources"]] == ["Épicerie solidaire du quartier"]

    # Static files: served by nginx (no request id from the app), a year when versioned.
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', signed.text).group(1)
    versioned = http.get(f"{proxy.url}{css}")
    assert versioned.status_code == 200 and "X-Request-Id" not in versioned.headers
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = http.get(f"{proxy.url}/static/css/app.css")
    assert plain.headers["Cache-Control"] == "no-cache"
    # /sw.js: never kept without asking the server (no-store for a signed-in browser).
    assert http.get(f"{proxy.url}/sw.js").headers["Cache-Control"] == "no-store"
    worker = client(proxy).get(f"{proxy.url}/sw.js")
    assert worker.status_code == 200 and worker.headers["Cache-Control"] == "no-cache"
    assert "X-Request-Id" in worker.headers and '"sw-' in worker.headers["ETag"]  # W/ if gzipped
    unchanged = client(proxy).get(f"{proxy.url}/sw.js",
                                  headers={"If-None-Match": worker.headers["ETag"]})
    assert unchanged.status_code == 304

    # The client address the app sees: the one nginx saw, never one the client wrote.
    other = client(proxy, address="127.0.0.2")
    page = other.get(f"{proxy.url}/connexion")
    failed = other.post(f"{proxy.url}/connexion", headers={"X-Forwarded-For": "203.0.113.9",
                                                          "Referer": page.url},
                        data={"email": "coord@exemple.fr", "password": "pas le bon",
                              "csrf_token": _csrf(page.text)})
    assert failed.status_code in (200, 401, 422)
    session.expire_all()
    keys = set(session.scalars(select(LoginThrottle.key)))
    assert "address:127.0.0.2" in keys and "address:203.0.113.9" not in keys

    # Over MAX_UPLOAD_MB: refused by nginx, in French, JSON for the API.
    big = b"x" * (1024 * 1024 + 10)
    refused = http.post(f"{proxy.url}/api/v1/resources", data=big,
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json"})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_large"
    page_refused = http.post(f"{proxy.url}/connexion", data=big)
    assert page_refused.status_code == 413 and "trop volumineux" in page_refused.text

    # Logs: JSON lines with nginx's request id; never the query string nor the position.
    time.sleep(0.2)
    lines = request_lines(web.log)
    logged = [line for line in lines if line.get("route") == "/api/v1/match"]
    assert logged and logged[0]["request_id"] == match.headers["X-Request-Id"]
    assert logged[0]["status"] == 200 and logged[0]["duration_ms"] > 0
    everything = web.log.read_text() + proxy.access_log()
    assert str(LAT) not in everything and "lat=" not in everything
    assert match.headers["X-Request-Id"] in proxy.access_log()


def _slow_header_clients(port, count, *, tls_host=None):
    """Open `count` connections that send half a request, then wait."""
    held = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        if tls_host:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            raw = context.wrap_socket(raw, server_hostname=tls_host)
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        held.append(raw)
    return held


def test_slow_clients_hold_nginx_not_the_workers(site):
    proxy, web, http, _, _ = site
    assert http.get(f"{proxy.url}/healthz").status_code == 200
    held = _slow_header_clients(proxy.port, 16, tls_host="localhost")
    try:
        started = time.monotonic()
        answer = http.get(f"{proxy.url}/healthz", timeout=5)
        assert answer.status_code == 200 and time.monotonic() - started < 1.5
    finally:
        for sock in held:
            sock.close()


def test_metrics_add_up_every_worker_and_a_reload_loses_no_request(site):
    proxy, web, http, _, _ = site
    earlier = _served(http, proxy, "/healthz")
    before = web.workers()
    assert len(before) == 2
    errors, answered, running = [], [], True

    def hammer():
        while running:
            try:
                # The new workers import the app before they accept: a pause, not a loss.
                answered.append(http.get(f"{proxy.url}/healthz", timeout=60).status_code)
            except requests.RequestException as exc:  # a reload must not lose any
                errors.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    time.sleep(0.5)
    os.kill(web.process.pid, signal.SIGHUP)  # systemctl reload: ExecReload sends HUP
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not set(web.workers()).isdisjoint(before):
        time.sleep(0.2)
    time.sleep(0.5)
    running = False
    thread.join()
    after = web.workers()
    assert len(after) == 2 and set(after).isdisjoint(before), (before, after)
    assert errors == [] and answered and set(answered) == {200}

    # Every /healthz answered, by the old workers (gone) and the new ones, counted once.
    assert _served(http, proxy, "/healthz") - earlier == len(answered)
    assert http.get(f"{proxy.url}/metrics").status_code == 404


def _served(http, proxy, route):
    """Requests answered on `route`, as Prometheus reads them (every worker added up)."""
    scrape = http.get(f"{proxy.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scrape.status_code == 200
    return sum(float(line.rsplit(" ", 1)[1]) for line in scrape.text.splitlines()
               if line.startswith("bienveilleurs_http_requests_total{")
               and f'route="{route}"' in line)
