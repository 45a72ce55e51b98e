"""The scope holes an outside probe found (issue 14), each replayed as the attack it was.

Relays and structures are managed by the coordinators of their territories; who may act on
a person comes from an assignment, never from having reported them; free-text reasons on a
relay's history go only to those who may see the referral; a relay's record is scoped like
management.
"""

import html

from sqlalchemy import func, select

from bienveilleurs.models import AuditEntry, Referral, Relay, Structure, User, structure_members
from bienveilleurs.services import referrals as service

from ..conftest import api_headers
from ..factories import make_relay, make_resource, make_structure, make_user
from .helpers import csrf_token
from .town import CATEGORY, IN_NORTH, IN_SOUTH, make_town, report

RELAY_FORM = "/reseau/bienveilleurs/nouveau"


def relay_form(relay, **overrides):
    form = {"display_name": relay.display_name, "email": "", "address": "",
            "lat": "", "lon": "", "radius_m": str(relay.radius_m),
            "capacity": str(relay.capacity), "languages": "", "skills": "", "mode": "weekly",
            "availability": ""}
    form.update(overrides)
    return form


def page_post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, RELAY_FORM), **data})


def api_post(client, path, body):
    return client.post(path, json=body, headers=api_headers())


# --- 1. relays: managed by the coordinators of their territory ------------------------------

def test_a_coordinator_cannot_take_over_another_territorys_relay(db, client_as):
    """The probe: a northern coordinator links an account they control to a southern relay."""
    town = make_town()
    people = report(town.coordinator_south, at=IN_SOUTH, name="Zqxsudiste")
    service.transition(town.coordinator_south, people.id, "assigned",
                       relay_id=town.relay_south.id)
    mole = make_user(role="relay", email="mole@test.bienveilleurs.fr")
    attacker = client_as(town.coordinator_north)
    south = f"/reseau/bienveilleurs/{town.relay_south.id}"

    answer = page_post(attacker, south, relay_form(town.relay_south, email=mole.email))
    assert answer.status_code == 404
    for path in (south, f"{south}/suivi"):
        assert attacker.get(path).status_code == 404
    for path in (f"{south}/pause", f"{south}/reprise", f"{south}/fin"):
        assert page_post(attacker, path, {}).status_code == 404
    assert "Relais du sud" not in attacker.get("/reseau/bienveilleurs").get_data(as_text=True)
    db.expire_all()
    relay = db.get(Relay, town.relay_south.id)
    assert (relay.user_id, relay.status) == (town.relay_south_user.id, "active")
    # The mole's account reads nothing of the southern person.
    assert client_as(mole).get(f"/api/v1/referrals/{people.id}",
                               headers=api_headers()).status_code == 404
    # The southern coordinator still manages their relay.
    assert client_as(town.coordinator_south).get(south).status_code == 200


def test_the_account_of_a_relay_who_accompanies_people_is_kept_until_they_are_handed_over(
        db, client_as):
    town = make_town()
    referral = report(town.coordinator_north)
    service.transition(town.coordinator_north, referral.id, "assigned",
                       relay_id=town.relay_north.id)
    other = make_user(role="relay", email="remplacant@test.bienveilleurs.fr")
    coordinator = client_as(town.coordinator_north)
    path = f"/reseau/bienveilleurs/{town.relay_north.id}"
    for email in (other.email, ""):
        answer = page_post(coordinator, path, relay_form(town.relay_north, email=email,
                                                         lat=str(IN_NORTH[1] + 0.001),
                                                         lon=str(IN_NORTH[0])))
        assert answer.status_code == 409
        assert "accompagne encore 1 personne" in html.unescape(answer.get_data(as_text=True))
        db.expire_all()
        assert db.get(Relay, town.relay_north.id).user_id == town.relay_north_user.id
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0

    service.transition(town.coordinator_north, referral.id, "reported", reason="vacances")
    answer = page_post(coordinator, path, relay_form(town.relay_north, email=other.email,
                                                     lat=str(IN_NORTH[1] + 0.001),
                                                     lon=str(IN_NORTH[0])))
    assert answer.status_code == 303
    db.expire_all()
    assert db.get(Relay, town.relay_north.id).user_id == other.id
    change = db.scalar(select(AuditEntry).where(AuditEntry.action == "relay.account_changed"))
    assert (change.actor_id, change.target_id) == (town.coordinator_north.id,
                                                   str(town.relay_north.id))
    assert change.details == {"before": town.relay_north_user.email, "after": other.email}


