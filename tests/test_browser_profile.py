"""A relay sets their availability and radius on the phone, in headless Chromium."""

import pytest
from sqlalchemy import select

from bienveilleurs.models import Relay

from .conftest import browser_login, open_menu
from .factories import make_relay, make_user

pytestmark = pytest.mark.browser


def test_relay_sets_availability_on_the_phone(app, phone, committed):
    with app.app_context():
        account = make_user(role="relay", email="voisin@test.bienveilleurs.fr")
        relay_id = make_relay(user=account, radius_m=600, availability="Sa 10:00-12:00").id
        committed.commit()
    browser_login(phone, "voisin@test.bienveilleurs.fr")
    open_menu(phone)
    phone.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes disponibilités").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Mes disponibilités"
    editor = phone.locator(".weekly-editor")
    assert "Actuellement : Samedi, de 10 h à 12 h." in editor.inner_text()
    assert "Sa 10:00" not in editor.inner_text()  # the OpenStreetMap code stays folded away
    # A day not ticked is one line; ticking it shows its hours.
    monday = phone.get_by_role("group", name="Lundi")
    assert not monday.get_by_label("de (1re plage)").is_visible()
    phone.get_by_label("Rayon d'action (mètres)").fill("1200")
    monday.get_by_label("Lundi").check()
    monday.get_by_label("de (1re plage)").fill("18:00")
    monday.get_by_label("à (1re plage)").fill("20:30")
    phone.get_by_role("button", name="Enregistrer").click()
    phone.wait_for_load_state()
    assert "Vos disponibilités sont enregistrées." in phone.locator(".flashes").inner_text()
    assert ("Actuellement : Lundi, de 18 h à 20 h 30 ; Samedi, de 10 h à 12 h."
            in phone.locator(".weekly-editor").inner_text())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
    with app.app_context():
        committed.expire_all()
        relay = committed.scalar(select(Relay).where(Relay.id == relay_id))
        assert (relay.radius_m, relay.availability) == (1200, "Mo 18:00-20:30; Sa 10:00-12:00")
