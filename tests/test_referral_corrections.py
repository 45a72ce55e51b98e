"""« Corriger les informations »: services.referrals.correct_details and its form page."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from bienveilleurs.errors import (
    BadRequest,
    Forbidden,
    InvalidTransition,
    NotFound,
    ResidentErased,
    StaleVersion,
    ValidationFailed,
)
from bienveilleurs.extensions import db
from bienveilleurs.models import Referral, ReferralEvent, Resident
from bienveilleurs.services import referrals as service

from .referral_helpers import CATEGORY, LAT, LON, bring_to, make_world, new_referral, snapshot

OTHER_CATEGORY = "famille--garde-denfants"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def world(db):
    return make_world()


COLUMNS = ("first_name", "pseudonym", "phone", "languages", "audiences", "newcomer", "category",
           "point", "approx_point")


def person(referral_id):
    """The stored details of the referral's person and its need, read from the rows."""
    db.session.expire_all()
    row = db.session.execute(
        select(Resident.first_name, Resident.pseudonym, Resident.phone, Resident.languages,
               Resident.audiences, Resident.newcomer, Referral.category,
               Resident.point.ST_AsText(), Resident.approx_point.ST_AsText())
        .join(Referral, Referral.resident_id == Resident.id)
        .where(Referral.id == referral_id)).one()
    return tuple(row)


def events(referral_id):
    db.session.expire_all()
    return db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
                              .order_by(ReferralEvent.id)).all()


def version(referral_id):
    db.session.expire_all()
    return db.session.scalar(select(Referral.version).where(Referral.id == referral_id))


# --- service ------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field, label, check", [
    ({"resident": {"first_name": "Mireya"}}, "first_name", "prénom", lambda p: p[0] == "Mireya"),
    ({"resident": {"pseudonym": "Mimi"}}, "pseudonym", "pseudonyme", lambda p: p[1] == "Mimi"),
    ({"resident": {"phone": "07 11 22 33 44"}}, "phone", "téléphone",
     lambda p: p[2] == "07 11 22 33 44"),
    ({"resident": {"languages": ["ar", "fr"]}}, "languages", "langues",
     lambda p: sorted(p[3]) == ["ar", "fr"]),
    ({"resident": {"audiences": ["seniors"]}}, "audiences", "publics",
     lambda p: p[4] == ["seniors"]),
    ({"resident": {"newcomer": True}}, "newcomer", "arrivée récente", lambda p: p[5] is True),
    ({"category": OTHER_CATEGORY}, "category", "besoin", lambda p: p[6] == OTHER_CATEGORY),
])
def test_each_field_is_corrected_and_named_in_one_event(world, data, field, label, check):
    referral = new_referral(world)
    before, before_version, before_events = person(referral.id), version(referral.id), \
        len(events(referral.id))
    assert not check(before)
    changed = service.correct_details(world.coordinator, referral.id, data,
                                      version=before_version)
    assert changed == [field]
    after = person(referral.id)
    assert check(after)
    # Only that field moved; the position never does.
    assert [name for name, a, b in zip(COLUMNS, after, before, strict=True) if a != b] == [field]
    assert version(referral.id) == before_version + 1
    timeline = events(referral.id)
    assert len(timeline) == before_events + 1
    event = timeline[-1]
    assert event.reason == service.CORRECTION_REASON
    assert event.from_status == event.to_status == "reported"
    assert event.actor_id == world.coordinator.id
    assert event.note == f"Informations corrigées : {label}."


def test_several_fields_in_one_event_without_the_values(world):
    referral = bring_to(world, new_referral(world), "contacted")
    changed = service.correct_details(world.relay_user, referral.id, {
        "resident": {"phone": "07 11 22 33 44", "languages": ["fr", "ar"]},
        "category": OTHER_CATEGORY})
    assert changed == ["phone", "languages", "category"]
    event = events(referral.id)[-1]
    assert event.note == "Informations corrigées : téléphone, langues, besoin."
    assert (event.from_status, event.to_status) == ("contacted", "contacted")
    # The relay still counts as assigned throughout (contacts logged late stay allowed).
    assert [r for r, _, end in service.assignment_periods(row(referral.id)) if end is None] \
        == [world.relay.id]