def test_a_relay_is_registered_and_moved_only_inside_ones_territories(db, client_as):
    town = make_town()
    coordinator = client_as(town.coordinator_north)
    body = {"display_name": "Nouveau relais", "lat": IN_SOUTH[1], "lon": IN_SOUTH[0],
            "radius_m": 500, "capacity": 2}
    answer = api_post(coordinator, "/api/v1/relays", body)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"][0]["field"] == "lat"
    moved = page_post(coordinator, f"/reseau/bienveilleurs/{town.relay_north.id}",
                      relay_form(town.relay_north, email=town.relay_north_user.email,
                                 lat=str(IN_SOUTH[1]), lon=str(IN_SOUTH[0])))
    assert moved.status_code == 422
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Relay)) == 2
    inside = api_post(coordinator, "/api/v1/relays", {**body, "lat": IN_NORTH[1],
                                                      "lon": IN_NORTH[0]})
    assert inside.status_code == 201
    registered = db.scalar(select(AuditEntry).where(AuditEntry.action == "relay.registered"))
    assert registered.actor_id == town.coordinator_north.id


def test_a_relays_record_is_scoped_like_management(db, client_as):
    town = make_town()
    path = f"/api/v1/relays/{town.relay_south.id}"
    expected = [(town.coordinator_north, 404), (town.relay_north_user, 404),
                (town.social_south, 404), (town.coordinator_south, 200), (town.city_wide, 200),
                (town.admin, 200), (town.relay_south_user, 200)]
    for user, status in expected:
        assert client_as(user).get(path, headers=api_headers()).status_code == status, user.role


# --- 2. acting on a person comes from an assignment ----------------------------------------

def test_a_relay_who_only_reported_a_person_cannot_add_a_need_for_them(db, client_as):
    """The probe: the reporter posts a new need with `resident_id`, then takes it on."""
    town = make_town()
    reporter = make_user(role="relay")
    make_relay(user=reporter, lon=IN_NORTH[0], lat=IN_NORTH[1], radius_m=3000)
    first = report(reporter, phone="06 11 22 33 44")
    service.transition(town.coordinator_north, first.id, "assigned", relay_id=town.relay_north.id)
    body = {"resident_id": str(first.resident_id), "category": "mobilite", "consent": True}

    answer = api_post(client_as(reporter), "/api/v1/referrals", body)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"][0]["field"] == "resident_id"
    assert db.scalar(select(func.count()).select_from(Referral)) == 1
    # The relay the person is assigned to adds a need; so does a coordinator.
    assert api_post(client_as(town.relay_north_user), "/api/v1/referrals",
                    body).status_code == 201
    assert api_post(client_as(town.coordinator_north), "/api/v1/referrals",
                    {**body, "category": "numerique"}).status_code == 201


def test_a_relay_cannot_take_on_a_person_another_relay_accompanies(db, client_as):
    town = make_town()
    reporter = make_user(role="relay")
    make_relay(user=reporter, lon=IN_NORTH[0], lat=IN_NORTH[1], radius_m=3000)
    mine = report(reporter)
    second, _ = service.report(town.coordinator_north, {
        "resident_id": str(mine.resident_id), "category": "mobilite", "consent": True})
    service.transition(town.coordinator_north, second.id, "assigned",
                       relay_id=town.relay_north.id)
    client = client_as(reporter)
    page = client.get(f"/orientations/{mine.id}").get_data(as_text=True)
    assert "M'attribuer" not in page
    answer = client.post(f"/api/v1/referrals/{mine.id}/transitions", json={"to": "assigned"},
                         headers=api_headers())
    assert answer.status_code == 403
    assert "Un autre bienveilleur accompagne déjà" in answer.get_json()["error"]["message"]
    db.expire_all()
    assert db.get(Referral, mine.id).status == "reported"
    # Once nobody else accompanies the person, the reporter may take the need on.
    service.transition(town.coordinator_north, second.id, "reported", reason="déménagement")
    assert "M'attribuer" in client.get(f"/orientations/{mine.id}").get_data(as_text=True)
    taken = client.post(f"/api/v1/referrals/{mine.id}/transitions", json={"to": "assigned"},
                        headers=api_headers())
    assert taken.status_code == 200


# --- 3. members, invitations and merges of a structure --------------------------------------

