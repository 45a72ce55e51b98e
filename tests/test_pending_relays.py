"""A relay whose invitation is still pending cannot be reached through the app yet: proposed
after every active relay, and marked « invitation en attente »."""

import re

import pytest

from bienveilleurs.extensions import db

from .factories import make_relay, make_user
from .referral_helpers import LAT, LON, make_world, new_referral
from .test_referral_pages import text


@pytest.fixture
def world(db):
    return make_world()


def test_a_relay_still_to_activate_comes_after_active_ones_and_is_marked(world, client_as):
    # Far enough north that two of the world's relays reach the person (radius 3 km).
    lat = LAT + 0.025
    new_referral(world, resident={"first_name": "Mireille", "lat": lat, "lon": LON})
    invited = make_user(role="relay", display_name="Ines Invitée")
    invited.password_hash = None
    # The nearest of all, with the most room: first on every other criterion.
    make_relay(user=invited, display_name="Ines Invitée", lat=lat, lon=LON, radius_m=2000,
               capacity=9)
    db.session.flush()
    page = text(client_as(world.coordinator).get("/coordination/a-attribuer"))
    section = page.split("Signalées, à attribuer")[1].split("Refusées")[0]
    names = re.findall(r"<strong>([^<]+)</strong>\s*<span class=\"distance\">", section)
    assert "Ines Invitée" in names and names[-1] == "Ines Invitée"
    assert len(names) == 3
    card = section.split("Ines Invitée</strong>", 1)[1].split("</li>", 1)[0]
    assert "Invitation en attente" in card
    others = section.split("Ines Invitée</strong>", 1)[0]
    assert "Invitation en attente" not in others