def row(referral_id):
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def test_no_change_writes_nothing(world):
    referral = new_referral(world)
    before = snapshot(referral.id), person(referral.id)
    same = {"resident": {"first_name": " Mireille ", "languages": ["fr"],
                         "phone": "06 12 34 56 78"}, "category": CATEGORY}
    assert service.correct_details(world.coordinator, referral.id, same) == []
    assert (snapshot(referral.id), person(referral.id)) == before


@pytest.mark.parametrize("resident, field", [
    ({"phone": "appelle-moi"}, "resident.phone"),
    ({"languages": ["klingon"]}, "resident.languages"),
    ({"audiences": ["pas-un-public"]}, "resident.audiences"),
])
def test_invalid_values_are_refused_as_a_report_refuses_them(world, resident, field):
    referral = new_referral(world)
    before = snapshot(referral.id), person(referral.id)
    with pytest.raises(ValidationFailed) as caught:
        # A valid change beside the invalid one must not be written either.
        service.correct_details(world.coordinator, referral.id,
                                {"resident": {"first_name": "Autre", **resident}})
    assert caught.value.status == 422
    assert [d["field"] for d in caught.value.details] == [field]
    with pytest.raises(ValidationFailed) as reported:
        service.report(world.coordinator, {"resident": {"first_name": "X", "lat": LAT, "lon": LON,
                                                        **resident},
                                           "category": CATEGORY, "consent": True})
    assert reported.value.message == caught.value.message  # the same checks, the same words
    assert (snapshot(referral.id), person(referral.id)) == before


def test_removing_both_names_is_refused(world):
    referral = new_referral(world)
    before = person(referral.id)
    with pytest.raises(BadRequest) as caught:
        service.correct_details(world.coordinator, referral.id, {"resident": {"first_name": ""}})
    assert caught.value.details[0]["field"] == "resident.first_name"
    assert person(referral.id) == before


def test_a_stale_version_is_refused(world):
    referral = new_referral(world)
    seen = version(referral.id)
    service.correct_details(world.coordinator, referral.id, {"resident": {"phone": "0611111111"}},
                            version=seen)
    before = snapshot(referral.id), person(referral.id)
    with pytest.raises(StaleVersion) as caught:
        service.correct_details(world.coordinator, referral.id,
                                {"resident": {"phone": "0622222222"}}, version=seen)
    assert (caught.value.status, caught.value.code) == (409, "stale_version")
    assert (snapshot(referral.id), person(referral.id)) == before


def test_a_closed_referral_is_not_corrected(world):
    referral = bring_to(world, new_referral(world), "closed")
    before = snapshot(referral.id), person(referral.id)
    with pytest.raises(InvalidTransition):
        service.correct_details(world.coordinator, referral.id,
                                {"resident": {"phone": "0611111111"}})
    assert (snapshot(referral.id), person(referral.id)) == before


def test_an_erased_person_is_gone(world):
    referral = new_referral(world)
    db.session.execute(Resident.__table__.update().where(Resident.id == referral.resident_id)
                       .values(erased_at=db.func.now(), first_name=None, phone=None))
    with pytest.raises(ResidentErased):
        service.correct_details(world.coordinator, referral.id, {"resident": {"pseudonym": "P"}})


@pytest.mark.parametrize("who, error", [
    ("other_relay_user", NotFound),   # not theirs: out of scope
    ("admin", NotFound),              # admins never see the content of referrals (DESIGN)
    ("reporter", Forbidden),          # reported it: sees its status only
    ("social", Forbidden),            # the structure it was sent to
])
def test_only_coordinators_and_the_assigned_relay_correct(world, who, error):
    referral = new_referral(world, by=world.reporter)
    referral = bring_to(world, referral, "referred")
    before = snapshot(referral.id), person(referral.id)
    with pytest.raises(error):
        service.correct_details(getattr(world, who), referral.id,
                                {"resident": {"phone": "0611111111"}})
    assert (snapshot(referral.id), person(referral.id)) == before
    assert not service.may_correct(getattr(world, who), row(referral.id))
    assert service.may_correct(world.relay_user, row(referral.id))


