"""Issue 8: registering a relay by invitation in one form, ending a relay, their follow-up page."""

import html
import re

import pytest
from sqlalchemy import func, select

from bienveilleurs.models import AuditEntry, Notification, Referral, ReferralEvent, Relay, User
from bienveilleurs.services import referrals, relays_admin

from .factories import make_relay
from .referral_helpers import bring_to, make_world, new_referral


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def relay_form(**overrides):
    form = {"display_name": "Awa (test)", "email": "", "address": "", "lat": "49.50", "lon": "0.12",
            "radius_m": "800", "capacity": "2", "languages": "fr", "skills": "", "mode": "weekly",
            "availability": ""}
    form.update(overrides)
    return form


def test_a_coordinator_registers_a_relay_and_their_account_by_invitation_in_one_form(client_as, db):
    client = client_as("coordinator")
    page = client.get("/reseau/bienveilleurs/nouveau").get_data(as_text=True)
    response = client.post("/reseau/bienveilleurs/nouveau", data={
        "csrf_token": csrf(page), **relay_form(email="Awa@Test.Bienveilleurs.fr")})
    assert response.status_code == 303
    db.expire_all()
    user = db.scalar(select(User).where(User.email == "awa@test.bienveilleurs.fr"))
    assert (user.role, user.password_hash, user.display_name) == ("relay", None, "Awa (test)")
    relay = db.scalar(select(Relay).where(Relay.user_id == user.id))
    assert (relay.display_name, relay.radius_m, relay.capacity) == ("Awa (test)", 800, 2)
    (notification,) = db.scalars(select(Notification)).all()
    assert (notification.kind, notification.recipient_user_id) == ("invitation", user.id)
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["account.invited", "relay.registered", "relay.account_changed"]
    relays = client.get("/reseau/bienveilleurs").get_data(as_text=True)
    assert "Invitation envoyée à" in html.unescape(relays)


def test_an_invalid_relay_form_creates_neither_account_nor_invitation(client_as, db):
    client = client_as("coordinator")
    page = client.get("/reseau/bienveilleurs/nouveau").get_data(as_text=True)
    users = db.scalar(select(func.count()).select_from(User))
    response = client.post("/reseau/bienveilleurs/nouveau", data={
        "csrf_token": csrf(page),
        **relay_form(email="nouveau@test.bienveilleurs.fr", radius_m="999999")})
    assert response.status_code == 422
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User)) == users
    assert db.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_ending_a_relay_sends_every_active_referral_back_to_the_inbox(db):
    world = make_world(capacity=5)
    statuses = ["assigned", "contacted", "referred", "accepted"]
    active = {status: bring_to(world, new_referral(world), status) for status in statuses}
    closed = bring_to(world, new_referral(world), "closed")
    elsewhere = new_referral(world)
    referrals.transition(world.coordinator, elsewhere.id, "assigned", relay_id=world.other_relay.id)
    assert db.get(Relay, world.relay.id).active_referrals == 4

    relay, count = relays_admin.end_relay(world.coordinator, world.relay.id)
    assert count == 4
    db.expire_all()
    relay = db.get(Relay, world.relay.id)
    assert (relay.status, relay.active_referrals) == ("ended", 0) and relay.ended_at is not None
    # None orphaned: nothing active still points at the relay who left.
    assert db.scalar(select(func.count()).select_from(Referral).where(
        Referral.relay_id == relay.id, Referral.status.in_(referrals.ACTIVE_STATUSES))) == 0
    for status, referral in active.items():
        row = db.get(Referral, referral.id)
        assert (row.status, row.relay_id, row.resource_id) == ("reported", None, None)
        last = db.scalar(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                         .order_by(ReferralEvent.id.desc()))
        assert (last.from_status, last.to_status, last.reason, last.relay_id) == (
            status, "reported", "relay_ended", relay.id)
    inbox = {item.referral.id for item in referrals.coordinator_inbox(world.coordinator)
             if item.kind == "to_assign"}
    assert {r.id for r in active.values()} <= inbox
    assert db.get(Referral, closed.id).status == "closed"
    assert db.get(Referral, elsewhere.id).relay_id == world.other_relay.id
    # They can be assigned to someone else at once.
    referrals.transition(world.coordinator, active["accepted"].id, "assigned",
                         relay_id=world.other_relay.id)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "relay.ended"))
    assert entry.details["referrals_sent_back"] == 4
    # Ended, they are refused new people, and ending twice is a conflict.
    from bienveilleurs.errors import Conflict, ValidationFailed
    with pytest.raises(ValidationFailed):
        referrals.transition(world.coordinator, new_referral(world).id, "assigned",
                             relay_id=relay.id)
    with pytest.raises(Conflict):
        relays_admin.end_relay(world.coordinator, relay.id)


def test_relay_page_shows_load_history_and_ends_the_engagement(client_as, db):
    world = make_world()
    bring_to(world, new_referral(world), "contacted")
    client = client_as(world.coordinator)
    url = f"/reseau/bienveilleurs/{world.relay.id}/suivi"
    response = client.get(url)
    page = text(response)
    assert world.relay.display_name in page and "Contact établi : 1" in page
    assert "1 personne suivie sur 3" in page
    response = client.post(f"/reseau/bienveilleurs/{world.relay.id}/fin",
                           data={"csrf_token": csrf(response.get_data(as_text=True))})
    assert response.status_code == 303
    page = text(client.get(url))
    assert "1 orientation(s) reviennent à la coordination" in page and "Terminé" in page
    assert "Fin d'engagement" in page  # in the history


@pytest.mark.parametrize("role", ["relay", "social_worker"])
def test_relay_pages_are_for_coordination_only(client_as, db, role):
    relay = make_relay()
    client = client_as(role)
    assert client.get(f"/reseau/bienveilleurs/{relay.id}/suivi").status_code == 403
    assert client.post(f"/reseau/bienveilleurs/{relay.id}/fin").status_code in (400, 403)
    assert db.get(Relay, relay.id).status == "active"


def test_unknown_relay_is_a_404(client_as):
    assert client_as("coordinator").get(
        "/reseau/bienveilleurs/00000000-0000-0000-0000-000000000000/suivi").status_code == 404
