"""The referral service: the transition table move by move, scoping, stale list, expiry, demo."""

import itertools
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.errors import Forbidden, InvalidTransition, NotFound
from bienveilleurs.extensions import db
from bienveilleurs.models import STATUSES, Referral, ReferralEvent, Relay, User
from bienveilleurs.services import referrals as service
from bienveilleurs.services.referrals import structure_link as links

from .conftest import api_headers
from .factories import make_territory, make_user
from .referral_helpers import bring_to, make_world, new_referral, snapshot

LISTED = {(source, target) for (source, target) in service.MOVES}
UNLISTED = sorted(set(itertools.product(STATUSES, STATUSES)) - LISTED)


def test_the_table_is_the_table_of_api_md():
    # Written out again from API.md, so that an edit of either side shows here.
    expected = {
        ("reported", "assigned"), ("assigned", "assigned"), ("contacted", "assigned"),
        ("assigned", "reported"), ("assigned", "contacted"), ("contacted", "referred"),
        ("referred", "accepted"), ("referred", "contacted"), ("accepted", "closed"),
        ("reported", "closed"), ("assigned", "closed"), ("contacted", "closed"),
        ("referred", "closed"), ("closed", "reported"),
    }
    assert LISTED == expected
    assert all("opposed" not in move.outcomes for move in service.TRANSITIONS)
    close_from_accepted = {m.name: m for m in service.MOVES[("accepted", "closed")]}
    assert set(close_from_accepted) == {"close"}


@pytest.fixture
def world(db):
    return make_world()


def _fields_for(world, source, target):
    """Values that would satisfy the move's needs, so only the table can refuse it."""
    return {"relay_id": world.other_relay.id if source != "reported" else world.relay.id,
            "resource_id": world.other_resource.id, "reason": "test", "outcome": "helped"}


@pytest.mark.parametrize("source,target", UNLISTED, ids=[f"{s}->{t}" for s, t in UNLISTED])
def test_every_move_not_in_the_table_is_refused_and_changes_nothing(world, source, target):
    referral = bring_to(world, new_referral(world), source)
    before = snapshot(referral.id)
    with pytest.raises(InvalidTransition):
        service.transition(world.coordinator, referral.id, target, version=referral.version,
                           **_fields_for(world, source, target))
    assert snapshot(referral.id) == before


# (source, target) → capacities allowed by API.md; every other viewer must get 403 (or 404
# when the referral is not in their scope at all).
ALLOWED = {
    ("reported", "assigned"): {"coordinator", "relay_self"},
    ("assigned", "assigned"): {"coordinator"},
    ("contacted", "assigned"): {"coordinator"},
    ("assigned", "reported"): {"coordinator", "assigned_relay"},
    ("assigned", "contacted"): {"coordinator", "assigned_relay"},
    ("contacted", "referred"): {"coordinator", "assigned_relay"},
    # "the structure's one-time link": a social worker's rights, on that one referral
    ("referred", "accepted"): {"coordinator", "assigned_relay", "social_worker", "structure_link"},
    ("referred", "contacted"): {"coordinator", "assigned_relay", "social_worker",
                                "structure_link"},
    ("accepted", "closed"): {"coordinator", "assigned_relay", "social_worker", "structure_link"},
    ("reported", "closed"): {"coordinator"},
    ("assigned", "closed"): {"coordinator", "assigned_relay"},
    ("contacted", "closed"): {"coordinator", "assigned_relay"},
    ("referred", "closed"): {"coordinator"},
    ("closed", "reported"): {"coordinator"},
}
VIEWERS = ("coordinator", "assigned_relay", "reporter_relay", "other_relay", "social_worker",
           "other_social_worker", "admin", "territorial_coordinator", "structure_link",
           "other_structure_link")
CASES = [(s, t, v) for (s, t) in sorted(ALLOWED) for v in VIEWERS]


def _link(structure, referral):
    """The link of `structure` to `referral`, as an actor (its row is not needed to act)."""
    return links.LinkActor(SimpleNamespace(id=uuid.uuid4(), referral_id=referral.id), structure)


