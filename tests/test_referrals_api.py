"""The referrals API: the whole lifecycle, what each caller sees, errors, idempotency."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral, Relay, Resident

from .conftest import api_headers
from .referral_helpers import LAT, LON, bring_to, make_world, new_referral, report_payload


@pytest.fixture
def world(db):
    return make_world()


def post(client, path, body):
    return client.post(path, json=body, headers=api_headers())


def get(client, path):
    return client.get(path, headers=api_headers())


def move(client, referral_id, **body):
    return post(client, f"/api/v1/referrals/{referral_id}/transitions", body)


def contact(client, referral_id, **overrides):
    body = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
            "reached": True, "note": "Café partagé."}
    body.update(overrides)
    return post(client, f"/api/v1/referrals/{referral_id}/contacts", body)


def test_whole_lifecycle_through_the_api(world, client_as):
    relay = client_as(world.relay_user)
    coordinator = client_as(world.coordinator)
    social = client_as(world.social)

    # The relay reports a person; they see the status only until it is theirs.
    response = post(relay, "/api/v1/referrals", report_payload())
    assert response.status_code == 201, response.json
    created = response.json
    assert created["status"] == "reported" and created["version"] == 1
    assert created["resident_id"] and created["visibility"] == "status_only"
    rid = created["id"]

    # The coordinator sees the report with its note and assigns it.
    body = get(coordinator, f"/api/v1/referrals/{rid}").json
    assert [e["to"] for e in body["events"]] == ["reported"]
    assert body["events"][0]["note"] == "Vit seule depuis l'hiver."
    assert body["events"][0]["actor"] == {"id": str(world.relay_user.id), "role": "relay",
                                          "display_name": "Rémi Relais"}
    response = move(coordinator, rid, to="assigned", relay_id=str(world.relay.id), version=1)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "assigned" and response.json["version"] == 2
    assert response.json["relay_id"] == str(world.relay.id)

    # The relay now sees everything and logs a reached contact: the referral moves on.
    assert get(relay, f"/api/v1/referrals/{rid}").json["visibility"] == "full"
    response = contact(relay, rid)
    assert response.status_code == 201, response.json
    assert response.json["referral"]["status"] == "contacted"

    # The relay orients the person to a resource; the social worker accepts and closes.
    response = move(relay, rid, to="referred", resource_id=str(world.resource.id), version=3,
                    note="Préfère le matin.")
    assert response.status_code == 200, response.json
    assert response.json["resource_id"] == str(world.resource.id)
    seen = get(social, f"/api/v1/referrals/{rid}").json
    assert seen["status"] == "referred" and seen["contacts"] == []
    assert move(social, rid, to="accepted", version=4).status_code == 200
    response = move(social, rid, to="closed", outcome="helped", version=5)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "closed" and response.json["outcome"] == "helped"

    final = get(coordinator, f"/api/v1/referrals/{rid}").json
    assert [(e["from"], e["to"]) for e in final["events"]] == [
        (None, "reported"), ("reported", "assigned"), ("assigned", "contacted"),
        ("contacted", "referred"), ("referred", "accepted"), ("accepted", "closed")]
    assert final["events"][2]["actor"]["role"] == "relay"  # the automatic move of the contact
    assert len(final["contacts"]) == 1 and final["contacts"][0]["channel"] == "visit"
    assert final["version"] == 6
    for event in final["events"]:
        assert event["at"].endswith("+00:00")
    db.session.expire_all()
    assert db.session.get(Relay, world.relay.id).active_referrals == 0


def test_decline_sends_back_to_contacted_and_keeps_the_resource_in_the_event(world, client_as):
    referral = bring_to(world, new_referral(world), "referred")
    social = client_as(world.social)
    response = move(social, referral.id, to="contacted", reason="declined",
                    version=referral.version, note="Plus de place ce mois-ci.")
    assert response.status_code == 200, response.json
    # The social worker no longer sees it: the resource was cleared.
    assert response.json["visibility"] is None
    body = get(client_as(world.coordinator), f"/api/v1/referrals/{referral.id}").json
    assert body["status"] == "contacted" and body["resource_id"] is None
    assert body["events"][-1]["reason"] == "declined"
    assert body["events"][-1]["resource_id"] == str(world.resource.id)
    assert get(social, f"/api/v1/referrals/{referral.id}").status_code == 404


def test_professional_notes_never_reach_relays(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    coordinator = client_as(world.coordinator)
    response = move(coordinator, referral.id, to="contacted", note="Suivi psychiatrique en cours.",
                    note_professional=True)
    assert response.status_code == 200
    relay_view = get(client_as(world.relay_user), f"/api/v1/referrals/{referral.id}").json
    coordinator_view = get(coordinator, f"/api/v1/referrals/{referral.id}").json
    assert coordinator_view["events"][-1]["note"] == "Suivi psychiatrique en cours."
    assert relay_view["events"][-1]["note"] is None
    assert "psychiatrique" not in str(relay_view)
    assert relay_view["events"][0]["note"] == "Vit seule depuis l'hiver."


def test_reporter_sees_only_the_status_once_assigned_to_another(world, client_as):
    referral = new_referral(world, by=world.reporter)
    referral = bring_to(world, referral, "contacted")
    body = get(client_as(world.reporter), f"/api/v1/referrals/{referral.id}").json
    assert body["status"] == "contacted" and body["visibility"] == "status_only"
    assert body["events"] == [] and body["contacts"] == [] and body["relay_id"] is None
    # Another relay, or a social worker of no concerned structure, or an admin: 404.
    for user in (world.other_relay_user, world.social, world.admin):
        assert get(client_as(user), f"/api/v1/referrals/{referral.id}").status_code == 404


def test_report_validation_errors(world, client_as):
    relay = client_as(world.relay_user)
    cases = [
        (report_payload(consent=False), 422, "consent_required"),
        ({k: v for k, v in report_payload().items() if k != "consent"}, 422, "consent_required"),
        (report_payload(consent="yes"), 400, "bad_request"),
        (report_payload(category="pas-un-code"), 422, "validation_error"),
        (report_payload(category=["sante"]), 400, "bad_request"),
        (report_payload(resident={"first_name": "A", "lat": 48.85, "lon": 2.35}), 422,
         "validation_error"),
        (report_payload(resident={"first_name": "A", "lat": "nord", "lon": LON}), 422,
         "validation_error"),
        (report_payload(resident={"first_name": "A", "lat": [1], "lon": LON}), 400, "bad_request"),
        (report_payload(resident={"lat": LAT, "lon": LON}), 400, "bad_request"),
        (report_payload(resident="Mireille"), 400, "bad_request"),
        (report_payload(resident={"first_name": "A", "lat": LAT, "lon": LON,
                                  "languages": ["french"]}),
         422, "validation_error"),
        (report_payload(resident={"first_name": "A", "lat": LAT, "lon": LON, "audiences": ["x"]}),
         422, "validation_error"),
        (report_payload(id="pas-un-uuid"), 422, "validation_error"),
        (report_payload(resident_id=str(uuid.uuid4())), 400, "bad_request"),
    ]
    before = db.session.scalar(select(func.count()).select_from(Resident))
    for body, status, code in cases:
        response = post(relay, "/api/v1/referrals", body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body
    response = relay.post("/api/v1/referrals", data="{pas du json", headers=api_headers(),
                          content_type="application/json")
    assert response.status_code == 400
    assert post(client_as(world.social), "/api/v1/referrals", report_payload()).status_code == 403
    assert post(client_as(world.admin), "/api/v1/referrals", report_payload()).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Resident)) == before


def test_report_stores_consent_and_the_approximate_point(world, client_as):
    relay = client_as(world.relay_user)
    response = post(relay, "/api/v1/referrals", report_payload())
    assert response.status_code == 201
    db.session.expire_all()
    resident = db.session.get(Resident, uuid.UUID(response.json["resident_id"]))
    assert resident.consent_by_id == world.relay_user.id and resident.consent_at is not None
    exact = db.session.execute(select(func.ST_X(func.geometry(Resident.point)),
                                      func.ST_Y(func.geometry(Resident.point)),
                                      func.ST_Distance(Resident.point, Resident.approx_point))
                               .where(Resident.id == resident.id)).one()
    assert exact[0] == pytest.approx(LON) and exact[1] == pytest.approx(LAT)
    assert 0 < exact[2] < 150  # a ~200 m grid cell centre, never more than ~141 m away
    referral = db.session.get(Referral, uuid.UUID(response.json["id"]))
    assert referral.reporter_id == world.relay_user.id and referral.relay_id is None


def test_a_known_resident_gets_a_new_need(world, client_as):
    coordinator = client_as(world.coordinator)
    first = post(coordinator, "/api/v1/referrals", report_payload()).json
    response = post(coordinator, "/api/v1/referrals",
                    {"resident_id": first["resident_id"], "category": "mobilite", "consent": True})
    assert response.status_code == 201, response.json
    assert response.json["resident_id"] == first["resident_id"]
    # A relay with no link to that person cannot attach a need to them.
    response = post(client_as(world.other_relay_user), "/api/v1/referrals",
                    {"resident_id": first["resident_id"], "category": "mobilite", "consent": True})
    assert response.status_code == 422


def test_referral_creation_is_idempotent_on_the_client_id(world, client_as):
    relay = client_as(world.relay_user)
    client_id = str(uuid.uuid4())
    payload = report_payload(id=client_id)
    first = post(relay, "/api/v1/referrals", payload)
    assert first.status_code == 201
    # Same content, written differently: extra spaces, more decimals, another list order.
    again = report_payload(id=client_id, note="  Vit seule depuis l'hiver. ")
    again["resident"] = {**again["resident"], "lat": LAT + 1e-9, "languages": ["fr"],
                         "first_name": " Mireille"}
    replay = post(relay, "/api/v1/referrals", again)
    assert replay.status_code == 200, replay.json
    assert replay.json["id"] == client_id
    assert replay.json["resident_id"] == first.json["resident_id"]
    different = post(relay, "/api/v1/referrals", report_payload(id=client_id, category="mobilite"))
    assert different.status_code == 422
    assert different.json["error"]["code"] == "idempotency_mismatch"
    other_account = post(client_as(world.reporter), "/api/v1/referrals", payload)
    assert other_account.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 1


def test_erased_client_ids_are_refused_with_410_to_those_who_saw_them(world, client_as):
    from bienveilleurs.services import privacy
    client_id = str(uuid.uuid4())
    relay = client_as(world.relay_user)
    assert post(relay, "/api/v1/referrals", report_payload(id=client_id)).status_code == 201
    privacy.oppose(world.coordinator, db.session.get(Referral, client_id).resident_id)
    response = post(relay, "/api/v1/referrals", report_payload(id=client_id))
    assert response.status_code == 410 and response.json["error"]["code"] == "resident_erased"
    assert get(client_as(world.coordinator), f"/api/v1/referrals/{client_id}").status_code == 410
    # Another account learns nothing: the id is someone else's, as any live one would be.
    other = client_as(world.other_relay_user)
    assert post(other, "/api/v1/referrals", report_payload(id=client_id)).status_code == 422
    assert get(other, f"/api/v1/referrals/{client_id}").status_code == 404


def test_transition_errors(world, client_as):
    referral = new_referral(world)
    coordinator = client_as(world.coordinator)
    rid = referral.id
    cases = [
        ({"to": "accepted"}, 409, "invalid_transition"),
        ({"to": "assigned"}, 400, "bad_request"),
        ({"to": "assigned", "relay_id": "abc"}, 422, "validation_error"),
        ({"to": "assigned", "relay_id": str(uuid.uuid4())}, 422, "validation_error"),
        ({"to": "assigned", "relay_id": str(world.relay.id), "version": 7}, 409, "stale_version"),
        ({"to": "assigned", "relay_id": str(world.relay.id), "version": "1"}, 400, "bad_request"),
        ({"to": "flying"}, 422, "validation_error"),
        ({}, 400, "bad_request"),
        ({"to": "closed", "outcome": "opposed"}, 422, "validation_error"),
        ({"to": "closed", "outcome": "not_helped"}, 422, "validation_error"),
        ({"to": "closed"}, 400, "bad_request"),
    ]
    for body, status, code in cases:
        response = move(coordinator, rid, **body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body
    assert move(coordinator, uuid.uuid4(), to="assigned").status_code == 404
    assert move(coordinator, "pas-un-id", to="assigned").status_code == 404
    db.session.expire_all()
    assert db.session.get(Referral, rid).version == 1


def test_capacity_full_and_inactive_relay(db, client_as):
    world = make_world(capacity=1)
    coordinator = client_as(world.coordinator)
    first, second = new_referral(world), new_referral(world)
    assert move(coordinator, first.id, to="assigned",
                relay_id=str(world.relay.id)).status_code == 200
    response = move(coordinator, second.id, to="assigned", relay_id=str(world.relay.id))
    assert response.status_code == 409 and response.json["error"]["code"] == "capacity_full"
    world.other_relay.status = "paused"
    db.flush()
    response = move(coordinator, second.id, to="assigned", relay_id=str(world.other_relay.id))
    assert response.status_code == 422


def test_relay_assigns_only_themselves(world, client_as):
    referral = new_referral(world, by=world.reporter)
    reporter = client_as(world.reporter)
    response = move(reporter, referral.id, to="assigned", relay_id=str(world.relay.id))
    assert response.status_code == 403
    response = move(reporter, referral.id, to="assigned")
    assert response.status_code == 200, response.json
    assert response.json["relay_id"] == str(world.reporter_relay.id)
    assert response.json["visibility"] == "full"


def test_contacts_api(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    relay = client_as(world.relay_user)
    attempt = contact(relay, referral.id, reached=False, channel="phone")
    assert attempt.status_code == 201 and attempt.json["referral"]["status"] == "assigned"
    for body, status in [({"id": None}, 400), ({"channel": "pigeon"}, 422),
                         ({"reached": "oui"}, 400), ({"at": "hier"}, 422),
                         ({"at": "2025-01-01T10:00:00"}, 422),
                         ({"at": (clock.now() + timedelta(days=1)).isoformat()}, 422),
                         ({"at": "0001-01-01T00:00:00+01:00"}, 422), ({"at": 12}, 400),
                         ({"note": ["x"]}, 400), ({"channel": None}, 400),
                         ({"id": "x"}, 422)]:
        response = contact(relay, referral.id, **body)
        assert response.status_code == status, (body, response.json)
    assert contact(client_as(world.other_relay_user), referral.id).status_code == 404
    assert contact(client_as(world.social), referral.id).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    resident = db.session.get(Referral, referral.id).resident
    assert resident.last_contact_at is not None


def test_matches_for_a_referral(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    body = get(client_as(world.coordinator), f"/api/v1/referrals/{referral.id}/matches").json
    assert ([r["id"] for r in body["resources"]]
            == [str(world.resource.id), str(world.other_resource.id)])
    assert body["resources"][0]["distance_m"] == pytest.approx(111.2, abs=1)
    assert str(world.relay.id) in [r["id"] for r in body["relays"]]
    body = get(client_as(world.relay_user), f"/api/v1/referrals/{referral.id}/matches?limit=1").json
    assert body["relays"] == [] and len(body["resources"]) == 1
    assert get(client_as(world.relay_user),
               f"/api/v1/referrals/{referral.id}/matches?limit=99").status_code == 422
    assert get(client_as(world.other_relay_user),
               f"/api/v1/referrals/{referral.id}/matches").status_code == 404


def test_openapi_documents_the_referral_endpoints(client_as):
    document = get(client_as("relay"), "/api/v1/openapi.json").json
    for path in ("/api/v1/referrals", "/api/v1/referrals/{id}",
                 "/api/v1/referrals/{id}/transitions", "/api/v1/referrals/{id}/contacts",
                 "/api/v1/referrals/{id}/matches"):
        assert path in document["paths"], path
