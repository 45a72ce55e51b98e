"""The installable relay app and the server side of its outbox (issue 5).

Service worker and manifest served from the root, public offline shells without personal
data, the minimal offline copy of "Mes personnes", the signed-in pages wiring the outbox,
and the API contract the outbox relies on: idempotent replays of reports and contacts
(sequential and concurrent, on committed rows), mismatches refused, and the chain of a
person reported offline (report → taking the person on → contact dated before both).
"""

import json
import re
import struct
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral, Resident
from bienveilleurs.web.relay import offline

from .conftest import api_headers
from .factories import make_relay, make_user
from .referral_helpers import (
    CATEGORY,
    LAT,
    LON,
    bring_to,
    make_world,
    new_referral,
    race,
    report_payload,
)

SHELLS = ("/hors-ligne", "/hors-ligne/mes-personnes", "/hors-ligne/contact", "/hors-ligne/signaler")


@pytest.fixture
def world(db):
    return make_world()


def _precache(body):
    match = re.search(r"^const PRECACHE = (\[.*\]);$", body, re.M)
    return json.loads(match.group(1))


# --- service worker, manifest, icons ------------------------------------------------------

def test_service_worker_is_served_from_the_root_with_the_app_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', body, re.M).group(1)
    assert 'addEventListener("fetch"' in body
    urls = _precache(body)
    for url in ("/static/css/app.css", "/static/js/outbox.js", "/static/js/outbox-core.js",
                "/static/icons/icon-192.png"):  # with the digest of their content (web/assets.py)
        assert any(re.fullmatch(re.escape(url) + r"\?v=[0-9a-f]{12}", u) for u in urls), url
    for url in ("/manifest.webmanifest", *SHELLS):
        assert url in urls
    assert any(re.match(r"/vendor/leaflet/leaflet\.js\?v=\d", url) for url in urls)
    # Every precached URL answers 200 without a session (the worker fetches them without cookies).
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert response.headers["ETag"] == f'"sw-{version}"'
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_service_worker_version_follows_the_files_it_caches(app, tmp_path, monkeypatch):
    shell_file = tmp_path / "shell.css"
    shell_file.write_text("a {}")
    sources = offline._sources
    with app.test_request_context():
        monkeypatch.setattr(offline, "_sources", lambda: sources() + [str(shell_file)])
        before = offline.shell_version()
        assert offline.shell_version() == before
        shell_file.write_text("a { color: red }")
        assert offline.shell_version() != before


def test_manifest_makes_an_installable_french_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["lang"] == "fr" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/mes-personnes" and manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon
        if icon["type"] == "image/png":
            data = image.get_data()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = struct.unpack(">II", data[16:24])
            assert f"{width}x{height}" == icon["sizes"]
            sizes.setdefault(icon["purpose"], set()).add(width)
    assert sizes["any"] >= {192, 512} and 512 in sizes["maskable"]


# --- shells and the minimal copy ----------------------------------------------------------

def test_offline_shells_are_public_and_identical_for_everyone(client, client_as, world):
    referral = bring_to(world, new_referral(world), "assigned")
    relay = client_as(world.relay_user)
    for path in SHELLS:
        anonymous = client.get(path)
        assert anonymous.status_code == 200, path
        assert anonymous.headers["Cache-Control"] == "no-cache"
        page = anonymous.get_data(as_text=True)
        assert "outbox.js" in page and "csrf_token" not in page and "data-user-id" not in page
        # What the worker stores (fetched without cookies) names nobody, whoever asks.
        assert "Mireille" not in relay.get(path).get_data(as_text=True)
    report = client.get("/hors-ligne/signaler").get_data(as_text=True)
    assert 'data-outbox="referral"' in report and "data-offline-shell" in report
    for name in ("first_name", "pseudonym", "category", "lat", "lon", "consent", "audiences"):
        assert f'name="{name}"' in report
    contact = client.get("/hors-ligne/contact").get_data(as_text=True)
    assert 'data-outbox="contact"' in contact and "data-offline-shell" in contact
    form = contact[contact.index("<form"):contact.index("</form>")]
    names = set(re.findall(r'name="([a-z_]+)"', form))
    assert names == {"id", "referral_id", "channel", "reached", "at", "note"}
    assert str(referral.id) not in contact


def test_offline_copy_holds_only_the_relays_open_people_and_the_minimum(world, client_as):
    mine = bring_to(world, new_referral(world), "contacted")
    closed = bring_to(world, new_referral(world, resident={"first_name": "Odette", "lat": LAT,
                                                          "lon": LON}), "closed")
    others = new_referral(world, resident={"pseudonym": "Le voisin", "lat": LAT, "lon": LON})
    from bienveilleurs.services import referrals as service
    service.transition(world.coordinator, others.id, "assigned", relay_id=world.other_relay.id)
    response = client_as(world.relay_user).get("/api/v1/me/offline", headers=api_headers())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["user_id"] == str(world.relay_user.id) and body["relay_id"] == str(world.relay.id)
    assert body["people"] == [{"id": str(mine.id), "name": "Mireille",
                               "next_step": "Orienter vers une ressource", "can_contact": True}]
    text = response.get_data(as_text=True)
    for secret in ("06 12 34 56 78", "Vit seule", CATEGORY, str(LAT), "Odette", "Le voisin",
                   str(closed.id)):
        assert secret not in text


