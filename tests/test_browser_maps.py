"""Maps on a phone when the outside services are out of reach, and with the keyboard.

A development install points at public tiles and address search; without network neither
answers. The map then says so inside itself (nothing moves on the page), a tap still places
the point, a typed address gets a clear message naming the other ways; and wherever a map
shows many markers it is one Tab stop, the list beside it being the keyboard path.
"""

import contextlib

import pytest
from playwright.sync_api import expect

from bienveilleurs.extensions import db

from .conftest import browser_login
from .factories import make_resource, make_structure, make_user
from .geocoder_stub import geocoder_url

pytestmark = pytest.mark.browser

CLOSED = "http://127.0.0.1:9"  # nothing listens there


@contextlib.contextmanager
def settings(app, **values):
    previous = {name: app.config[name] for name in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(previous)


@pytest.fixture
def searcher(committed):
    structure = make_structure(name="CCAS test")
    for n in range(8):
        make_resource(structure=structure, name=f"Ressource {n}", lat=49.4944 + n * 0.0007,
                      lon=0.1079 + n * 0.0009, categories=("sante--acces-aux-soins",))
    user = make_user(role="social_worker")
    db.session.commit()
    return user.email


def test_without_tiles_nor_address_search_the_map_says_so_and_a_tap_places_the_point(
        app, phone, searcher):
    with settings(app, TILE_URL=CLOSED + "/{z}/{x}/{y}.png", TILE_ATTRIBUTION="© les tuiles"), \
            geocoder_url(app, CLOSED + "/search"):
        browser_login(phone, searcher)
        phone.goto("/ressources")
        note = phone.locator(".map .map-note")
        expect(note).to_contain_text("Le fond de carte ne se charge pas")
        assert phone.locator(".map-attribution").inner_text() == "Fond de carte © les tuiles"

        phone.get_by_label("Adresse").fill("2 rue de la Crèche")
        phone.get_by_role("button", name="Rechercher", exact=True).click()
        phone.wait_for_load_state()
        error = phone.locator("#address-error").inner_text()
        assert "le service de géocodage ne répond pas" in error
        assert "touchez la carte" in error

        box = phone.locator(".map").bounding_box()
        phone.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
        assert phone.input_value("#lat") and phone.input_value("#lon")
        assert phone.input_value("#address") == ""
    # Only the tiles failed to load: no script error.
    assert all(e.startswith("Failed to load resource") for e in phone.console_errors)


def test_a_map_with_many_markers_is_one_tab_stop_before_the_list(phone, searcher):
    browser_login(phone, searcher)
    phone.goto("/ressources?lat=49.4944&lon=0.1079&category=sante")
    phone.wait_for_selector(".leaflet-marker-icon.marker-resource")
    assert phone.locator(".leaflet-marker-icon.marker-resource").count() == 8
    stops = []
    for _ in range(80):
        phone.keyboard.press("Tab")
        stops.append(phone.evaluate(
            """() => { const e = document.activeElement;
                       if (e.closest('.map')) return e.classList.contains('map') ? 'map' : 'in-map';
                       if (e.closest('.resource-results')) return 'list';
                       return 'page'; }"""))
        if stops[-1] == "list":
            break
    assert stops.count("map") == 1
    assert "in-map" not in stops
    assert stops[-1] == "list"
    assert stops.index("map") < stops.index("list")