def test_the_position_is_refused(world):
    referral = new_referral(world)
    before = snapshot(referral.id), person(referral.id)
    with pytest.raises(ValidationFailed) as caught:
        service.correct_details(world.coordinator, referral.id,
                                {"resident": {"phone": "0611111111", "lat": LAT + 0.01,
                                              "lon": LON}})
    assert caught.value.details[0]["field"] == "resident.lat"
    assert (snapshot(referral.id), person(referral.id)) == before


def test_a_correction_keeps_a_sent_back_referral_in_the_inbox(world):
    referral = bring_to(world, new_referral(world), "referred")
    service.transition(world.coordinator, referral.id, "contacted", reason="declined")
    service.correct_details(world.coordinator, referral.id, {"resident": {"phone": "0611111111"}})
    kinds = {item.referral.id: item.kind for item in service.coordinator_inbox(world.coordinator)}
    assert kinds[referral.id] == "sent_back"


# --- pages --------------------------------------------------------------------------------

def text(response):
    return unescape(response.get_data(as_text=True))


def form_of(html):
    fields = dict(re.findall(r'<input[^>]*name="(version|phone|first_name|pseudonym|languages)"'
                             r'[^>]*value="([^"]*)"', html))
    fields["csrf_token"] = TOKEN.search(html).group(1)
    fields["category"] = CATEGORY
    return fields


def test_the_coordinator_corrects_a_phone_through_the_form(world, client_as):
    referral = new_referral(world)
    client = client_as(world.coordinator)
    page = text(client.get(f"/coordination/orientations/{referral.id}"))
    link = f"/orientations/{referral.id}/corriger"
    assert "Corriger les informations" in page and link in page
    form_page = client.get(link)
    assert form_page.status_code == 200
    html = text(form_page)
    data = form_of(html)
    assert data["phone"] == "06 12 34 56 78" and data["first_name"] == "Mireille"
    assert data["version"] == str(version(referral.id))
    assert 'for="phone"' in html  # labelled fields
    data["phone"] = "07 98 76 54 32"
    response = client.post(link, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/coordination/orientations/{referral.id}")
    assert person(referral.id)[2] == "07 98 76 54 32"
    shown = text(client.get(response.headers["Location"]))
    status = shown[shown.index('role="status"'):]
    assert "Informations corrigées." in status[:status.index("</div>")]
    timeline = shown[shown.index('id="h-timeline"'):]
    assert "Informations corrigées : téléphone." in timeline
    assert "07 98 76 54 32" not in timeline

    # The same form again, with the version it was read at: refused, input kept.
    data["phone"] = "06 00 00 00 01"
    stale = client.post(link, data=data)
    assert stale.status_code == 409
    page = text(stale)
    assert "modifiées entre-temps" in page
    assert 'value="06 00 00 00 01"' in page
    assert person(referral.id)[2] == "07 98 76 54 32"


def test_form_errors_are_shown_on_the_field(world, client_as):
    referral = new_referral(world)
    client = client_as(world.coordinator)
    link = f"/orientations/{referral.id}/corriger"
    data = form_of(text(client.get(link)))
    data["phone"] = "pas un numéro"
    response = client.post(link, data=data)
    assert response.status_code == 422
    page = text(response)
    assert 'id="phone-error"' in page and "Le numéro de téléphone n'est pas valide" in page
    assert person(referral.id)[2] == "06 12 34 56 78"


def test_no_link_nor_form_for_a_social_worker(world, client_as):
    referral = bring_to(world, new_referral(world), "referred")
    client = client_as(world.social)
    page = client.get(f"/structure/orientations/{referral.id}")
    assert page.status_code == 200
    assert "Corriger les informations" not in text(page)
    assert client.get(f"/orientations/{referral.id}/corriger").status_code == 403
    relay_page = text(client_as(world.relay_user).get(f"/orientations/{referral.id}"))
    assert "Corriger les informations" in relay_page