def _viewer(world, name, territory, referral):
    if name == "structure_link":
        return _link(world.structure, referral)
    if name == "other_structure_link":
        return _link(world.other_resource.structure, referral)
    return {
        "coordinator": world.coordinator,
        "assigned_relay": world.relay_user,
        "reporter_relay": world.reporter,
        "other_relay": world.other_relay_user,
        "social_worker": world.social,
        "other_social_worker": world.other_social,
        "admin": world.admin,
        "territorial_coordinator": make_user(role="coordinator", territories=[territory]),
    }[name]


def _values(world, source, target, viewer):
    if (source, target) == ("reported", "assigned"):
        relay = viewer.relay if viewer.role == "relay" and viewer.relay is not None else world.relay
        return {"relay_id": relay.id}
    if target == "assigned":
        return {"relay_id": world.other_relay.id}
    if (source, target) == ("contacted", "referred"):
        return {"resource_id": world.other_resource.id}
    if target == "closed":
        return {"outcome": "helped"}
    if target in ("reported",) or (source, target) == ("referred", "contacted"):
        return {"reason": "test"}
    return {}


@pytest.mark.parametrize("source,target,viewer", CASES, ids=[f"{s}->{t}-{v}" for s, t, v in CASES])
def test_who_may_make_each_listed_move(world, source, target, viewer):
    # A territory far from the person: its coordinator must not see the referral at all.
    elsewhere = make_territory(polygon=[(0.20, 49.55), (0.22, 49.55), (0.22, 49.56), (0.20, 49.56)])
    referral = new_referral(world, by=world.reporter)
    referral = bring_to(world, referral, source)
    user = _viewer(world, viewer, elsewhere, referral)
    before = snapshot(referral.id)
    allowed = ALLOWED[(source, target)]
    capacity = {"coordinator": "coordinator", "territorial_coordinator": None,
                "assigned_relay": ("assigned_relay" if source not in ("reported", "closed")
                                   else "relay_self"),
                "reporter_relay": "relay_self", "other_relay": "relay_self",
                "social_worker": "social_worker" if source in ("referred", "accepted") else None,
                "structure_link": "structure_link" if source in ("referred", "accepted") else None,
                "other_social_worker": None, "other_structure_link": None, "admin": None}[viewer]
    visible = viewer in ("coordinator", "reporter_relay") or (
        viewer == "assigned_relay" and source != "reported") or (
        viewer in ("social_worker", "structure_link")
        and source in ("referred", "accepted", "closed"))
    values = _values(world, source, target, user)
    version = referral.version
    if not visible:
        with pytest.raises(NotFound):
            service.transition(user, referral.id, target, version=version, **values)
        assert snapshot(referral.id) == before
    elif capacity in allowed:
        moved = service.transition(user, referral.id, target, version=version, **values)
        assert moved.status == target and moved.version == version + 1
    else:
        with pytest.raises(Forbidden):
            service.transition(user, referral.id, target, version=version, **values)
        assert snapshot(referral.id) == before


def test_counters_follow_assign_reassign_unassign_close_and_reopen(world):
    def loads():
        db.session.expire_all()
        return (db.session.get(Relay, world.relay.id).active_referrals,
                db.session.get(Relay, world.other_relay.id).active_referrals)

    referral = new_referral(world)
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.relay.id)
    assert loads() == (1, 0)
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.other_relay.id,
                       version=2)
    assert loads() == (0, 1)
    service.transition(world.coordinator, referral.id, "reported", reason="Absent trois mois")
    assert loads() == (0, 0)
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.relay.id)
    service.transition(world.coordinator, referral.id, "closed", outcome="duplicate")
    assert loads() == (0, 0)
    reopened = service.transition(world.coordinator, referral.id, "reported", reason="Erreur")
    assert reopened.outcome is None and reopened.relay_id is None
    assert loads() == (0, 0)
    assert reopened.version == 7
    events = db.session.scalars(select(ReferralEvent.to_status).where(
        ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.id)).all()
    assert events == ["reported", "assigned", "assigned", "reported", "assigned", "closed",
                      "reported"]


