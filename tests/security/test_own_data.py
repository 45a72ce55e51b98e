"""« Mes données »: a relay (and a social worker) sees and downloads what the app holds about
them — account, relay profile, referrals held now or before, contacts logged, messages, the
logs about them — and nothing about the people they follow."""

import json
import uuid

from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.models import Notification
from bienveilleurs.services import referrals as service
from bienveilleurs.services.access_log import record_access

from ..referral_helpers import bring_to, make_world, new_referral

RESIDENT_DATA = ("Mireille", "06 12 34 56 78", "Vit seule", "Parle de son fils")


def test_a_relay_sees_and_downloads_their_own_data(app, db, client_as):
    world = make_world()
    held = bring_to(world, new_referral(world), "contacted")
    contact, _ = service.log_contact(world.relay_user, held.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
        "reached": True, "note": "Parle de son fils à Rouen."})
    handed_over = bring_to(world, new_referral(world, category="mobilite"), "assigned")
    service.transition(world.coordinator, handed_over.id, "assigned",
                       relay_id=world.other_relay.id, version=handed_over.version)
    record_access(world.coordinator, "referral.read", "referral", held.id)
    db.flush()

    client = client_as(world.relay_user)
    page = client.get("/compte/mes-donnees/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert world.relay_user.email in html and "Rémi Relais" in html

    response = client.get("/compte/mes-donnees/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == world.relay_user.email
    assert data["relay"]["id"] == str(world.relay.id) and data["relay"]["point"]["lat"]
    held_now = {h["referral_id"]: h for h in data["referrals_held"]}
    assert held_now[str(held.id)]["holding_now"] and held_now[str(held.id)]["status"] == (
        "contacted")
    before = held_now[str(handed_over.id)]
    assert not before["holding_now"] and before["status"] is None and before["assigned_at"]
    assert [c["id"] for c in data["contacts"]] == [str(contact.id)]
    assert "note" not in data["contacts"][0]
    sent_to_me = db.scalars(select(Notification.id)
                            .where(Notification.recipient_user_id == world.relay_user.id)).all()
    assert sorted(n["id"] for n in data["notifications"]) == sorted(sent_to_me) and sent_to_me
    assert all("subject" not in n and "body_text" not in n for n in data["notifications"])
    text = json.dumps(data, ensure_ascii=False) + html
    for secret in RESIDENT_DATA:
        assert secret not in text, secret


def test_a_social_worker_sees_their_structures_and_the_moves_they_made(app, db, client_as):
    world = make_world()
    referral = bring_to(world, new_referral(world), "referred")
    service.transition(world.social, referral.id, "accepted")
    data = client_as(world.social).get("/compte/mes-donnees/export.json").get_json()
    assert [s["id"] for s in data["account"]["structures"]] == [str(world.structure.id)]
    assert [(m["referral_id"], m["to_status"]) for m in data["moves"]] == [
        (str(referral.id), "accepted")]
    assert data["relay"] is None and data["referrals_held"] == []
    assert "Mireille" not in json.dumps(data, ensure_ascii=False)


def test_everyone_reaches_it_from_mon_compte(app, db, client_as):
    for role in ("relay", "social_worker", "coordinator", "admin"):
        client = client_as(role)
        html = client.get("/compte/").get_data(as_text=True)
        assert "/compte/mes-donnees/" in html and "/compte/double-authentification/" in html, role
        assert client.get("/compte/mes-donnees/").status_code == 200, role
    assert client_as("relay").application.test_client().get(
        "/compte/mes-donnees/export.json").status_code == 302
