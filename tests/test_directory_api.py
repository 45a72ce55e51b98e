"""The directory API: structures, resources (JSON and GeoJSON), relays, matching (API.md)."""

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bienveilleurs.models import Relay, Resource, Structure
from bienveilleurs.services import accounts, directory

from .conftest import api_headers, sign_in
from .factories import make_relay, make_resource, make_structure, make_user

CENTRE = {"lat": 49.4944, "lon": 0.1079}


def post(client, path, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data=data,
                       headers={**api_headers(), "Content-Type": "application/json"})


def get(client, path, **params):
    return client.get(path, query_string=params, headers=api_headers())


def counts(db):
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (Structure, Resource, Relay))


def resource_body(**overrides):
    body = {"name": "Point écoute (test)", **CENTRE, "categories": ["sante--sante-mentale"],
            "description": "Écoute sans rendez-vous.", "audiences": ["tous-publics"],
            "address": "1 place de l'Hôtel de Ville, 76600 Le Havre", "phone": "02 35 00 00 00",
            "email": "Accueil@Exemple.fr", "website": "exemple.fr",
            "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:00; PH off", "languages": ["fr", "AR"],
            "accessible": True, "capacity": 10, "saturation": "limited"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message"] == error["message"].strip()
    if field is not None:
        assert field in {d["field"] for d in error.get("details", [])}, error
    return error


# --- structures -------------------------------------------------------------------------------

def test_create_structure(client_as, db):
    client = client_as("coordinator")
    response = post(client, "/api/v1/structures", {
        "name": "CCAS (test)", "siret": "123 456 789 00012", "address": "Hôtel de ville",
        **CENTRE, "phone": "+33 2 35 19 45 45", "email": "ccas@exemple.fr",
        "website": "https://exemple.fr/ccas"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    structure = db.get(Structure, uuid.UUID(body["id"]))
    assert structure.name == "CCAS (test)" and structure.siret == "12345678900012"
    assert body["lat"] == pytest.approx(CENTRE["lat"])
    assert body["lon"] == pytest.approx(CENTRE["lon"])


@pytest.mark.parametrize("role,status", [("admin", 201), ("coordinator", 201), ("relay", 403),
                                         ("social_worker", 403)])
def test_who_may_create_structures_resources_and_relays(client_as, db, role, status):
    client = client_as(role)
    before = counts(db)
    responses = [post(client, "/api/v1/structures", {"name": "Asso (test)"}),
                 post(client, "/api/v1/resources", resource_body()),
                 post(client, "/api/v1/relays", {"display_name": "Bienveilleur (test)", **CENTRE,
                                                 "radius_m": 800, "capacity": 2})]
    assert [r.status_code for r in responses] == [status] * 3
    if status == 403:
        assert responses[0].get_json()["error"]["code"] == "forbidden"
        assert counts(db) == before


@pytest.mark.parametrize("body,status,field", [
    ({}, 400, "name"),
    ({"name": 12}, 400, "name"),
    ({"name": "X", "siret": "123"}, 422, "siret"),
    ({"name": "X", "lat": 49.49}, 400, "lon"),
    ({"name": "X", "lat": 0.1, "lon": 49.49}, 422, "lat,lon"),
    ({"name": "X", "email": "pas-une-adresse"}, 422, "email"),
])
def test_structure_bad_input_writes_nothing(client_as, db, body, status, field):
    client = client_as("admin")
    before = counts(db)
    assert_error(post(client, "/api/v1/structures", body), status,
                 "bad_request" if status == 400 else "validation_error", field)
    assert counts(db) == before


# --- resources --------------------------------------------------------------------------------

def test_create_resource_creates_then_reuses_the_structure_of_the_same_name(client_as, db):
    client = client_as("coordinator")
    first = post(client, "/api/v1/resources", resource_body())
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["located"] is True and "warning" not in body
    assert body["lat"] == pytest.approx(CENTRE["lat"])
    assert body["lon"] == pytest.approx(CENTRE["lon"])
    assert body["languages"] == ["fr", "ar"] and body["email"] == "accueil@exemple.fr"
    assert body["website"] == "https://exemple.fr"
    assert body["categories"] == ["sante--sante-mentale"]
    structure = db.get(Structure, uuid.UUID(body["structure_id"]))
    assert structure.name == "Point écoute (test)"

    second = post(client, "/api/v1/resources",
                  resource_body(name="Permanence (test)", structure_name="  POINT  écoute (Test) "))
    assert second.status_code == 201
    assert second.get_json()["structure_id"] == body["structure_id"]
    third = post(client, "/api/v1/resources", resource_body(name="Atelier (test)"))
    assert third.get_json()["structure_id"] != body["structure_id"]
    db.expire_all()
    assert db.get(Structure, uuid.UUID(third.get_json()["structure_id"])).name == "Atelier (test)"


def test_create_resource_with_structure_id(client_as, db):
    structure = make_structure(name="Centre social (test)")
    client = client_as("admin")
    response = post(client, "/api/v1/resources", resource_body(structure_id=str(structure.id)))
    assert response.status_code == 201
    assert response.get_json()["structure_id"] == str(structure.id)
    assert response.get_json()["structure_name"] == "Centre social (test)"


def test_unknown_structure_id_is_refused_and_nothing_written(client_as, db):
    client = client_as("admin")
    before = counts(db)
    assert_error(post(client, "/api/v1/resources", resource_body(structure_id=str(uuid.uuid4()))),
                 422, "validation_error", "structure_id")
    assert counts(db) == before


BAD_RESOURCES = [
    # (overrides, status, field) — … removes the field
    ({"lat": ...}, 400, "lat"),
    ({"lat": ..., "lon": ..., "address": ...}, 400, "lat"),
    ({"lon": ...}, 400, "lon"),
    # Decimal text is a coordinate too (the unified field rules): other text is an invalid value.
    ({"lat": "quarante-neuf"}, 422, "lat"),
    ({"lat": True}, 400, "lat"),
    ({"lat": [49.49]}, 400, "lat"),
    ({"lat": 95.0}, 422, "lat"),
    ({"lon": -181}, 422, "lon"),
    ({"lat": 48.8566, "lon": 2.3522}, 422, "lat,lon"),       # Paris: outside SERVICE_AREA
    ({"lat": 0.1079, "lon": 49.4944}, 422, "lat,lon"),       # swapped
    ({"categories": ...}, 400, "categories"),
    ({"categories": "sante"}, 400, "categories"),
    ({"categories": []}, 422, "categories"),
    ({"categories": ["sante--inconnu"]}, 422, "categories"),
    ({"audiences": ["martiens"]}, 422, "audiences"),
    ({"name": ...}, 400, "name"),
    ({"name": "   "}, 400, "name"),
    ({"name": "x" * 201}, 422, "name"),
    ({"phone": "appelez-nous"}, 422, "phone"),
    ({"email": "accueil@"}, 422, "email"),
    ({"website": "ftp://exemple.fr"}, 422, "website"),
    ({"website": "http://["}, 422, "website"),
    ({"name": "Accueil\x00de jour"}, 422, "name"),
    ({"opening_hours": "lundi au vendredi 9h-17h"}, 422, "opening_hours"),
    ({"languages": ["français"]}, 422, "languages"),
    ({"languages": "fr"}, 400, "languages"),
    ({"accessible": "oui"}, 400, "accessible"),
    ({"capacity": -1}, 422, "capacity"),
    ({"capacity": 2.5}, 422, "capacity"),
    ({"saturation": "débordé"}, 422, "saturation"),
    ({"source": "dora"}, 422, "source_id"),
    ({"structure_id": "pas-un-uuid"}, 422, "structure_id"),
]


@pytest.mark.parametrize("overrides,status,field", BAD_RESOURCES,
                         ids=[f"{'-'.join(o)}-{s}" for o, s, _ in BAD_RESOURCES])
def test_resource_bad_input_is_refused_in_french_and_nothing_written(client_as, db, overrides,
                                                                    status, field):
    client = client_as("coordinator")
    before = counts(db)
    error = assert_error(post(client, "/api/v1/resources", resource_body(**overrides)), status,
                         "bad_request" if status == 400 else "validation_error", field)
    detail = next(d for d in error["details"] if d["field"] == field)
    assert any(word in detail["message"].lower() for word in
               ("doit", "doivent", "obligatoire", "inconnu", "invalide", "valide", "territoire",
                "catégorie", "dépasser", "au moins", "vont ensemble", "format", "n'existe")), detail
    assert counts(db) == before


def test_swapped_coordinates_are_named_in_the_message(client_as, db):
    response = post(client_as("admin"), "/api/v1/resources",
                    resource_body(lat=CENTRE["lon"], lon=CENTRE["lat"]))
    assert "inversées" in assert_error(response, 422, "validation_error")["message"]


def test_nan_latitude_is_refused(client_as, db):
    body = json.dumps(resource_body()).replace('"lat": 49.4944', '"lat": NaN')
    assert "NaN" in body
    before = counts(db)
    assert_error(post(client_as("admin"), "/api/v1/resources", body), 422, "validation_error",
                 "lat")
    assert counts(db) == before


def test_every_problem_is_reported_at_once(client_as, db):
    response = post(client_as("admin"), "/api/v1/resources",
                    resource_body(categories=["inconnu"], phone="?", languages=["xyz"]))
    error = assert_error(response, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"categories", "phone", "languages"}


@pytest.mark.parametrize("raw", ["{", "[1, 2]", "null", ""])
def test_malformed_json_is_400(client_as, db, raw):
    before = counts(db)
    assert_error(post(client_as("admin"), "/api/v1/resources", raw), 400, "bad_request")
    assert counts(db) == before


def test_source_and_source_id_upsert(client_as, db):
    client = client_as("admin")
    first = post(client, "/api/v1/resources", resource_body(source="test-import", source_id="42"))
    assert first.status_code == 201
    again = post(client, "/api/v1/resources", resource_body(source="test-import", source_id="42",
                                                            name="Nouveau nom (test)",
                                                            lat=49.5, lon=0.12))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    db.expire_all()
    rows = db.scalars(select(Resource).where(Resource.source == "test-import")).all()
    assert [r.name for r in rows] == ["Nouveau nom (test)"]
    assert again.get_json()["lat"] == pytest.approx(49.5)
    # A coordinator's deactivation survives the next import of the same record.
    directory.set_resource_active(make_user(role="coordinator"), rows[0].id, False)
    third = post(client, "/api/v1/resources", resource_body(source="test-import", source_id="42"))
    assert third.status_code == 200 and third.get_json()["active"] is False


def test_bearer_token_can_create_without_session_headers(app, db, client):
    make_user(role="coordinator", email="integration@test.bienveilleurs.fr")
    token = accounts.issue_token("integration@test.bienveilleurs.fr")
    response = client.post("/api/v1/resources", json=resource_body(), headers=api_headers(token))
    assert response.status_code == 201


def test_address_without_coordinates_saves_unlocated_when_the_geocoder_is_down(
        app, client_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", "http://127.0.0.1:9/search")  # closed port
    response = post(client_as("admin"), "/api/v1/resources", resource_body(lat=..., lon=...))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["located"] is False and body["lat"] is None
    assert "adresse non localisée" in body["warning"]
    db.expire_all()
    assert db.get(Resource, uuid.UUID(body["id"])).point is None


class FakeGeocoder:
    def __init__(self, lon, lat):
        self.lon, self.lat = lon, lat
        self.queries = []

    def geocode(self, query):
        from geo.geocoding import GeocodeResult
        self.queries.append(query)
        return GeocodeResult(lon=self.lon, lat=self.lat, label=query, score=0.9)


def test_address_is_geocoded_when_coordinates_are_absent(client_as, db, monkeypatch):
    fake = FakeGeocoder(0.1100, 49.4950)
    monkeypatch.setattr("bienveilleurs.web.pages.make_geocoder", lambda url: fake)
    body = post(client_as("admin"), "/api/v1/resources", resource_body(lat=..., lon=...)).get_json()
    assert fake.queries == ["1 place de l'Hôtel de Ville, 76600 Le Havre"]
    assert (body["lon"], body["lat"]) == (pytest.approx(0.11), pytest.approx(49.495))


def test_get_resource_and_inactive_visibility(client_as, db):
    active = make_resource(name="Active (test)", audiences=["familles"])
    inactive = make_resource(name="Fermée (test)", active=False)
    social = client_as("social_worker")
    body = get(social, f"/api/v1/resources/{active.id}").get_json()
    assert body["name"] == "Active (test)" and body["audiences"] == ["familles"]
    assert body["lat"] == pytest.approx(49.4944)
    assert_error(get(social, f"/api/v1/resources/{inactive.id}"), 404, "not_found")
    assert get(client_as("coordinator"), f"/api/v1/resources/{inactive.id}").status_code == 200
    assert_error(get(social, f"/api/v1/resources/{uuid.uuid4()}"), 404, "not_found")
    assert_error(get(social, "/api/v1/resources/pas-un-uuid"), 404, "not_found")


# --- GeoJSON ----------------------------------------------------------------------------------

def test_resources_geojson_in_bbox(client_as, db):
    inside = make_resource(lat=49.50, lon=0.11, categories=["sante--sante-mentale"])
    other_category = make_resource(lat=49.501, lon=0.111,
                                   categories=["mobilite--mobilite-douce-partagee-collective"])
    make_resource(lat=49.50, lon=0.112, active=False)
    make_resource(lat=49.58, lon=0.30)  # outside the box
    make_resource(lat=None)             # not located
    client = client_as("relay")
    response = get(client, "/api/v1/resources", bbox="0.05,49.45,0.20,49.55")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection" and collection["truncated"] is False
    ids = {f["id"] for f in collection["features"]}
    assert ids == {str(inside.id), str(other_category.id)}
    feature = next(f for f in collection["features"] if f["id"] == str(inside.id))
    assert feature["geometry"] == {"type": "Point",
                                   "coordinates": [pytest.approx(0.11), pytest.approx(49.50)]}
    assert feature["properties"]["name"] == inside.name
    # A top-level code stands for its sub-codes.
    only_health = get(client, "/api/v1/resources", bbox="0.05,49.45,0.20,49.55", categories="sante")
    assert [f["id"] for f in only_health.get_json()["features"]] == [str(inside.id)]


@pytest.mark.parametrize("params,status,field", [
    ({}, 400, "bbox"),
    ({"bbox": "0.05,49.45,0.20"}, 422, "bbox"),
    ({"bbox": "a,b,c,d"}, 422, "bbox"),
    ({"bbox": "0.20,49.45,0.05,49.55"}, 422, "bbox"),
    ({"bbox": "-1,48,2,50"}, 422, "bbox"),
    ({"bbox": "0.05,49.45,0.20,49.55", "categories": "inconnu"}, 422, "categories"),
])
def test_resources_geojson_bad_input(client_as, db, params, status, field):
    assert_error(get(client_as("relay"), "/api/v1/resources", **params), status,
                 "bad_request" if status == 400 else "validation_error", field)


def test_too_large_bbox_says_so(client_as, db):
    error = assert_error(get(client_as("relay"), "/api/v1/resources", bbox="-1,48,2,50"), 422,
                         "validation_error")
    assert "trop grande" in error["message"]


# --- relays -----------------------------------------------------------------------------------

def relay_body(**overrides):
    body = {"display_name": "Bienveilleuse (test)", **CENTRE, "radius_m": 800, "capacity": 3,
            "languages": ["fr", "es"], "skills": ["écoute", "démarches"],
            "availability": "Mo-Fr 17:00-20:00; Sa 10:00-12:00"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def test_register_relay_and_link_an_account(client_as, db):
    account = make_user(role="relay", email="voisine@test.bienveilleurs.fr")
    response = post(client_as("coordinator"), "/api/v1/relays",
                    relay_body(email="Voisine@test.bienveilleurs.fr"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    db.expire_all()
    relay = db.get(Relay, uuid.UUID(body["id"]))
    assert relay.user_id == account.id and relay.radius_m == 800 and relay.status == "active"
    assert relay.availability == "Mo-Fr 17:00-20:00; Sa 10:00-12:00"
    assert body["email"] == "voisine@test.bienveilleurs.fr" and body["free_capacity"] == 3


def test_register_relay_limits(app, client_as, db):
    client = client_as("admin")
    maximum = app.config["RELAY_MAX_RADIUS_M"]
    assert post(client, "/api/v1/relays", relay_body(radius_m=maximum)).status_code == 201
    before = counts(db)
    error = assert_error(post(client, "/api/v1/relays", relay_body(radius_m=maximum + 1)), 422,
                         "validation_error", "radius_m")
    assert str(maximum) in error["message"]
    assert counts(db) == before


@pytest.mark.parametrize("overrides,status,field", [
    ({"display_name": ...}, 400, "display_name"),
    ({"lat": ..., "lon": ...}, 400, "lat"),
    ({"lat": "au nord"}, 422, "lat"),
    ({"lat": True}, 400, "lat"),
    ({"lat": 0.1079, "lon": 49.4944}, 422, "lat,lon"),
    ({"radius_m": ...}, 400, "radius_m"),
    ({"radius_m": "800"}, 400, "radius_m"),
    ({"radius_m": 0}, 422, "radius_m"),
    ({"radius_m": 1_000_000}, 422, "radius_m"),
    ({"capacity": ...}, 400, "capacity"),
    ({"capacity": -1}, 422, "capacity"),
    ({"availability": "le soir"}, 422, "availability"),
    ({"languages": ["fra"]}, 422, "languages"),
    ({"email": "personne@test.bienveilleurs.fr"}, 422, "email"),
    ({"email": "pas une adresse"}, 422, "email"),
])
def test_relay_bad_input_writes_nothing(client_as, db, overrides, status, field):
    client = client_as("coordinator")
    before = counts(db)
    assert_error(post(client, "/api/v1/relays", relay_body(**overrides)), status,
                 "bad_request" if status == 400 else "validation_error", field)
    assert counts(db) == before


def test_relay_coordinates_may_be_decimal_text_in_json(client_as, db):
    # One rule for coordinates everywhere: numbers, or decimal text (with a French comma too).
    response = post(client_as("coordinator"), "/api/v1/relays", relay_body(lat="49,49"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lat"] == pytest.approx(49.49)


def test_relay_account_must_be_a_free_relay_account(client_as, db):
    social = make_user(role="social_worker")
    taken = make_user(role="relay")
    make_relay(user=taken)
    client = client_as("coordinator")
    before = counts(db)
    error = assert_error(post(client, "/api/v1/relays", relay_body(email=social.email)), 422,
                         "validation_error", "email")
    assert "n'est pas un compte de bienveilleur" in error["message"]
    error = assert_error(post(client, "/api/v1/relays", relay_body(email=taken.email)), 422,
                         "validation_error", "email")
    assert "déjà rattaché" in error["message"]
    assert counts(db) == before


def test_relay_from_an_unlocatable_address_is_a_clear_error(app, client_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", "http://127.0.0.1:9/search")
    before = counts(db)
    error = assert_error(post(client_as("admin"), "/api/v1/relays",
                              relay_body(lat=..., lon=..., address="3 rue de Paris, Le Havre")),
                         422, "validation_error", "address")
    assert "adresse non localisée" in error["message"]
    assert counts(db) == before


def test_get_relay_visibility(client_as, db):
    me = make_user(role="relay")
    relay = make_relay(user=me, lat=49.51, lon=0.13, languages=["fr"])
    for who in ("admin", "coordinator"):
        body = get(client_as(who), f"/api/v1/relays/{relay.id}").get_json()
        assert body["id"] == str(relay.id) and body["lat"] == pytest.approx(49.51)
    assert get(client_as(me), f"/api/v1/relays/{relay.id}").status_code == 200
    for who in ("relay", "social_worker"):
        assert_error(get(client_as(who), f"/api/v1/relays/{relay.id}"), 404, "not_found")
    assert_error(get(client_as("admin"), f"/api/v1/relays/{uuid.uuid4()}"), 404, "not_found")


# --- matching ---------------------------------------------------------------------------------

def test_match_answers_relays_only_to_admins_and_coordinators(client_as, db):
    relay = make_relay(lat=49.4950, lon=0.1085, radius_m=1000)
    resource = make_resource(lat=49.4940, lon=0.1070)
    for role, sees_relays in (("admin", True), ("coordinator", True), ("relay", False),
                              ("social_worker", False)):
        response = get(client_as(role), "/api/v1/match", **CENTRE)
        assert response.status_code == 200
        body = response.get_json()
        assert [r["id"] for r in body["resources"]] == [str(resource.id)]
        assert [r["id"] for r in body["relays"]] == ([str(relay.id)] if sees_relays else [])
    distance = body["resources"][0]["distance_m"]
    assert 50 < distance < 150


@pytest.mark.parametrize("params,status,field", [
    ({"lon": 0.1079}, 400, "lat"),
    ({"lat": 49.4944}, 400, "lon"),
    ({"lat": "abc", "lon": 0.1079}, 422, "lat"),
    ({"lat": "NaN", "lon": 0.1079}, 422, "lat"),
    ({"lat": "91", "lon": 0.1079}, 422, "lat"),
    ({"lat": 0.1079, "lon": 49.4944}, 422, "lat,lon"),
    ({**CENTRE, "categories": "inconnu"}, 422, "categories"),
    ({**CENTRE, "audiences": "inconnu"}, 422, "audiences"),
    ({**CENTRE, "limit": 51}, 422, "limit"),
    ({**CENTRE, "limit": 0}, 422, "limit"),
    ({**CENTRE, "limit": "beaucoup"}, 400, "limit"),
    ({**CENTRE, "open_now": "peut-être"}, 400, "open_now"),
])
def test_match_bad_input(client_as, db, params, status, field):
    assert_error(get(client_as("coordinator"), "/api/v1/match", **params), status,
                 "bad_request" if status == 400 else "validation_error", field)


def test_match_reports_every_bad_argument_at_once(client_as, db):
    response = get(client_as("coordinator"), "/api/v1/match", **CENTRE, limit=0,
                   categories="inconnu", languages="arabe")
    error = assert_error(response, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"limit", "categories", "languages"}
    # A malformed argument (a word for a number) makes the whole request a 400, still listing all.
    response = get(client_as("coordinator"), "/api/v1/match", **CENTRE, limit="dix",
                   categories="inconnu")
    error = assert_error(response, 400, "bad_request")
    assert {d["field"] for d in error["details"]} == {"limit", "categories"}


def test_match_limit_fifty_is_allowed(client_as, db):
    assert get(client_as("coordinator"), "/api/v1/match", **CENTRE, limit=50).status_code == 200


def test_openapi_documents_the_directory_endpoints(client_as, db):
    paths = get(client_as("relay"), "/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/structures", "/api/v1/resources", "/api/v1/resources/{id}",
                 "/api/v1/relays", "/api/v1/relays/{id}", "/api/v1/match"):
        assert path in paths
    assert "get" in paths["/api/v1/resources"] and "post" in paths["/api/v1/resources"]


# --- never a 500 ------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children,
                                                                       max_size=3),
    max_leaves=6)
FIELDS = ["name", "lat", "lon", "categories", "audiences", "structure_id", "phone", "email",
          "website", "opening_hours", "languages", "accessible", "capacity", "saturation",
          "source", "source_id", "description", "address"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=4))
def test_any_json_gets_a_clear_answer_never_a_500(app, db, changes):
    client = sign_in(app.test_client(), make_user(role="admin"))
    body = resource_body(**changes)
    response = client.post("/api/v1/resources", data=json.dumps(body, allow_nan=True),
                           headers={**api_headers(), "Content-Type": "application/json"})
    assert response.status_code in (200, 201, 400, 422), (body, response.get_data(as_text=True))
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["message"] and error["details"]
    relay = client.post("/api/v1/relays", data=json.dumps(
        {**relay_body(), **{k: v for k, v in changes.items() if k in ("lat", "lon", "languages")},
         "radius_m": changes.get("capacity", 800)}, allow_nan=True),
        headers={**api_headers(), "Content-Type": "application/json"})
    assert relay.status_code in (201, 400, 422), relay.get_data(as_text=True)


@pytest.mark.committed
def test_directory_reads_run_without_a_transaction_and_writes_keep_theirs(app, committed):
    """GET /api/v1/match runs its statements in autocommit (no BEGIN/ROLLBACK round trips);
    the pooled connection goes back to transactions for the next request, and a view not
    marked read-only (here GET /api/v1/me, and every POST) still runs in one."""
    from sqlalchemy import event

    from bienveilleurs.extensions import db as _db

    make_user(role="coordinator", email="lecture@test.bienveilleurs.fr")
    make_resource(lat=CENTRE["lat"], lon=CENTRE["lon"])
    committed.commit()
    token = accounts.issue_token("lecture@test.bienveilleurs.fr")
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(conn.connection.driver_connection.autocommit)

    event.listen(_db.engine, "before_cursor_execute", spy)
    client = app.test_client()
    try:
        response = client.get("/api/v1/match", query_string=CENTRE, headers=api_headers(token))
        assert response.status_code == 200 and len(response.get_json()["resources"]) == 1
        assert seen and all(seen), seen
        seen.clear()
        assert client.get("/api/v1/me", headers=api_headers(token)).status_code == 200
        assert seen and not any(seen), seen
        seen.clear()
        created = client.post("/api/v1/resources", json=resource_body(), headers=api_headers(token))
        assert created.status_code == 201 and seen and not any(seen), seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", spy)
