"""A social worker looks up resources near an address, then near a point, on a phone (390x844).

The address goes through a local stub of the Base Adresse Nationale; the point is picked on
the map, typed, or taken from the browser's position. Markers on the map match the list,
sorted by distance; no console error and no Content-Security-Policy violation.
"""

import pytest
from playwright.sync_api import expect

from bienveilleurs.extensions import db
from geo.distance import haversine_m

from .conftest import browser_login, open_menu
from .factories import make_resource, make_structure, make_user
from .geocoder_stub import ban_stub, geocoder_url

pytestmark = pytest.mark.browser

# (name, lat, lon, category)
RESOURCES = [
    ("Écoute psy du centre", 49.4950, 0.1079, "sante--sante-mentale"),
    ("Soins sans rendez-vous", 49.4944, 0.1200, "sante--acces-aux-soins"),
    ("Addictologie", 49.5050, 0.1300, "sante--addictions"),
    ("Point santé Sud", 49.4830, 0.1400, "sante--acces-aux-soins"),
    ("Crèche des Lilas", 49.4947, 0.1085, "famille--garde-denfants"),
]
HEALTH = [r for r in RESOURCES if r[3].startswith("sante--")]
ADDRESS = (0.1081, 49.4946, "2 Rue de la Crèche 76600 Le Havre")


@pytest.fixture
def social_worker(committed):
    structure = make_structure(name="CCAS test")
    for name, lat, lon, category in RESOURCES:
        make_resource(structure=structure, name=name, lat=lat, lon=lon, categories=(category,),
                      address=f"{name}, Le Havre", phone="02 35 00 00 00")
    user = make_user(role="social_worker", display_name="Sophie Social")
    db.session.commit()
    return user.email


def listed(page):
    """Names and distances (metres) of the results list, in order."""
    rows = []
    for item in page.locator(".resource-results > li").all():
        name = item.locator("strong").first.inner_text()
        value, unit, *how = item.locator(".distance").inner_text().split()
        assert " ".join(how) == "à vol d'oiseau"  # no street network in the tests' database
        rows.append((name, float(value.replace(",", ".")) * (1000 if unit == "km" else 1)))
    return rows


def nearest_health(lat, lon):
    return [name for name, *_ in sorted(HEALTH, key=lambda r: haversine_m(lon, lat, r[2], r[1]))]


def check_results(page, lat, lon):
    rows = listed(page)
    assert [name for name, _ in rows] == nearest_health(lat, lon)
    distances = [d for _, d in rows]
    assert distances == sorted(distances)
    summary = page.get_by_role("status").filter(has_text="ressources trouvées")
    assert summary.inner_text().startswith(f"{len(rows)} ressources trouvées")
    # One marker per result (numbered like the list) plus the ring of the search point.
    page.wait_for_selector(".leaflet-marker-icon.marker-resource")
    assert page.locator(".leaflet-marker-icon.marker-resource").count() == len(rows)
    assert page.locator(".leaflet-marker-icon").count() == len(rows) + 1
    labels = page.locator(".leaflet-marker-icon.marker-resource span").all_inner_texts()
    assert sorted(labels, key=int) == [str(n) for n in range(1, len(rows) + 1)]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_social_worker_finds_resources_by_address_and_by_point(app, phone, social_worker):
    phone.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    with ban_stub({"crèche": ADDRESS}) as (url, queries), geocoder_url(app, url):
        browser_login(phone, social_worker)
        open_menu(phone)
        phone.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Ressources").click()
        phone.wait_for_selector(".leaflet-container")

        # 1. An address, and one category.
        phone.get_by_label("Adresse").fill("2 rue de la Crèche")
        phone.get_by_label("Thématique").select_option("sante")
        phone.get_by_role("button", name="Rechercher", exact=True).click()
        phone.wait_for_load_state()
        assert queries == ["2 rue de la Crèche"]
        assert "Adresse trouvée : 2 Rue de la Crèche" in phone.locator("#resultats").inner_text()
        assert "Crèche des Lilas" not in phone.locator(".resource-results").inner_text()
        check_results(phone, ADDRESS[1], ADDRESS[0])

    # 2. A point picked on the map: the coordinates fill in, the address is cleared.
    box = phone.locator(".map").bounding_box()
    phone.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.35)
    lat, lon = phone.input_value("#lat"), phone.input_value("#lon")
    assert len(lat.split(".")[1]) == 6 and len(lon.split(".")[1]) == 6
    assert (lat, lon) != (f"{ADDRESS[1]:.6f}", f"{ADDRESS[0]:.6f}")
    assert phone.input_value("#address") == ""
    phone.get_by_role("button", name="Rechercher autour du point choisi").click()
    phone.wait_for_load_state()
    check_results(phone, float(lat), float(lon))

    # 3. Typed coordinates, next to "Point santé Sud".
    phone.get_by_label("Latitude").fill("49.4829")
    phone.get_by_label("Longitude").fill("0.1401")
    phone.get_by_label("Longitude").press("Enter")
    phone.wait_for_load_state()
    assert listed(phone)[0][0] == "Point santé Sud"
    check_results(phone, 49.4829, 0.1401)

    # 4. The browser's position.
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 49.5049, "longitude": 0.1301})
    phone.get_by_role("button", name="Utiliser ma position").click()
    # A locator assertion waits without evaluating a string in the page: the page's CSP
    # forbids eval, which made a polled string predicate fail when the position came late.
    expect(phone.locator("#lat")).to_have_value("49.504900")
    assert phone.input_value("#lon") == "0.130100"
    phone.get_by_role("button", name="Rechercher autour du point choisi").click()
    phone.wait_for_load_state()
    assert listed(phone)[0][0] == "Addictologie"

    # The detail page of the nearest one, with its own small map.
    phone.locator(".resource-results a").first.click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Addictologie")
    phone.wait_for_selector(".leaflet-marker-icon")
    assert phone.locator(".leaflet-marker-icon").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