def test_offline_copy_is_for_relays_and_for_the_apps_own_calls(world, client_as, client):
    assert client.get("/api/v1/me/offline", headers=api_headers()).status_code == 401
    assert client_as(world.coordinator).get("/api/v1/me/offline",
                                            headers=api_headers()).status_code == 403
    # A session call without the app's header is refused (another site cannot read it).
    assert client_as(world.relay_user).get("/api/v1/me/offline").status_code == 403


def test_signed_in_pages_wire_the_outbox_and_the_manifest(world, client_as, client):
    bring_to(world, new_referral(world), "assigned")
    page = client_as(world.relay_user).get("/mes-personnes").get_data(as_text=True)
    assert f'data-user-id="{world.relay_user.id}"' in page and 'data-role="relay"' in page
    for asset in ("/static/js/outbox-core.js", "/static/js/outbox.js", "/manifest.webmanifest"):
        assert asset in page
    login = client.get("/connexion").get_data(as_text=True)
    assert "/manifest.webmanifest" in login
    assert "outbox.js" not in login and "data-user-id" not in login


# --- the API contract of the outbox -------------------------------------------------------

def _post(client, path, body):
    return client.post(path, json=body, headers=api_headers())


def test_a_person_reported_offline_then_taken_on_then_contacted(world, client_as):
    """What the outbox sends for a person reported without network, in that order."""
    relay = client_as(world.relay_user)
    referral_id = str(uuid.uuid4())
    met_at = (clock.now() - timedelta(hours=3)).isoformat()  # before it all reached the server
    report = _post(relay, "/api/v1/referrals", report_payload(id=referral_id))
    assert report.status_code == 201 and report.json["id"] == referral_id
    assign = _post(relay, f"/api/v1/referrals/{referral_id}/transitions",
                   {"to": "assigned", "relay_id": str(world.relay.id)})
    assert assign.status_code == 200
    contact = {"id": str(uuid.uuid4()), "at": met_at, "channel": "visit", "reached": True,
               "note": "Premier café."}
    first = _post(relay, f"/api/v1/referrals/{referral_id}/contacts", contact)
    assert first.status_code == 201 and first.json["referral"]["status"] == "contacted"

    # Replays of the whole sequence (an answer lost on the way): nothing new.
    assert _post(relay, "/api/v1/referrals", report_payload(id=referral_id)).status_code == 200
    again = _post(relay, f"/api/v1/referrals/{referral_id}/transitions",
                  {"to": "assigned", "relay_id": str(world.relay.id)})
    # Assigned → assigned is a coordinator's reassignment: 403 for the relay. The outbox then
    # reads the referral: already this relay's, so that item is done.
    assert again.status_code == 403
    shown = relay.get(f"/api/v1/referrals/{referral_id}", headers=api_headers()).json
    assert shown["relay_id"] == str(world.relay.id)
    assert _post(relay, f"/api/v1/referrals/{referral_id}/contacts", contact).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_contact_uuid_is_never_reused_elsewhere(world, client_as):
    first = bring_to(world, new_referral(world), "assigned")
    second = bring_to(world, new_referral(world), "assigned")
    relay = client_as(world.relay_user)
    contact = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
               "reached": False}
    assert _post(relay, f"/api/v1/referrals/{first.id}/contacts", contact).status_code == 201
    # The same UUID about another person, or by another account: refused, nothing written.
    elsewhere = _post(relay, f"/api/v1/referrals/{second.id}/contacts", contact)
    assert elsewhere.status_code == 422
    assert elsewhere.json["error"]["code"] == "idempotency_mismatch"
    other = _post(client_as(world.coordinator), f"/api/v1/referrals/{first.id}/contacts", contact)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_mismatch"
    changed = _post(relay, f"/api/v1/referrals/{first.id}/contacts", {**contact, "reached": True})
    assert changed.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


@pytest.mark.committed
def test_two_senders_replaying_one_outbox_at_once_record_everything_once(app, committed):
    """The page and the service worker (or two tabs) may send the same items together."""
    coordinator = make_user(role="coordinator")
    relay_user = make_user(role="relay")
    relay = make_relay(user=relay_user, capacity=5, radius_m=3000)
    committed.commit()
    from bienveilleurs.services import referrals as service
    assigned, _ = service.report(coordinator, report_payload())
    service.transition(coordinator, assigned.id, "assigned", relay_id=relay.id)
    assigned_id, relay_user_id = assigned.id, relay_user.id
    reported = report_payload(id=str(uuid.uuid4()))
    contacts = [{"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
                 "reached": True, "note": f"Passage {n}"} for n in range(3)]

    def outbox(client):
        statuses = [_post(client, f"/api/v1/referrals/{assigned_id}/contacts", c).status_code
                    for c in contacts]
        statuses.append(_post(client, "/api/v1/referrals", reported).status_code)
        return tuple(statuses)

    results = race(app, relay_user_id, [outbox] * 5)
    assert all(isinstance(r, tuple) for r in results), results
    # For each item, exactly one sender created it and the others got the same record back.
    for index in range(4):
        assert Counter(r[index] for r in results) == {201: 1, 200: 4}, results
    committed.rollback()
    assert committed.scalar(select(func.count()).select_from(Contact)) == 3
    assert committed.scalar(select(func.count()).select_from(Referral)) == 2
    assert committed.scalar(select(func.count()).select_from(Resident)) == 2