def test_reassign_needs_the_version(world):
    referral = bring_to(world, new_referral(world), "assigned")
    before = snapshot(referral.id)
    with pytest.raises(Exception) as caught:
        service.transition(world.coordinator, referral.id, "assigned",
                           relay_id=world.other_relay.id)
    assert caught.value.status == 400 and caught.value.details[0]["field"] == "version"
    assert snapshot(referral.id) == before


def test_contact_after_reassignment_by_the_former_relay_is_accepted(world):
    referral = bring_to(world, new_referral(world), "assigned")
    visited_at = clock.now()
    with clock.frozen(visited_at + timedelta(hours=2)):
        service.transition(world.coordinator, referral.id, "assigned",
                           relay_id=world.other_relay.id, version=referral.version)
    with clock.frozen(visited_at + timedelta(hours=3)):
        contact, created = service.log_contact(world.relay_user, referral.id, {
            "id": str(uuid.uuid4()), "at": (visited_at + timedelta(minutes=30)).isoformat(),
            "channel": "visit", "reached": True, "note": "Passé avant la réattribution."})
        assert created and contact.author_id == world.relay_user.id
        # Reached, but not by the current relay: the referral stays with the new relay.
        assert db.session.get(Referral, referral.id).status == "assigned"
        # A contact dated after the reassignment is not theirs to log any more.
        with pytest.raises(NotFound):
            service.log_contact(world.relay_user, referral.id, {
                "id": str(uuid.uuid4()),
                "at": (visited_at + timedelta(hours=2, minutes=30)).isoformat(),
                "channel": "phone", "reached": False})


def test_scoping_by_territory_and_the_city_wide_fallback(world):
    inside = make_territory(polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)])
    elsewhere = make_territory(polygon=[(0.20, 49.55), (0.22, 49.55), (0.22, 49.56), (0.20, 49.56)])
    local = make_user(role="coordinator", territories=[inside])
    remote = make_user(role="coordinator", territories=[elsewhere])
    covered = new_referral(world)                                              # 49.4944, 0.1079
    uncovered = new_referral(world, resident={"first_name": "Loin", "lat": 49.53, "lon": 0.30})

    def ids(user):
        return set(db.session.scalars(
            service.scoped_referrals(user).with_only_columns(Referral.id)))

    assert ids(local) == {covered.id}
    assert ids(remote) == set()
    assert ids(world.coordinator) >= {covered.id, uncovered.id}  # city-wide
    assert ids(world.admin) == set()
    # Without any city-wide coordinator, the uncovered point goes to every coordinator.
    world.coordinator.active = False
    db.session.flush()
    assert ids(local) == {covered.id, uncovered.id}
    assert ids(remote) == {uncovered.id}


def test_resident_position_exact_only_for_those_allowed(world):
    referral = bring_to(world, new_referral(world, by=world.reporter), "referred")
    exact = service.resident_position(world.coordinator, referral)
    assert exact["exact"] and exact["lat"] == pytest.approx(49.4944)
    assert service.resident_position(world.relay_user, referral)["exact"] is True
    social = service.resident_position(world.social, referral)
    assert social["exact"] is False
    assert (social["lon"], social["lat"]) != (exact["lon"], exact["lat"])
    assert service.resident_position(world.reporter, referral) is None


def test_available_moves_lists_what_the_user_may_do(world):
    referral = bring_to(world, new_referral(world), "accepted")
    names = {(m.name, m.target): m for m in service.available_moves(world.social, referral)}
    assert set(names) == {("close", "closed")}
    assert names[("close", "closed")].outcomes == ("helped", "not_helped", "redirected")
    coordinator = {(m.name, m.target): m
                   for m in service.available_moves(world.coordinator, referral)}
    assert len(coordinator[("close", "closed")].outcomes) == 7
    assert service.available_moves(world.admin, referral) == []


