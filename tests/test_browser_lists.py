"""Lists that used to be capped, on a phone (390x844): the relays list goes on with
« Bienveilleurs suivants », and the resource form finds its structure by a search (a plain
form button) among many, keeping what was typed."""

import pytest
from playwright.sync_api import expect

from bienveilleurs.extensions import db
from bienveilleurs.web.coordination import network

from .conftest import browser_login
from .factories import make_relay, make_structure, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def coordinator(committed):
    for n in range(network.RELAY_ROWS + 2):
        make_relay(display_name=f"Voisin {n:02}", lat=49.4944 + n / 10000)
    for n in range(30):
        make_structure(name=f"Association {n:02}", address=f"{n} rue de Paris, Le Havre")
    user = make_user(role="coordinator", password="mot-de-passe-long-1")  # city-wide
    db.session.commit()
    return user.email


def test_relays_go_on_and_a_structure_is_found_by_a_search(phone, coordinator):
    browser_login(phone, coordinator, password="mot-de-passe-long-1")
    phone.goto("/reseau/bienveilleurs")
    expect(phone.locator("table tbody tr")).to_have_count(network.RELAY_ROWS)
    phone.get_by_role("link", name="Bienveilleurs suivants").click()
    expect(phone.locator("table tbody tr")).to_have_count(2)
    expect(phone.get_by_role("link", name=f"Voisin {network.RELAY_ROWS + 1:02}")).to_be_visible()
    expect(phone.get_by_role("link", name="Revenir au début")).to_be_visible()

    phone.goto("/gestion/ressources/nouvelle")
    choices = phone.get_by_role("group", name="Structure").get_by_role("radio")
    expect(choices).to_have_count(21)  # the first 20 by name, and « Nouvelle structure »
    phone.get_by_label("Nom du service").fill("Permanence écoute")
    phone.get_by_label("Chercher une structure (nom ou adresse)").fill("27 rue de Paris")
    phone.get_by_role("button", name="Chercher la structure").click()
    expect(choices).to_have_count(2)
    expect(phone.get_by_label("Nom du service")).to_have_value("Permanence écoute")
    found = phone.get_by_label("Association 27")
    found.check()
    expect(found).to_be_checked()
    assert phone.viewport_size == {"width": 390, "height": 844}
    assert phone.console_errors == []
