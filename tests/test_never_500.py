"""Nothing a client sends gets a 500: the five inputs an outside fuzzer found, and the headers
of error answers (Allow on 405, WWW-Authenticate on 401, errors never kept by a shared cache).
"""

import json
import uuid

import pytest

from bienveilleurs import clock
from bienveilleurs.services import open_referral

from .conftest import api_headers
from .referral_helpers import bring_to, make_world, new_referral, report_payload
from .security.helpers import csrf_token

NUL = "Mir\x00eille"
# A JSON text with an unpaired UTF-16 surrogate: Python's json module reads it as "a\ud800".
SURROGATE_JSON = '"a\\ud800"'


@pytest.fixture
def world(db):
    return make_world()


def _with_raw(body, field_path, raw_json):
    """The JSON text of `body` whose value at `field_path` ("resident.first_name") is the
    raw JSON text `raw_json` (an escape the json module would never write)."""
    marker = "@@RAW@@"
    target = body
    *parents, last = field_path.split(".")
    for name in parents:
        target = target[name]
    target[last] = marker
    return json.dumps(body).replace(json.dumps(marker), raw_json)


def _writes(world):
    """(path, body, text field) for every API write that takes text, as the coordinator."""
    referral = new_referral(world)
    assigned = bring_to(world, new_referral(world), "assigned")
    contact = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
               "reached": False}
    return [
        ("/api/v1/structures", {"name": "Maison"}, "name"),
        ("/api/v1/resources", {"name": "Permanence", "lat": 49.49, "lon": 0.11,
                               "categories": ["sante"]}, "name"),
        ("/api/v1/relays", {"display_name": "Rémi", "lat": 49.49, "lon": 0.11,
                            "radius_m": 500, "capacity": 2}, "display_name"),
        ("/api/v1/referrals", report_payload(), "resident.first_name"),
        ("/api/v1/referrals", report_payload(), "note"),
        (f"/api/v1/referrals/{assigned.id}/transitions", {"to": "reported"}, "reason"),
        (f"/api/v1/referrals/{referral.id}/contacts", contact, "note"),
    ]


@pytest.mark.parametrize("raw", [json.dumps(NUL), SURROGATE_JSON], ids=["nul", "surrogate"])
def test_nul_and_lone_surrogates_in_api_text_are_422_on_their_field(world, client_as, raw):
    coordinator = client_as(world.coordinator)
    for path, body, field in _writes(world):
        response = coordinator.post(path, data=_with_raw(body, field, raw),
                                    content_type="application/json", headers=api_headers())
        assert response.status_code == 422, (path, field, response.json)
        assert response.json["error"]["code"] == "validation_error"
        fields = [d["field"] for d in response.json["error"]["details"]]
        assert field in fields, (path, fields)


@pytest.mark.parametrize("website", ["http://[", "https://[::1", "http://a.fr:99999999"])
def test_a_web_address_that_does_not_parse_is_a_validation_error(world, client_as, website):
    coordinator = client_as(world.coordinator)
    for path, body in [("/api/v1/structures", {"name": "Maison"}),
                       ("/api/v1/resources", {"name": "Permanence", "lat": 49.49, "lon": 0.11,
                                              "categories": ["sante"]})]:
        response = coordinator.post(path, json={**body, "website": website},
                                    headers=api_headers())
        assert response.status_code == 422, response.json
        assert response.json["error"]["details"] == [
            {"field": "website",
             "message": "Le site web doit être une adresse web (exemple : https://exemple.fr)."}]


def test_json_nested_past_the_parser_limit_is_a_400_and_past_the_body_limit_a_413(
        world, client_as):
    coordinator = client_as(world.coordinator)
    deep = 20_000  # 40 kB: inside the body limit (API_MAX_BODY_KB), past the recursion limit
    for path, _, _ in _writes(world):
        response = coordinator.post(path, data="[" * deep + "]" * deep,
                                    content_type="application/json", headers=api_headers())
        assert response.status_code == 400, path
        assert response.json["error"] == {"code": "bad_request", "message":
                                          "Le corps de la requête doit être du JSON valide."}
    # The outside repro: 100,000 levels (200 kB) are refused before being read.
    response = coordinator.post("/api/v1/structures", data="[" * 100_000 + "]" * 100_000,
                                content_type="application/json", headers=api_headers())
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


@pytest.mark.parametrize("body", ["[]", '"texte"', "12", "null", "NaN", '{"name": 1e999}',
                                  "1" * 5000, "\xff\xfe", '{"name": "a"'])
