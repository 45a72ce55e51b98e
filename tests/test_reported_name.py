"""« Personnes que j'ai signalées »: each person under the first name or pseudonym the reporter
typed, kept with the report (a later correction does not reach the reporter), erased with the
person."""

import pytest
from sqlalchemy import select

from bienveilleurs.models import Referral
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service

from .referral_helpers import LAT, LON, make_world, new_referral
from .test_referral_pages import row, text


@pytest.fixture
def world(db):
    return make_world()


def reported_section(client):
    return text(client.get("/mes-personnes")).split("Personnes que j'ai signalées", 1)[1]


def report(world, **person):
    referral = new_referral(world, by=world.relay_user,
                            resident={"lat": LAT, "lon": LON, **person})
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.other_relay.id)
    return referral


def test_two_people_reported_the_same_day_are_told_apart_by_their_names(world, client_as):
    report(world, first_name="Gaston")
    report(world, pseudonym="Monsieur Y.")
    section = reported_section(client_as(world.relay_user))
    assert "Gaston" in section and "Monsieur Y." in section


def test_a_later_correction_does_not_reach_the_reporter(world, client_as, db):
    referral = report(world, first_name="Gaston")
    service.correct_details(world.coordinator, referral.id,
                            {"resident": {"first_name": "Gaëtan"}})
    assert row(referral.id).resident.first_name == "Gaëtan"
    relay = client_as(world.relay_user)
    section = reported_section(relay)
    assert "Gaston" in section and "Gaëtan" not in section
    page = text(relay.get(f"/orientations/{referral.id}"))
    assert "<h1>Gaston</h1>" in page and "Gaëtan" not in page


def test_the_name_is_erased_with_the_person(world, client_as, db):
    referral = report(world, first_name="Gaston")
    privacy.oppose(world.coordinator, row(referral.id).resident_id)
    db.expire_all()
    assert db.scalar(select(Referral.reported_name).where(Referral.id == referral.id)) is None
    assert "Gaston" not in text(client_as(world.relay_user).get("/mes-personnes"))
