"""Check-in campaigns (API.md, "Check-in campaigns"): launch, assignment, calls, escalation."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import (
    AccessLog,
    Campaign,
    CampaignCall,
    CampaignCheck,
    Notification,
    WatchEntry,
)
from bienveilleurs.services import campaigns, jobs, privacy

from .campaign_helpers import build_town, call_body, launch_body, person
from .conftest import api_headers
from .factories import make_relay, make_territory, make_user
from .referral_helpers import race

H = api_headers()


def _checks_by_name(campaign_id):
    db.session.expire_all()
    rows = db.session.scalars(select(CampaignCheck).where(
        CampaignCheck.campaign_id == uuid.UUID(str(campaign_id)))).all()
    return {c.resident.name: c for c in rows}


def _launch(client, **overrides):
    response = client.post("/api/v1/campaigns", json=launch_body(**overrides), headers=H)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_launch_over_two_territories_own_nearest_and_unassigned(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    body = launch_body()
    preview = coordinator.post("/api/v1/campaign-preview", json=body, headers=H)
    assert preview.status_code == 200
    assert preview.get_json() == {"people": 3, "own_relay": 1, "nearest_relay": 1,
                                  "unassigned": 1, "in_other_campaign": 0}
    assert _count(Campaign) == 0  # a preview writes nothing
    created = coordinator.post("/api/v1/campaigns", json=body, headers=H)
    assert created.status_code == 201
    assert created.get_json() == {"id": body["id"], "checks_total": 3, "unassigned": 1}
    checks = _checks_by_name(body["id"])
    assert checks["Odette"].relay_id == town.own_relay.id          # her own relay
    assert checks["Noé"].relay_id == town.near_relay.id            # the nearest
    assert checks["Fanny"].relay_id is None                        # nobody reaches her
    shown = coordinator.get(f"/api/v1/campaigns/{body['id']}", headers=H).get_json()
    assert shown["status"] == "open" and shown["counts"]["pending"] == 3
    by_territory = {t["code"]: t["counts"]["pending"] for t in shown["territories"]}
    assert by_territory == {"EST": 2, "OUEST": 1}
    # The same id again: the same campaign; the same id with other content: refused.
    again = coordinator.post("/api/v1/campaigns", json=body, headers=H)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    other = coordinator.post("/api/v1/campaigns", json={**body, "title": "Autre"}, headers=H)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_mismatch"
    assert _count(Campaign) == 1 and _count(CampaignCheck) == 3


def test_the_nearest_relay_that_reaches_the_person_within_the_cap(db, app, monkeypatch):
    """The nearest relay whose own radius reaches the person, even a far one with a wide
    radius; a full relay is passed over; a nearer one that does not reach is never used."""
    monkeypatch.setitem(app.config, "CAMPAIGN_MAX_CHECKS_PER_RELAY", 1)
    territory = make_territory()
    coordinator = make_user(role="coordinator", territories=[territory])
    at = (0.110, 49.495)
    # About 100 m west (reaches 300 m), 200 m east (reaches 150 m), 400 m north (3 km).
    near = make_relay(user=make_user(), lon=at[0] - 0.0014, lat=at[1], radius_m=300)
    short = make_relay(user=make_user(), lon=at[0] + 0.0028, lat=at[1], radius_m=150)
    wide = make_relay(user=make_user(), lon=at[0], lat=at[1] + 0.0036, radius_m=3000)
    db.flush()
    people = [person(coordinator, name, (at[0] + i * 0.00001, at[1]))
              for i, name in enumerate(("Aline", "Bruno", "Chloé"))]
    for resident_id in people:
        campaigns.add_to_register(coordinator, resident_id, {"consent": True})
    launched = campaigns.launch(coordinator, launch_body())
    assert launched.counts == {"people": 3, "own_relay": 0, "nearest_relay": 2,
                               "unassigned": 1, "in_other_campaign": 0}
    given = sorted(str(c.relay_id) for c in _checks_by_name(launched.campaign.id).values())
    assert given == sorted(["None", str(near.id), str(wide.id)])
    assert str(short.id) not in given


def test_bad_launches_are_refused_and_write_nothing(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    past = launch_body(deadline=(clock.now() - timedelta(minutes=1)).isoformat())
    refused = coordinator.post("/api/v1/campaigns", json=past, headers=H)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["field"] == "deadline"
    assert "futur" in refused.get_json()["error"]["details"][0]["message"]
    missing = coordinator.post("/api/v1/campaigns", json={"kind": "heatwave"}, headers=H)
    assert missing.status_code == 400
    outside = client_as(town.east_coordinator).post(
        "/api/v1/campaigns", json=launch_body(territory_ids=[str(town.west.id)]), headers=H)
    assert outside.status_code == 422
    relay = client_as(town.near_relay_user).post("/api/v1/campaigns", json=launch_body(),
                                                  headers=H)
    assert relay.status_code == 403
    assert _count(Campaign) == 0 and _count(CampaignCheck) == 0


def test_a_person_in_an_open_campaign_is_not_called_twice(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    first = _launch(coordinator)
    preview = coordinator.post("/api/v1/campaign-preview", json=launch_body(), headers=H)
    assert preview.get_json()["people"] == 0
    assert preview.get_json()["in_other_campaign"] == 3
    assert coordinator.post(f"/api/v1/campaigns/{first}/close", headers=H).status_code == 200
    preview = coordinator.post("/api/v1/campaign-preview", json=launch_body(), headers=H)
    assert preview.get_json()["people"] == 3


def test_the_east_coordinator_launches_for_the_east_only(db, client_as):
    town = build_town()
    launched = client_as(town.east_coordinator).post("/api/v1/campaigns", json=launch_body(),
                                                     headers=H)
    assert launched.get_json()["checks_total"] == 2
    assert set(_checks_by_name(launched.get_json()["id"])) == {"Noé", "Fanny"}


def test_a_relay_sees_only_their_checks_and_each_read_is_logged(db, client_as):
    town = build_town()
    campaign_id = _launch(client_as(town.coordinator))
    near = client_as(town.near_relay_user)
    listed = near.get(f"/api/v1/campaigns/{campaign_id}/checks", headers=H)
    assert listed.status_code == 200
    checks = listed.get_json()["checks"]
    assert [c["pseudonym"] for c in checks] == ["Noé"]
    assert checks[0]["phone"] == "06 11 22 33 44" and checks[0]["lat"] is not None
    reads = _count(AccessLog, AccessLog.action == "campaign.checks",
                   AccessLog.object_id == town.people["Noé"])
    assert reads == 1
    own = client_as(town.own_relay_user).get(f"/api/v1/campaigns/{campaign_id}/checks",
                                            headers=H).get_json()["checks"]
    assert [c["pseudonym"] for c in own] == ["Odette"]
    east = client_as(town.east_coordinator).get(f"/api/v1/campaigns/{campaign_id}/checks",
                                                headers=H).get_json()["checks"]
    assert {c["pseudonym"] for c in east} == {"Noé", "Fanny"}
    # A relay without a check in it does not see the campaign at all.
    stranger = client_as("relay")
    assert stranger.get(f"/api/v1/campaigns/{campaign_id}", headers=H).status_code == 404
    assert stranger.get("/api/v1/campaigns", headers=H).get_json() == {"campaigns": []}
    # Nor may a relay record a call on someone else's check.
    odette = _checks_by_name(campaign_id)["Odette"]
    refused = near.post(f"/api/v1/campaigns/{campaign_id}/checks/{odette.id}/calls",
                        json=call_body(), headers=H)
    assert refused.status_code == 404 and _count(CampaignCall) == 0


def _call(client, campaign_id, check, outcome, **extra):
    response = client.post(f"/api/v1/campaigns/{campaign_id}/checks/{check.id}/calls",
                           json=call_body(outcome, **extra), headers=H)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _notifications(kind):
    return _count(Notification, Notification.kind == kind)


def test_unanswered_calls_escalate_once_and_a_late_ok_settles(db, client_as):
    town = build_town()
    campaign_id = _launch(client_as(town.coordinator))
    near = client_as(town.near_relay_user)
    noe = _checks_by_name(campaign_id)["Noé"]
    assert _call(near, campaign_id, noe, "not_reached")["check"]["status"] == "not_reached"
    assert _call(near, campaign_id, noe, "not_reached")["check"]["status"] == "not_reached"
    third = _call(near, campaign_id, noe, "not_reached")["check"]
    assert third == {"id": str(noe.id), "status": "escalated", "attempts": 3}
    # Both coordinators of the east are told, once each.
    assert _notifications("campaign_escalated") == 2
    _call(near, campaign_id, noe, "not_reached")
    assert _notifications("campaign_escalated") == 2
    # A later "ok" (a phone that was offline) settles it; a miss after that changes nothing.
    assert _call(near, campaign_id, noe, "ok")["check"]["status"] == "ok"
    assert _call(near, campaign_id, noe, "not_reached")["check"]["status"] == "ok"
    text = " ".join(db.scalars(select(Notification.body_text)))
    assert "Noé" not in text and "06 11" not in text  # no name, no phone in e-mails


def test_needs_help_notifies_the_coordinators_once(db, client_as):
    town = build_town()
    campaign_id = _launch(client_as(town.coordinator))
    own = client_as(town.own_relay_user)
    odette = _checks_by_name(campaign_id)["Odette"]
    assert _call(own, campaign_id, odette, "needs_help")["check"]["status"] == "needs_help"
    _call(own, campaign_id, odette, "needs_help", channel="visit")
    # Odette lives in the west: only the coordinator of both territories is told.
    assert _notifications("campaign_needs_help") == 1
    board = client_as(town.coordinator).get(f"/api/v1/campaigns/{campaign_id}/checks",
                                            headers=H).get_json()["checks"]
    assert board[0]["pseudonym"] == "Odette"  # needing help first


def test_assign_then_the_new_relay_calls(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    campaign_id = _launch(coordinator)
    fanny = _checks_by_name(campaign_id)["Fanny"]
    assigned = coordinator.post(f"/api/v1/campaigns/{campaign_id}/checks/{fanny.id}/assign",
                                json={"relay_id": str(town.near_relay.id)}, headers=H)
    assert assigned.status_code == 200
    assert assigned.get_json()["relay_id"] == str(town.near_relay.id)
    near = client_as(town.near_relay_user)
    assert _call(near, campaign_id, fanny, "ok")["check"]["status"] == "ok"
    shown = coordinator.get(f"/api/v1/campaigns/{campaign_id}", headers=H).get_json()
    assert shown["unassigned"] == 0 and shown["counts"]["ok"] == 1
    wrong = coordinator.post(f"/api/v1/campaigns/{campaign_id}/checks/{fanny.id}/assign",
                             json={"relay_id": str(uuid.uuid4())}, headers=H)
    assert wrong.status_code == 422


def test_a_closed_campaign_takes_late_calls_but_escalates_no_more(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    campaign_id = _launch(coordinator)
    noe = _checks_by_name(campaign_id)["Noé"]
    coordinator.post(f"/api/v1/campaigns/{campaign_id}/close", headers=H)
    near = client_as(town.near_relay_user)
    for _ in range(3):
        last = _call(near, campaign_id, noe, "not_reached")
    assert last["check"]["status"] == "not_reached"
    assert _notifications("campaign_escalated") == 0
    # After the close, the relay no longer reads how to reach the person.
    checks = near.get(f"/api/v1/campaigns/{campaign_id}/checks", headers=H).get_json()["checks"]
    assert checks[0]["phone"] is None and checks[0]["lat"] is None


def test_the_outcome_csv_has_counts_and_no_person(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    campaign_id = _launch(coordinator)
    _call(client_as(town.near_relay_user), campaign_id, _checks_by_name(campaign_id)["Noé"],
          "ok")
    response = coordinator.get(f"/api/v1/campaigns/{campaign_id}.csv", headers=H)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == ("territory_code;territory_name;pending;ok;needs_help;not_reached;"
                        "escalated;total")
    assert lines[1:] == ["EST;Est;1;1;0;0;0;2", "OUEST;Ouest;1;0;0;0;0;1",
                         "all;Ensemble;2;1;0;0;0;3"]
    assert "Noé" not in response.get_data(as_text=True)


def test_opposition_takes_the_person_out_of_the_open_campaign(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    campaign_id = _launch(coordinator)
    privacy.oppose(town.coordinator, town.people["Noé"])
    assert set(_checks_by_name(campaign_id)) == {"Odette", "Fanny"}
    assert _count(WatchEntry, WatchEntry.resident_id == town.people["Noé"]) == 0
    shown = coordinator.get(f"/api/v1/campaigns/{campaign_id}", headers=H).get_json()
    assert sum(shown["counts"].values()) == 2


# --- at once: several requests, several job runners ---------------------------------------

def test_the_same_launch_posted_twice_at_once_makes_one_campaign(app, committed):
    build_town()
    town_coordinator = committed.scalar(select(Campaign.id))  # none yet
    assert town_coordinator is None
    from bienveilleurs.models import User
    coordinator = committed.scalar(select(User).where(User.role == "coordinator")
                                   .order_by(User.email))
    committed.commit()
    body = launch_body()
    answers = race(app, coordinator.id, [
        lambda c: c.post("/api/v1/campaigns", json=body, headers=H).status_code] * 2)
    assert sorted(answers) == [200, 201]
    committed.expire_all()
    assert committed.scalar(select(func.count()).select_from(Campaign)) == 1
    assert committed.scalar(select(func.count()).select_from(CampaignCheck)) == 3


def test_the_same_call_posted_five_times_at_once_is_stored_once(app, committed):
    town = build_town()
    launched = campaigns.launch(town.coordinator, launch_body())
    noe = _checks_by_name(launched.campaign.id)["Noé"]
    committed.commit()
    body = call_body("not_reached")
    path = f"/api/v1/campaigns/{launched.campaign.id}/checks/{noe.id}/calls"
    answers = race(app, town.near_relay_user.id, [
        lambda c: c.post(path, json=body, headers=H).status_code] * 5)
    assert sorted(answers) == [200, 200, 200, 200, 201]
    committed.expire_all()
    assert committed.scalar(select(func.count()).select_from(CampaignCall)) == 1
    assert committed.get(CampaignCheck, noe.id).attempts == 1


def test_the_deadline_escalates_once_with_two_job_runners(app, committed):
    import threading
    town = build_town()
    launched = campaigns.launch(town.coordinator, launch_body())
    own = _checks_by_name(launched.campaign.id)["Odette"]
    campaigns.record_call(town.own_relay_user, launched.campaign.id, own.id, call_body("ok"))
    committed.commit()
    job = jobs.discover()["campaigns.deadlines"]
    deadline = launched.campaign.deadline
    with clock.frozen(deadline - timedelta(hours=1)):
        assert jobs.run_due(jobs=[job])[0].outcome == "skipped"  # first seen: waits
        assert campaigns.escalate_at_deadline() == {"escalated": 0}  # not yet
    results, barrier = [], threading.Barrier(2)

    def runner(owner):
        with app.app_context():
            barrier.wait()
            results.extend(jobs.run_due(jobs=[job], owner=owner))

    with clock.frozen(deadline + timedelta(minutes=1)):
        threads = [threading.Thread(target=runner, args=(f"machine-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(r.outcome for r in results) == ["ok", "skipped"]
        assert campaigns.escalate_at_deadline() == {"escalated": 0}  # by hand: nothing left
    committed.expire_all()
    statuses = {c.resident.name: c.status for c in committed.scalars(select(CampaignCheck))}
    assert statuses == {"Odette": "ok", "Noé": "escalated", "Fanny": "escalated"}
    # Noé and Fanny live in the east (two coordinators): four messages, once each.
    escalated = committed.scalars(select(Notification.dedup_key).where(
        Notification.kind == "campaign_escalated")).all()
    assert len(escalated) == 4 == len(set(escalated))


# --- scope: every campaign route, a coordinator inside and outside the territory ------------

def test_campaign_routes_are_scoped_by_territory(db, client_as):
    """A campaign of the east: the west coordinator gets 404 on every route and changes
    nothing; on a campaign over both, they see and act on the west's checks only."""
    from .factories import make_user
    town = build_town()
    west_only = client_as(make_user(role="coordinator", territories=[town.west]))
    east_campaign = _launch(client_as(town.east_coordinator))
    noe = _checks_by_name(east_campaign)["Noé"]
    base = f"/api/v1/campaigns/{east_campaign}"
    for method, path, body in (
            ("get", base, None), ("get", base + "/checks", None), ("get", base + ".csv", None),
            ("post", f"{base}/checks/{noe.id}/assign",
             {"relay_id": str(town.near_relay.id)}),
            ("post", f"{base}/checks/{noe.id}/calls", call_body()),
            ("post", base + "/close", {})):
        response = getattr(west_only, method)(path, json=body, headers=H)
        assert response.status_code == 404, (method, path, response.status_code)
    assert west_only.get("/api/v1/campaigns", headers=H).get_json() == {"campaigns": []}
    db.expire_all()
    assert db.get(Campaign, uuid.UUID(east_campaign)).status == "open"
    assert _count(CampaignCall) == 0
    # Admins and social workers manage no campaign.
    for role in ("admin", "social_worker"):
        assert client_as(role).get(base, headers=H).status_code == 404
    assert client_as("admin").post("/api/v1/campaigns", json=launch_body(),
                                   headers=H).status_code == 403
    # Pages: the same rule.
    assert west_only.get(f"/coordination/veilles/{east_campaign}").status_code == 404
    # A campaign over both territories: the west coordinator sees the west's people only.
    both = _launch(client_as(town.coordinator), territory_ids=[str(town.west.id),
                                                                str(town.east.id)])
    seen = west_only.get(f"/api/v1/campaigns/{both}/checks", headers=H).get_json()["checks"]
    assert [c["pseudonym"] for c in seen] == ["Odette"]  # the east's are in the first one
    shown = west_only.get(f"/api/v1/campaigns/{both}", headers=H)
    assert shown.status_code == 200 and sum(shown.get_json()["counts"].values()) == 1


