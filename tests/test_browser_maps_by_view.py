"""The open referrals' map in headless Chromium, on a phone (390x844), without tiles: the
list is there at once, the map fetches its markers for what is in view, again after a pan,
never anyone out of scope; the list may then follow the visible zone."""

import json
import re

import pytest
from playwright.sync_api import expect

from bienveilleurs.extensions import db
from bienveilleurs.services import referrals as service

from .conftest import browser_login
from .factories import make_territory, make_user
from .referral_helpers import CATEGORY

pytestmark = pytest.mark.browser

SOUTH = [(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)]
NORTH = [(0.10, 49.50), (0.12, 49.50), (0.12, 49.51), (0.10, 49.51)]
FETCHED = re.compile(r"^[1-9]\d*$")  # the map drew a fetched answer with features


@pytest.fixture
def territories(committed):
    south, north = make_territory(polygon=SOUTH), make_territory(polygon=NORTH)
    ours = make_user(role="coordinator", display_name="Sud", territories=[south])
    theirs = make_user(role="coordinator", display_name="Nord", territories=[north])
    db.session.commit()
    for n in range(12):
        service.report(ours, {
            "resident": {"first_name": f"Sudiste {n:02d}", "lat": 49.491 + (n // 4) * 0.003,
                         "lon": 0.101 + (n % 4) * 0.005},
            "category": CATEGORY, "consent": True})
    outside = [service.report(theirs, {
        "resident": {"first_name": f"Nordiste {n}", "lat": 49.5005 + n * 0.0005,
                     "lon": 0.105 + n * 0.004},
        "category": CATEGORY, "consent": True})[0].id for n in range(3)]
    return ours.email, {str(i) for i in outside}


def test_the_map_fetches_what_is_in_view_and_the_list_follows_it(phone, territories):
    email, outside = territories
    answers = []

    def keep(response):
        if "/coordination/carte/points" in response.url:
            answers.append(response.json())

    phone.on("response", keep)
    browser_login(phone, email)
    phone.goto("/coordination/carte")
    assert phone.locator("ol.results > li").count() == 12  # the list, without waiting
    the_map = phone.locator(".map[data-map]")
    expect(phone.locator(".map[data-map]")).to_have_attribute("data-fetched", FETCHED)
    assert phone.locator(".map .leaflet-marker-icon").count() > 0

    # A pan: the map asks again for the new view, and draws its answer.
    asked = len(answers)
    with phone.expect_response(lambda r: "/coordination/carte/points" in r.url):
        phone.evaluate("document.querySelector('.map').bvMap.map.panBy([120, 160])")
    phone.wait_for_timeout(200)  # drawn
    assert len(answers) > asked
    assert phone.locator(".map .leaflet-marker-icon").count() > 0
    shown = 0
    for answer in answers:
        for feature in answer["features"]:
            properties = feature["properties"]
            shown += properties["label"] if properties["kind"] == "cluster" else 1
            if properties["kind"] == "person":
                assert properties["url"].rsplit("/", 1)[1] not in outside, properties
            assert "Nordiste" not in json.dumps(properties)
    assert shown > 0

    # Zoomed out over both territories: still only ours, counted.
    with phone.expect_response(lambda r: "/coordination/carte/points" in r.url):
        phone.evaluate("document.querySelector('.map').bvMap.map.setView([49.5, 0.11], 12)")
    last = answers[-1]["features"]
    assert sum(f["properties"].get("label", 1) if f["properties"]["kind"] == "cluster" else 1
               for f in last) == 12

    # The list limited to the visible zone, without the map's help afterwards.
    with phone.expect_response(lambda r: "/coordination/carte/points" in r.url):
        phone.evaluate("document.querySelector('.map').bvMap.map.setView([49.491, 0.101], 17)")
    link = phone.get_by_role("link", name="Limiter la liste à la zone visible")
    assert "zone=" in link.get_attribute("href")
    link.click()
    phone.wait_for_url("**/coordination/carte?zone=*")
    assert 0 < phone.locator("ol.results > li").count() < 12
    assert "Sudiste 00" in phone.locator("ol.results").inner_text()
    assert phone.get_by_role("link", name="Voir toute la liste").is_visible()
    assert the_map.count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []


def test_the_coverage_map_draws_the_uncovered_cells_in_view(phone, committed):
    from bienveilleurs.services import coverage_cache

    from .factories import make_relay
    territory = make_territory(name="Quartier Sud", polygon=SOUTH)
    coordinator = make_user(role="coordinator", territories=[territory])
    make_relay(lon=0.105, lat=49.495, radius_m=500, display_name="Bernadette")
    db.session.commit()
    coverage_cache.refresh()
    browser_login(phone, coordinator.email)
    with phone.expect_response(lambda r: "/couverture/carte" in r.url) as fetched:
        phone.goto("/couverture/")
    assert "Calculé à" in phone.locator("main").inner_text()
    assert phone.locator("section.territory-coverage h2").inner_text() == "Quartier Sud"
    features = fetched.value.json()["features"]
    assert any(f["properties"].get("kind") == "relay" for f in features)
    expect(phone.locator(".map[data-map]")).to_have_attribute("data-fetched", FETCHED)
    assert phone.locator(".map path.map-area-uncovered").count() + phone.locator(
        ".map .marker-cluster").count() > 0
    assert phone.locator(".map .marker-relay").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