def test_a_coordinator_cannot_give_a_social_worker_another_territorys_referrals(db, client_as):
    """The probe: a northern coordinator adds a social worker to a southern structure."""
    town = make_town()
    referral = report(town.coordinator_south, at=IN_SOUTH)
    for to, values in (("assigned", {"relay_id": town.relay_south.id}), ("contacted", {}),
                       ("referred", {"resource_id": town.resource_south.id})):
        service.transition(town.coordinator_south, referral.id, to, **values)
    accomplice = make_user(role="social_worker", email="complice@test.bienveilleurs.fr")
    attacker = client_as(town.coordinator_north)
    south = f"/gestion/structures/{town.structure_south.id}"
    attempts = [
        (f"{south}/membres", {"email": accomplice.email, "display_name": ""}),
        (f"{south}/membres", {"email": "nouveau@test.bienveilleurs.fr", "display_name": ""}),
        (f"{south}/contact", {"contact_email": "complice@test.bienveilleurs.fr"}),
        (f"{south}/membres/{town.social_south.id}/retirer", {}),
        (f"{south}/fusion", {"duplicate": str(town.structure_north.id)}),
        (south, {"name": "Centre social sud", "lat": str(IN_NORTH[1]),
                 "lon": str(IN_NORTH[0])}),
    ]
    for path, data in attempts:
        assert page_post(attacker, path, data).status_code == 404, path
    # Nor by merging the southern structure into one of theirs.
    merged = page_post(attacker, f"/gestion/structures/{town.structure_north.id}/fusion",
                       {"duplicate": str(town.structure_south.id)})
    assert merged.status_code == 422
    db.expire_all()
    members = set(db.scalars(select(structure_members.c.user_id)).all())
    assert members == {town.social_north.id, town.social_south.id}
    south_row = db.get(Structure, town.structure_south.id)
    assert south_row.contact_email is None and south_row.active
    assert db.scalar(select(func.count()).select_from(User).where(
        User.email == "nouveau@test.bienveilleurs.fr")) == 0
    assert client_as(accomplice).get(f"/api/v1/referrals/{referral.id}",
                                     headers=api_headers()).status_code == 404
    # The southern coordinator does add members to their structure.
    own = page_post(client_as(town.coordinator_south), f"{south}/membres",
                    {"email": accomplice.email, "display_name": ""})
    assert own.status_code == 303


def test_a_resource_never_places_another_territorys_structure_in_ones_own(db, client_as):
    """A structure without a point is placed by its resources: a coordinator cannot add one
    to a structure they do not manage (and so cannot then give it members)."""
    town = make_town()
    pointless = make_structure(name="Association sans adresse")
    make_resource(structure=pointless, categories=(CATEGORY,), lon=IN_SOUTH[0], lat=IN_SOUTH[1])
    nowhere = make_structure(name="Association nulle part")
    make_resource(structure=nowhere, categories=(CATEGORY,), lat=None)
    north = client_as(town.coordinator_north)
    answer = api_post(north, "/api/v1/resources", {
        "name": "Permanence", "structure_id": str(pointless.id), "categories": [CATEGORY],
        "lat": IN_NORTH[1], "lon": IN_NORTH[0]})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"][0]["field"] == "structure_id"
    # By name, the structure is not reused: a new one is made in the north.
    by_name = api_post(north, "/api/v1/resources", {
        "name": "Permanence", "structure_name": "Association sans adresse",
        "categories": [CATEGORY], "lat": IN_NORTH[1], "lon": IN_NORTH[0]})
    assert by_name.status_code == 201 and by_name.get_json()["structure_id"] != str(pointless.id)
    expected = [(town.coordinator_north, pointless, 404), (town.coordinator_south, pointless, 303),
                (town.coordinator_north, nowhere, 404), (town.coordinator_south, nowhere, 404),
                (town.city_wide, nowhere, 303), (town.admin, nowhere, 303)]
    for n, (user, structure, status) in enumerate(expected):
        answer = page_post(client_as(user), f"/gestion/structures/{structure.id}/membres",
                           {"email": f"membre{n}@test.bienveilleurs.fr", "display_name": ""})
        assert answer.status_code == status, (user.email, structure.name)


# --- 6. free-text reasons on a relay's history ----------------------------------------------

def test_free_text_reasons_on_a_relays_history_only_for_those_who_see_the_referral(
        db, client_as):
    town = make_town()
    southern = report(town.city_wide, at=IN_SOUTH)
    northern = report(town.city_wide)
    for referral, reason in ((southern, "Zqx hospitalisée au sud"),
                             (northern, "Zqx partie chez sa fille")):
        service.transition(town.city_wide, referral.id, "assigned", relay_id=town.relay_north.id)
        service.transition(town.city_wide, referral.id, "reported", reason=reason)
    path = f"/reseau/bienveilleurs/{town.relay_north.id}/suivi"
    pages = {user: html.unescape(client_as(user).get(path).get_data(as_text=True))
             for user in (town.coordinator_north, town.admin, town.city_wide)}
    assert "Zqx partie chez sa fille" in pages[town.coordinator_north]
    assert "Zqx hospitalisée au sud" not in pages[town.coordinator_north]
    assert "Zqx" not in pages[town.admin]
    assert "Zqx hospitalisée au sud" in pages[town.city_wide]
    assert "Zqx partie chez sa fille" in pages[town.city_wide]
    assert pages[town.admin].count("Attribuée → Signalée") == 2
