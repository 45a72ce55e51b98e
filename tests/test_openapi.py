"""The served OpenAPI document: valid, complete, and taking its values from the code."""

import json

import pytest
from openapi_spec_validator import validate

from bienveilleurs.models import CHANNELS, OUTCOMES, STATUSES, Role
from bienveilleurs.services import hsds_schemas
from bienveilleurs.services.codes import thematiques


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_served_document_is_valid_openapi_with_its_hsds_references_resolved(
        document, live_server):
    # References to the HSDS schemas are resolved against the server that serves them.
    validate(document, base_uri=f"{live_server.url}/api/v1/openapi.json")
    refs = {op["responses"]["200"]["content"]["application/json"]["schema"].get("$ref") or
            op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
            ["contents"]["items"]["$ref"]
            for path, _, op in operations(document) if path.startswith("/hsds/")}
    assert refs == {"/hsds/schemas/compiled/service.json",
                    "/hsds/schemas/compiled/service_list.json"}
    for ref in refs:
        served = json.loads(live_server_get(live_server, ref))
        assert served == hsds_schemas.document(ref.removeprefix("/hsds/schemas/"))
        assert served["properties"]["id"]["format"] == "uuid"


def live_server_get(live_server, path):
    from urllib.request import urlopen
    with urlopen(live_server.url + path, timeout=10) as response:  # noqa: S310 - loopback
        return response.read()


def test_every_operation_has_an_id_its_errors_and_an_example_body(document):
    ids = []
    for path, method, operation in operations(document):
        ids.append(operation["operationId"])
        statuses = set(operation["responses"])
        assert any(s.startswith("2") for s in statuses), (path, method)
        assert any(s.startswith("4") for s in statuses), (path, method)
        if operation.get("security", document.get("security")):  # an account is needed
            assert "401" in statuses, (path, method)
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= statuses, (path, method)
            assert operation["requestBody"]["content"]["application/json"]["example"]
    assert len(ids) == len(set(ids)) >= 18


def test_the_referral_flow_is_linked(document):
    ids = {op["operationId"] for _, _, op in operations(document)}
    created = document["paths"]["/api/v1/referrals"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in created.values()} == {
        "getReferral", "moveReferral", "addContact", "referralMatches", "opposeResident"}
    moved = document["paths"]["/api/v1/referrals/{id}/transitions"]["post"]["responses"]
    assert {link["operationId"] for link in moved["200"]["links"].values()} <= ids


def test_values_come_from_the_models(document, app):
    schemas = document["components"]["schemas"]
    assert schemas["TransitionInput"]["properties"]["to"]["enum"] == list(STATUSES)
    assert schemas["Referral"]["properties"]["outcome"]["enum"] == [*OUTCOMES, None]
    assert schemas["ContactInput"]["properties"]["channel"]["enum"] == list(CHANNELS)
    assert schemas["Me"]["properties"]["role"]["enum"] == [r.value for r in Role]
    assert schemas["ReferralInput"]["properties"]["category"]["enum"] == \
        sorted(thematiques())
    area = app.config["SERVICE_AREA"]
    lat = schemas["ResourceInput"]["properties"]["lat"]
    assert (lat["minimum"], lat["maximum"]) == (area.min_lat, area.max_lat)
    radius = schemas["RelayInput"]["properties"]["radius_m"]
    assert radius["maximum"] == app.config["RELAY_MAX_RADIUS_M"]
    codes = schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert {"bad_request", "too_large", "validation_error", "resident_erased"} <= set(codes)
    one_of = schemas["ReferralInput"]["oneOf"]
    assert [branch["required"] for branch in one_of] == [["resident"], ["resident_id"]]
