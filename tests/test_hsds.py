"""The public Open Referral (HSDS 3.0) read API, validated against the published schemas.

The schemas are the project's own copy (bienveilleurs/standards/hsds-3.0, unmodified, CC BY-SA
4.0, the compiled service schema built from its object schemas), the one the application
serves and its OpenAPI document refers to.
"""

import uuid
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from bienveilleurs.services import hsds_schemas

from .factories import make_resource, make_structure


def _checker():
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value):
        if not isinstance(value, str):
            return True
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    @checker.checks("uri")
    def uri(value):
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and " " not in value

    return checker


def _validator(name):
    return Draft202012Validator(hsds_schemas.document(name), format_checker=_checker())


def _page_validator():
    openapi = hsds_schemas.document("openapi.json")
    return Draft202012Validator(openapi["components"]["schemas"]["Page"], format_checker=_checker())


def assert_valid(validator, document):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def directory(db):
    structure = make_structure(name="CCAS du Havre", email="ccas@exemple.fr",
                               website="https://ccas.exemple.fr")
    located = make_resource(structure=structure, name="Permanence santé", lat=49.4944, lon=0.1079,
                            categories=["sante--sante-mentale", "famille"], audiences=["seniors"],
                            phone="02 35 00 00 00", address="1 place de l'Hôtel de Ville",
                            postal_code="76600", city="Le Havre",
                            opening_hours="Mo-Fr 09:00-12:00,14:00-17:00; PH off",
                            languages=["fr", "ar"], website="https://exemple.fr/sante",
                            email="sante@exemple.fr", description="Écoute et orientation.")
    odd_hours = make_resource(structure=structure, name="Atelier d'été",
                              opening_hours="Jul-Aug Mo 10:00-12:00",
                              categories=["remobilisation--lien-social"])
    unlocated = make_resource(structure=structure, name="Sans position", lat=None,
                              address="2 rue X", categories=["numerique"])
    hidden = make_resource(structure=structure, name="Fermée", active=False)
    extra = [make_resource(structure=structure, name=f"Ressource {i:02d}") for i in range(5)]
    return {"located": located, "odd_hours": odd_hours, "unlocated": unlocated, "hidden": hidden,
            "extra": extra}


def test_the_validator_catches_a_broken_service():
    broken = {"id": "pas-un-uuid", "status": "ouvert", "organization": {"id": str(uuid.uuid4())}}
    errors = list(_validator("compiled/service.json").iter_errors(broken))
    assert len(errors) >= 3  # missing name, bad uuid, unknown status, organization without name


def test_every_page_validates_and_pages_cover_the_active_services(client, directory):
    page_validator, item_validator = _page_validator(), _validator("compiled/service_list.json")
    seen, page, total_pages = [], 1, None
    while True:
        response = client.get(f"/hsds/services?page={page}&per_page=3")
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.get_json()
        assert_valid(page_validator, body)
        assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
                "empty", "contents"} <= set(body)
        for item in body["contents"]:
            assert_valid(item_validator, item)
        assert body["page_number"] == page and body["size"] == len(body["contents"])
        assert body["first_page"] is (page == 1)
        total_pages = body["total_pages"]
        seen.extend(item["id"] for item in body["contents"])
        if body["last_page"]:
            break
        page += 1
    assert page == total_pages
    active = {str(r.id) for k, v in directory.items() if k != "hidden"
              for r in (v if isinstance(v, list) else [v])}
    assert set(seen) >= active and str(directory["hidden"].id) not in seen
    assert len(seen) == len(set(seen))


def test_every_detail_validates_fully_nested(client, directory):
    validator = _validator("compiled/service.json")
    for key in ("located", "odd_hours", "unlocated"):
        response = client.get(f"/hsds/services/{directory[key].id}")
        assert response.status_code == 200
        assert_valid(validator, response.get_json())


def test_detail_maps_location_phones_schedules_and_taxonomy(client, directory):
    body = client.get(f"/hsds/services/{directory['located'].id}").get_json()
    assert body["organization"]["name"] == "CCAS du Havre"
    location = body["service_at_locations"][0]["location"]
    assert (location["latitude"], location["longitude"]) == pytest.approx((49.4944, 0.1079))
    assert location["addresses"][0]["postal_code"] == "76600"
    assert body["phones"][0]["number"] == "02 35 00 00 00"
    schedules = {(s["byday"], s["opens_at"], s["closes_at"]) for s in body["schedules"]}
    assert schedules == {("MO,TU,WE,TH,FR", "09:00", "12:00"), ("MO,TU,WE,TH,FR", "14:00", "17:00")}
    codes = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in body["attributes"]}
    assert set(codes) == {"sante--sante-mentale", "famille", "seniors"}
    assert codes["sante--sante-mentale"]["parent_id"] and "parent_id" not in codes["famille"]
    assert codes["seniors"]["taxonomy"] != codes["famille"]["taxonomy"]
    assert [lang["code"] for lang in body["languages"]] == ["fr", "ar"]

    odd = client.get(f"/hsds/services/{directory['odd_hours'].id}").get_json()
    assert odd["schedules"][0]["description"] == "Jul-Aug Mo 10:00-12:00"


def test_inactive_unknown_and_malformed_ids_are_404_json(client, directory):
    for service_id in (directory["hidden"].id, uuid.uuid4(), "pas-un-uuid"):
        response = client.get(f"/hsds/services/{service_id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query, status",
                         [("page=0", 422), ("per_page=1000", 422), ("page=abc", 400)])
def test_bad_paging_is_refused(client, directory, query, status):
    response = client.get(f"/hsds/services?{query}")
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_empty_page_beyond_the_end(client, directory):
    body = client.get("/hsds/services?page=99&per_page=50").get_json()
    assert body["empty"] is True and body["contents"] == [] and body["last_page"] is True


def test_the_schemas_are_served_from_the_copy_with_the_compiled_one_built_from_its_parts(client):
    # The compiled service schema is self-contained: every reference to a sibling file is
    # replaced, and what replaced it is that file (a location holds an address).
    compiled = client.get("/hsds/schemas/compiled/service.json")
    assert compiled.status_code == 200 and compiled.mimetype == "application/schema+json"
    assert '"$ref":"' not in compiled.get_data(as_text=True).replace('"$ref":"#', "")
    location = compiled.get_json()["properties"]["service_at_locations"]["items"]["properties"][
        "location"]["properties"]
    address = client.get("/hsds/schemas/schema/address.json").get_json()
    assert location["addresses"]["items"]["properties"].keys() == address["properties"].keys()
    assert compiled.headers["Cache-Control"] == "public, max-age=86400"
    again = client.get("/hsds/schemas/compiled/service.json",
                       headers={"If-None-Match": compiled.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    for name in ("schema/nothing.json", "../README.md", "README.md", "schema/../../setup.cfg"):
        assert client.get(f"/hsds/schemas/{name}").status_code == 404, name