def test_openapi_documents_the_campaign_endpoints(client_as):
    document = client_as("relay").get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/residents/{id}/watch", "/api/v1/watch-register.csv",
                 "/api/v1/campaigns", "/api/v1/campaigns/{id}", "/api/v1/campaigns/{id}/checks",
                 "/api/v1/campaigns/{id}/checks/{check_id}/assign",
                 "/api/v1/campaigns/{id}/checks/{check_id}/calls",
                 "/api/v1/campaigns/{id}/close", "/api/v1/campaigns/{id}.csv"):
        assert path in document["paths"], path
    assert document["components"]["schemas"]["Check"]["properties"]["status"]["enum"] == [
        "pending", "ok", "needs_help", "not_reached", "escalated"]


def test_people_registered_after_the_launch_are_added_from_the_board(db, client_as, app,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    from .campaign_helpers import person
    town = build_town()
    coordinator = client_as(town.coordinator)
    campaign_id = _launch(coordinator)
    late = person(town.coordinator, "Léa", (0.1052, 49.4951))
    campaigns.add_to_register(town.coordinator, late, {"consent": True})
    added = coordinator.post(f"/coordination/veilles/{campaign_id}/ajouter")
    assert added.status_code == 303
    checks = _checks_by_name(campaign_id)
    assert set(checks) == {"Odette", "Noé", "Fanny", "Léa"}
    assert checks["Léa"].relay_id == town.own_relay.id  # the nearest reaching her
    assert coordinator.post(f"/coordination/veilles/{campaign_id}/ajouter").status_code == 303
    assert len(_checks_by_name(campaign_id)) == 4  # nobody twice
    board = coordinator.get(f"/coordination/veilles/{campaign_id}").get_data(as_text=True)
    assert "Léa" in board and "reste" in board
    # An assigned call may be handed over to another relay who reaches the person.
    neighbour = make_relay(user=make_user(), lon=0.1062, lat=49.4953, radius_m=500)
    db.flush()
    board = coordinator.get(f"/coordination/veilles/{campaign_id}").get_data(as_text=True)
    handover = board[board.index(f'id="check-{checks["Odette"].id}"'):]
    handover = handover[:handover.index("</li>")]
    assert f'<option value="{neighbour.id}">' in handover
    assert f'<option value="{town.own_relay.id}" selected>' in handover
    assert handover.count(f'value="{town.own_relay.id}"') == 1


def test_the_launch_page_previews_then_launches_once(db, client_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    town = build_town()
    coordinator = client_as(town.coordinator)
    form = {"id": str(uuid.uuid4()), "kind": "cold", "title": "Grand froid",
            "deadline": (clock.local(clock.now()) + timedelta(hours=3)).strftime(
                "%Y-%m-%dT%H:%M")}
    preview = coordinator.post("/coordination/veilles", data={**form, "action": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<strong>3</strong> personne(s) à joindre" in text
    assert _count(Campaign) == 0
    for _ in range(2):  # a double tap launches once
        launched = coordinator.post("/coordination/veilles", data={**form, "action": "launch"})
        assert launched.status_code == 303
    assert _count(Campaign) == 1
    past = coordinator.post("/coordination/veilles", data={
        **form, "id": str(uuid.uuid4()), "deadline": "2020-01-01T10:00", "action": "launch"})
    assert past.status_code == 422 and "futur" in past.get_data(as_text=True)
    page = client_as(town.own_relay_user).get("/mes-personnes").get_data(as_text=True)
    assert ("Veille grand froid : <span data-campaign-left>1 personne</span> à joindre avant"
            in page)
