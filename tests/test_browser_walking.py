"""The relay's « Orienter » page on a phone (390x844), with and without a street network.

The person lives on the north bank of tests/basin_network.py's basin. With the network,
the service along the bank comes first and each proposal says how many minutes on foot;
without it, the one across the water is first, « à vol d'oiseau ». A full service comes
last either way, and says so.
"""

import pytest
from sqlalchemy import text

from bienveilleurs.extensions import db
from bienveilleurs.services import referrals as service
from bienveilleurs.services.routing import network

from . import basin_network as town
from .conftest import browser_login
from .factories import make_relay, make_resource, make_structure, make_user

pytestmark = pytest.mark.browser

CATEGORY = "sante--acces-aux-soins"
PERSON, ACROSS, ALONG, FULL = (100.0, 130.0), (100.0, -130.0), (700.0, 130.0), (250.0, 140.0)


@pytest.fixture
def orient(committed, tmp_path):
    """A contacted referral of a person on the north bank; the network imported."""
    path = tmp_path / "basin.osm"
    town.write(path)
    network.import_network(path)
    coordinator = make_user(role="coordinator")
    relay_user = make_user(role="relay", display_name="Rémi Relais")
    relay = make_relay(user=relay_user, lon=town.to_lon_lat(*PERSON)[0],
                       lat=town.to_lon_lat(*PERSON)[1], radius_m=2000)
    structure = make_structure(name="Maison de santé")
    for name, point, extra in (("En face, de l'autre côté du bassin", ACROSS, {}),
                               ("Sur le même quai", ALONG, {}),
                               ("Tout près mais complet", FULL,
                                {"saturation": "full", "audiences": ["seniors"]})):
        lon, lat = town.to_lon_lat(*point)
        make_resource(structure=structure, name=name, lon=lon, lat=lat, categories=(CATEGORY,),
                      **extra)
    lon, lat = town.to_lon_lat(*PERSON)
    referral, _ = service.report(coordinator, {
        "resident": {"first_name": "Odette", "lat": lat, "lon": lon, "audiences": ["seniors"]},
        "category": CATEGORY, "consent": True})
    service.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    service.transition(coordinator, referral.id, "contacted")
    db.session.commit()
    yield {"relay": relay_user.email, "url": f"/orientations/{referral.id}/orienter"}
    db.session.rollback()
    db.session.execute(text("DROP SCHEMA IF EXISTS routing CASCADE"))
    db.session.commit()


def proposals(page):
    items = page.locator(".resource-choices > li")
    return [(item.locator("strong").inner_text(), item.locator(".why").inner_text())
            for item in items.all()]


def test_the_relay_sees_why_each_proposal_on_foot_and_as_the_crow_flies(phone, orient):
    browser_login(phone, orient["relay"])
    phone.goto(orient["url"])
    shown = proposals(phone)
    assert [name for name, _ in shown] == ["Sur le même quai",
                                           "En face, de l'autre côté du bassin",
                                           "Tout près mais complet"]
    assert all(why.endswith("min à pied") for _, why in shown)
    assert shown[2][1].startswith("pour les séniors · complet · ")
    assert "à pied, par les rues" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    db.session.execute(text("DROP SCHEMA routing CASCADE"))
    db.session.commit()
    phone.reload()
    shown = proposals(phone)
    assert [name for name, _ in shown] == ["En face, de l'autre côté du bassin",
                                           "Sur le même quai", "Tout près mais complet"]
    assert all(why.endswith("à vol d'oiseau") for _, why in shown)
    assert phone.console_errors == []



def test_the_api_walks_too_where_its_reads_run_without_a_transaction(orient, live_server):
    """GET /api/v1/match reads outside any transaction (each statement its own snapshot):
    loading the network into the process's memory must still work there (it once failed
    with a 500, a server-side cursor needing a transaction, while the pages walked)."""
    import json
    from urllib.request import Request, urlopen

    from bienveilleurs.services import accounts

    token = accounts.issue_token(orient["relay"], label="walk")
    db.session.commit()
    lon, lat = town.to_lon_lat(*PERSON)
    request = Request(f"{live_server.url}/api/v1/match?lat={lat}&lon={lon}&category={CATEGORY}",
                      headers={"Authorization": f"Bearer {token}"})
    with urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own server
        answer = json.load(response)
    assert [item["name"] for item in answer["resources"]][:2] == [
        "Sur le même quai", "En face, de l'autre côté du bassin"]
    assert answer["resources"][0]["routing"] == "walk" and answer["resources"][0]["walk_s"] > 0