def test_any_body_that_is_not_a_json_object_is_a_400(world, client_as, body):
    coordinator = client_as(world.coordinator)
    response = coordinator.post("/api/v1/structures", data=body.encode("latin-1"),
                                content_type="application/json", headers=api_headers())
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("query, status, field", [
    ("page=99999999999999999999", 422, "page"),
    ("page=100001", 422, "page"),
    ("page=" + "9" * 5000, 422, "page"),
    ("per_page=99999999999999999999", 422, "per_page"),
    ("page=-99999999999999999999", 422, "page"),
    ("page=1e5", 400, "page"),
])
def test_hsds_paging_is_bounded_and_said_in_french(client, query, status, field):
    response = client.get(f"/hsds/services?{query}")
    assert response.status_code == status
    (detail,) = response.json["error"]["details"]
    assert detail["field"] == field and detail["message"].startswith(f"Le paramètre {field}")
    assert "public" not in response.headers["Cache-Control"]


def test_the_last_hsds_page_allowed_answers(client):
    body = client.get(f"/hsds/services?page={open_referral.MAX_PAGE}&per_page=500").json
    assert body["page_number"] == open_referral.MAX_PAGE and body["empty"] is True


@pytest.mark.parametrize("value", ["99999999999", 2**31, -(2**31) - 1, 10**40])
def test_integers_of_a_json_body_are_bounded(world, client_as, value):
    coordinator = client_as(world.coordinator)
    response = coordinator.post("/api/v1/resources", json={
        "name": "Permanence", "lat": 49.49, "lon": 0.11, "categories": ["sante"],
        "capacity": value}, headers=api_headers())
    assert response.status_code in (400, 422), response.json
    assert [d["field"] for d in response.json["error"]["details"]] == ["capacity"]


# --- pages: a NUL or a lone surrogate in a form or a search box -----------------------------

def _is_french_refusal(response):
    text = response.get_data(as_text=True)
    return response.status_code in (400, 422) and "caractères invalides" in text


@pytest.mark.parametrize("raw", ["a%00b@exemple.fr", "a%01b"])
def test_sign_in_and_forgotten_password_refuse_control_characters(client, raw):
    for path, fields in [("/connexion", f"email={raw}&password=x"),
                         ("/mot-de-passe-oublie", f"email={raw}")]:
        token = csrf_token(client, path)
        response = client.post(path, data=f"csrf_token={token}&{fields}".encode(),
                               content_type="application/x-www-form-urlencoded")
        assert _is_french_refusal(response), (path, response.status_code)


def test_search_boxes_refuse_control_characters(world, client_as):
    admin, coordinator = client_as(world.admin), client_as(world.coordinator)
    for client, path in [(coordinator, "/ressources?q=a%00b"),
                         (coordinator, "/gestion/?q=a%00b"),
                         (coordinator, "/gestion/structures?q=a%00b"),
                         (coordinator, "/reseau/bienveilleurs?q=a%00b"),
                         (admin, "/admin/journal?q=a%00b"),
                         (admin, "/admin/comptes?q=a%00b")]:
        response = client.get(path)
        assert _is_french_refusal(response), (path, response.status_code)


def test_a_lone_surrogate_in_a_query_string_reads_as_replacement_characters(world, client_as):
    coordinator = client_as(world.coordinator)
    # CESU-8 bytes of U+D800, percent-encoded: read back as replacement characters, harmless.
    response = coordinator.get("/gestion/?q=a%ED%A0%80b")
    assert response.status_code == 200


# --- headers of error answers ---------------------------------------------------------------

@pytest.mark.parametrize("method, path, allowed", [
    ("delete", "/api/v1/me", "GET, HEAD, OPTIONS"),
    ("put", "/api/v1/referrals", "OPTIONS, POST"),
    ("post", "/hsds/services", "GET, HEAD, OPTIONS"),
    ("delete", "/connexion", "GET, HEAD, OPTIONS, POST"),
    ("post", "/healthz", "GET, HEAD, OPTIONS"),
])
def test_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = getattr(client, method)(path, headers={"Authorization": "Bearer x"})
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


def test_401_from_the_api_names_the_bearer_scheme(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="bienveilleurs"'
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer invalide"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == \
        'Bearer realm="bienveilleurs", error="invalid_token"'
    # Pages send people to the sign-in form instead.
    assert "WWW-Authenticate" not in client.get("/mes-personnes").headers


def test_hsds_errors_are_never_publicly_cacheable(client, monkeypatch):
    assert client.get("/hsds/services").headers["Cache-Control"] == "public, max-age=300"
    for path in ["/hsds/services/pas-un-id", f"/hsds/services/{uuid.uuid4()}",
                 "/hsds/services?page=0", "/hsds/services?page=abc"]:
        response = client.get(path)
        assert response.status_code in (400, 404, 422)
        assert response.headers["Cache-Control"] == "no-store", path

    def broken(args):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(open_referral, "services_page", broken)
    response = client.get("/hsds/services")
    assert response.status_code == 500
    assert response.headers["Cache-Control"] == "no-store"