def test_stale_referrals_and_their_age(world):
    start = clock.now() - timedelta(days=30)
    with clock.frozen(start):
        unassigned = new_referral(world)
        no_contact = bring_to(world, new_referral(world), "assigned")
        no_answer = bring_to(world, new_referral(world), "referred")
        fresh_enough = new_referral(world)
    with clock.frozen(start + timedelta(days=29)):
        fresh = new_referral(world)
        # Moved recently: not stale even though created long ago.
        service.transition(world.coordinator, fresh_enough.id, "assigned",
                           relay_id=world.other_relay.id)
    now = start + timedelta(days=30)
    stale = {s.referral.id: s for s in service.stale_referrals(world.coordinator, now=now)}
    assert {k: s.kind for k, s in stale.items()} == {
        unassigned.id: "unassigned", no_contact.id: "no_contact", no_answer.id: "no_answer"}
    assert stale[unassigned.id].age == timedelta(days=30)
    assert fresh.id not in stale
    # Thresholds come from the settings.
    assert service.stale_referrals(world.coordinator, now=start + timedelta(hours=47)) == []
    later = service.stale_referrals(world.coordinator, now=start + timedelta(hours=49))
    assert {s.kind for s in later} == {"unassigned"}


def test_expiry_sends_back_once_and_is_idempotent(app, world):
    start = clock.now() - timedelta(days=20)
    with clock.frozen(start):
        old = bring_to(world, new_referral(world), "referred")
    with clock.frozen(start + timedelta(days=10)):
        recent = bring_to(world, new_referral(world), "referred")
    now = start + timedelta(days=15)
    with clock.frozen(now):
        result = app.test_cli_runner().invoke(args=["referrals", "expire"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 orientation(s)")
    db.session.expire_all()
    expired = db.session.get(Referral, old.id)
    assert expired.status == "contacted" and expired.resource_id is None
    last = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == old.id)
                              .order_by(ReferralEvent.id.desc())).first()
    assert (last.actor_id, last.actor_role, last.reason, last.resource_id) == (
        None, "system", "expired", world.resource.id)
    assert db.session.get(Referral, recent.id).status == "referred"
    assert service.expire_referrals(now=now) == 0
    # The coordinator sees it back in the inbox, with the next-best resource proposed.
    inbox = {item.referral.id: item.kind for item in service.coordinator_inbox(world.coordinator)}
    assert inbox[old.id] == "sent_back" and recent.id not in inbox
    proposals = service.next_best_resources(expired)
    assert [p["id"] for p in proposals] == [str(world.other_resource.id)]


def test_reports_by_relays_show_up_as_status_only_lists(world):
    mine = new_referral(world, by=world.reporter)
    bring_to(world, mine, "assigned")
    assert [r.id for r in service.reported_by(world.reporter)] == [mine.id]
    assert [r.id for r in service.relay_referrals(world.relay_user)] == [mine.id]
    assert service.visibility(world.reporter, mine) == "status_only"
    assert service.visible_events(world.reporter, mine) == []


def test_session_api_refuses_when_the_resident_is_erased(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    resident = referral.resident
    resident.erased_at = clock.now()
    resident.first_name = None
    resident.point = resident.approx_point = None
    db.session.flush()
    client = client_as(world.coordinator)
    response = client.post(f"/api/v1/referrals/{referral.id}/transitions",
                           json={"to": "contacted"}, headers=api_headers())
    assert response.status_code == 410


def test_demo_referrals_give_each_demo_account_something_to_do(app, db):
    from bienveilleurs.services import demo
    summary = demo.load()
    assert summary["orientations"] >= 9
    assert demo.load()["orientations"] == 0
    users = {u.email.split("@")[0]: u for u in db.scalars(select(User))}
    coordination, relais, social = users["coordination"], users["relais"], users["social"]
    assert {i.kind for i in service.coordinator_inbox(coordination)} == {"to_assign", "sent_back"}
    assert {s.kind for s in service.stale_referrals(coordination)} >= {"unassigned", "no_contact"}
    assert ({r.status for r in service.relay_referrals(relais)}
            >= {"assigned", "contacted", "referred"})
    statuses = {r.status for r in db.scalars(service.scoped_referrals(social))}
    assert statuses >= {"referred", "accepted", "closed"}
    assert set(db.scalars(select(Referral.status))) == set(STATUSES)
    recount = dict(db.execute(select(Referral.relay_id, func.count()).where(
        Referral.status.in_(service.ACTIVE_STATUSES)).group_by(Referral.relay_id)).all())
    for relay in db.scalars(select(Relay)):
        assert relay.active_referrals == recount.get(relay.id, 0)
