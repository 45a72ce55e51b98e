"""How the referral service reads what comes in: every problem at once, and stable digests.

The digests below were computed by the service before its bodies were read through
`services.fields`: a phone that kept a report or a contact offline before that change and
replays it afterwards must still get 200, not idempotency_mismatch.
"""

import uuid

import pytest

from bienveilleurs.errors import BadRequest, ConsentRequired, ValidationFailed
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral
from bienveilleurs.services import referrals as service

from .conftest import api_headers
from .referral_helpers import CATEGORY, LAT, LON, bring_to, make_world, report_payload


@pytest.fixture
def world(db):
    return make_world()


REPORTS = [
    # Names are trimmed only, languages and audiences sorted, coordinates rounded.
    ({"id": "3f0c6f5e-8d1a-4c2b-9e77-2a8e1b4c5d6f",
      "resident": {"first_name": "  Marie  Claire ", "lat": 49.49441234567, "lon": "0,1079",
                   "languages": ["FR", "ar", "fr"], "audiences": ["seniors", "familles"],
                   "phone": " 06 12 34 56 78 ", "newcomer": True},
      "category": "sante--sante-mentale", "note": " Vit seule.\nDepuis l hiver. ",
      "note_professional": True, "consent": True},
     "7659cb69c38025c354d07ffc6303f405f6c5251b73937822e0e8702a1aa60158"),
    ({"id": "9b2d7f4e-3c1a-4e8b-8f6d-5a4c3b2a1f0e",
      "resident": {"pseudonym": "Monsieur Y.", "lat": "49.5", "lon": 0.11},
      "category": "numerique", "note": "", "consent": True},
     "76fd72e18c6aac1177ac48eda770734009fd13147690650874b5556056196c4e"),
]


@pytest.mark.parametrize("payload,digest", REPORTS)
def test_the_digest_of_a_report_is_the_one_computed_before(world, payload, digest):
    referral, created = service.report(world.coordinator, payload)
    assert created
    assert db.session.get(Referral, referral.id).payload_digest.hex() == digest
    replayed, created = service.report(world.coordinator, payload)
    assert not created and replayed.id == referral.id


def test_the_digest_of_a_contact_is_the_one_computed_before(world):
    referral_id = "5a1e8c1e-1111-4c2b-9e77-2a8e1b4c5d6f"
    referral, _ = service.report(world.coordinator, report_payload(id=referral_id))
    bring_to(world, referral, "assigned")
    payload = {"id": "3f0c6f5e-8d1a-4c2b-9e77-2a8e1b4c5d6f", "at": "2025-03-14T10:30:00+01:00",
               "channel": "visit", "reached": True, "note": " A parlé\nlongtemps. "}
    contact, created = service.log_contact(world.coordinator, referral_id, payload)
    assert created
    stored = db.session.get(Contact, contact.id).payload_digest.hex()
    assert stored == "e885cc8cf9eed37b58bbe7482f1e53c2a182fac726b5033118ae87700acc7170"
    assert service.log_contact(world.coordinator, referral_id, payload)[1] is False


def test_every_problem_of_a_report_is_said_at_once(world, client_as):
    body = report_payload(resident={"first_name": "Mireille", "lat": LAT, "lon": LON,
                                    "phone": "pas un numéro", "languages": ["français"]},
                          category="pas-un-code", note="x" * 2001)
    response = client_as(world.relay_user).post("/api/v1/referrals", json=body,
                                                headers=api_headers())
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == [
        "category", "resident.languages", "resident.phone", "note"]


def test_missing_and_invalid_values_together_are_a_400_naming_both(world):
    with pytest.raises(BadRequest) as caught:
        service.report(world.coordinator, {"resident": {"lat": LAT, "lon": LON, "phone": "x"},
                                           "consent": True})
    assert {d["field"] for d in caught.value.details} == {
        "category", "resident.first_name", "resident.phone"}


def test_consent_is_checked_before_the_other_fields(world):
    with pytest.raises(ConsentRequired) as caught:
        service.report(world.coordinator, {"category": "pas-un-code"})
    assert (caught.value.status, caught.value.code) == (422, "consent_required")


@pytest.mark.parametrize("resident", [
    {"first_name": "Mi\x00reille"},
    {"first_name": "Mi\x07reille"},
    {"pseudonym": "P\ud800"},
])
def test_control_characters_are_refused(world, resident):
    with pytest.raises(ValidationFailed) as caught:
        service.report(world.coordinator, {"resident": {"lat": LAT, "lon": LON, **resident},
                                           "category": CATEGORY, "consent": True})
    assert caught.value.details[0]["field"].startswith("resident.")
    assert db.session.query(Referral).count() == 0


def test_every_problem_of_a_move_is_said_at_once(world):
    referral, _ = service.report(world.coordinator, report_payload())
    with pytest.raises(ValidationFailed) as caught:
        service.transition(world.coordinator, referral.id, "closed", relay_id="pas-un-uuid",
                           outcome="bof", note="\x00")
    assert [d["field"] for d in caught.value.details] == ["relay_id", "outcome", "note"]


def test_every_problem_of_a_contact_is_said_at_once(world):
    referral = bring_to(world, service.report(world.coordinator, report_payload())[0],
                        "assigned")
    with pytest.raises(BadRequest) as caught:
        service.log_contact(world.coordinator, referral.id,
                            {"id": str(uuid.uuid4()), "at": "hier", "channel": "pigeon"})
    assert [d["field"] for d in caught.value.details] == ["reached", "at", "channel"]
