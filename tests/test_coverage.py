"""Coverage: hexagon cells no available relay reaches, checked by an independent computation."""

import math

from shapely.geometry import Polygon, shape
from shapely.ops import unary_union

from bienveilleurs.config import setting
from bienveilleurs.services import coverage, coverage_cache
from geo.distance import haversine_m

from .factories import make_relay, make_territory, make_user

# About 2.2 km x 1.7 km around Le Havre centre.
RING = [(0.095, 49.487), (0.125, 49.487), (0.125, 49.502), (0.095, 49.502)]


def local_metres(lon0, lat0):
    """An equirectangular projection around a point: good to well under 1 % over a few km."""
    k = math.pi / 180 * 6_371_008.8

    def project(lon, lat):
        return ((lon - lon0) * k * math.cos(math.radians(lat0)), (lat - lat0) * k)
    return project


def test_uncovered_cells_match_an_independent_computation(app, db):
    territory = make_territory(polygon=RING)
    available = [make_relay(lon=0.100, lat=49.490, radius_m=600, capacity=2, active_referrals=1),
                 make_relay(lon=0.118, lat=49.498, radius_m=350, capacity=1)]
    paused = make_relay(lon=0.110, lat=49.495, radius_m=3000, status="paused")
    full = make_relay(lon=0.121, lat=49.489, radius_m=800, capacity=2, active_referrals=2)
    far = make_relay(lon=0.30, lat=49.60, radius_m=500)  # reaches nothing here

    assert coverage.coverage([territory])[0].cells == []  # not computed yet
    coverage_cache.refresh()
    (report,) = coverage.coverage([territory])
    cells = report.cells
    assert cells, "the territory is gridded"

    # Every cell is a hexagon of the configured size, touching the territory, and together
    # they cover it.
    area = Polygon(RING)
    size = setting("COVERAGE_CELL_M")
    project = local_metres(0.11, 49.495)
    for cell in cells:
        polygon = shape(cell.shape)
        assert len(polygon.exterior.coords) == 7
        assert polygon.intersects(area)
        metric = Polygon([project(x, y) for x, y in polygon.exterior.coords])
        assert abs(metric.area / (1.5 * math.sqrt(3) * size ** 2) - 1) < 0.01
    assert unary_union([shape(c.shape) for c in cells]).buffer(1e-9).covers(area)
    assert len({(c.i, c.j) for c in cells}) == len(cells)

    # Independently: a cell is covered when its centre is within the radius of an active
    # relay with free capacity, on the sphere.
    expected, ambiguous = {}, 0
    for cell in cells:
        centre = shape(cell.shape).centroid
        margins = [haversine_m(centre.x, centre.y, *r) - radius for r, radius in
                   (((0.100, 49.490), 600), ((0.118, 49.498), 350))]
        if any(abs(m) < 2 for m in margins):
            ambiguous += 1  # within 2 m of an edge: centroid in lon/lat vs Lambert-93
            continue
        expected[(cell.i, cell.j)] = any(m <= 0 for m in margins)
    assert ambiguous <= 2
    got = {(c.i, c.j): c.covered for c in cells if (c.i, c.j) in expected}
    assert got == expected
    assert any(expected.values()) and not all(expected.values())

    # The paused relay (3 km) and the full one would have covered everything near them.
    assert sum(not v for v in expected.values()) > len(expected) // 3

    # Relays active there: the two available and the full one, not the paused or the far one.
    listed = {r["id"] for r in report.relays}
    assert listed == {available[0].id, available[1].id, full.id}
    assert paused.id not in listed and far.id not in listed
    assert report.free_capacity == 1 + 1 + 0
    assert len(report.uncovered) == sum(1 for c in cells if not c.covered)


def test_uncovered_count_per_coordinator_counts_shared_cells_once(db):
    west = make_territory(polygon=[(0.095, 49.487), (0.110, 49.487), (0.110, 49.502),
                                   (0.095, 49.502)])
    east = make_territory(polygon=[(0.110, 49.487), (0.125, 49.487), (0.125, 49.502),
                                   (0.110, 49.502)])
    local = make_user(role="coordinator", territories=[west])
    city = make_user(role="coordinator")
    coverage_cache.refresh()
    both = coverage.coverage([west, east])
    total_cells = len({(c.i, c.j) for t in both for c in t.cells})
    assert sum(len(t.cells) for t in both) > total_cells  # cells on the shared border
    assert coverage.uncovered_count_for(city) == total_cells
    assert coverage.uncovered_count_for(local) == len(both[0].cells)
    make_relay(lon=0.1025, lat=49.4945, radius_m=1400)
    assert coverage.uncovered_count_for(local) == len(both[0].cells)  # until the next run
    coverage_cache.refresh()
    assert coverage.uncovered_count_for(local) == 0
    assert 0 < coverage.uncovered_count_for(city) < total_cells


def test_coverage_page_shows_territories_relays_and_the_uncovered_cells(client_as, db):
    territory = make_territory(name="Quartier Test", polygon=RING)
    bernadette = make_relay(lon=0.100, lat=49.490, radius_m=600, display_name="Bernadette")
    client = client_as("coordinator", territories=[territory])
    html = client.get("/couverture/").get_data(as_text=True)
    assert "Quartier Test" in html and "Pas encore calculé" in html
    coverage_cache.refresh()
    (report,) = coverage.coverage([territory])
    html = client.get("/couverture/").get_data(as_text=True)
    assert "Quartier Test" in html and "Calculé à" in html
    assert f"{len(report.uncovered)} zones non couvertes sur {len(report.cells)}" in html
    assert "1 bienveilleur actif l'atteigne" in html
    assert 'data-source="/couverture/carte"' in html and '"area": "uncovered"' not in html
    # The map asks for what is in view: close enough, every uncovered cell and the relay.
    answer = client.get("/couverture/carte?zone=0.09,49.48,0.13,49.51&zoom=16").get_json()
    cells = [f for f in answer["features"] if f["properties"].get("area") == "uncovered"]
    relays = [f for f in answer["features"] if f["properties"].get("kind") == "relay"]
    assert len(cells) == len(report.uncovered)
    assert [r["properties"]["name"] for r in relays] == ["Bernadette"]
    assert str(bernadette.id) in relays[0]["properties"]["url"]
    # From afar, the cells are counted in clusters, as many in all.
    far = client.get("/couverture/carte?zone=0.0,49.4,0.2,49.6&zoom=11").get_json()
    counted = sum(f["properties"].get("label", 1) for f in far["features"]
                  if f["properties"].get("kind") != "relay")
    assert counted == len(report.uncovered)
    assert any(f["properties"].get("kind") == "cluster" for f in far["features"])
    # A box elsewhere holds none of them.
    assert client.get("/couverture/carte?zone=1.0,49.0,1.1,49.1&zoom=14").get_json()[
        "features"] == []


def test_open_referrals_outside_every_territory_are_listed_without_personal_details(client_as, db):
    from bienveilleurs import clock
    from bienveilleurs.models import Referral, Resident

    from .test_notifications import geog
    make_territory(polygon=RING)

    def referral(lon, lat, status="reported", name="Josette"):
        resident = Resident(first_name=name, point=geog(lon, lat), approx_point=geog(lon, lat),
                            consent_at=clock.now())
        db.add(resident)
        db.flush()
        row = Referral(resident_id=resident.id, category="sante--sante-mentale", status=status,
                       outcome="helped" if status == "closed" else None)
        db.add(row)
        db.flush()
        return row

    outside = referral(0.20, 49.52, name="Hors-Zone")
    referral(0.11, 49.495, name="Dedans")
    referral(0.21, 49.53, status="closed", name="Finie")
    rows = coverage.referrals_outside_territories(make_user(role="admin"))
    assert [r["id"] for r in rows] == [outside.id]
    page = client_as("admin").get("/admin/hors-territoire").get_data(as_text=True)
    assert "Signalée" in page and "Hors-Zone" not in page and "Dedans" not in page


def test_people_outside_every_territory_are_listed_only_to_those_who_hold_them(client_as, db):
    """Points in no territory belong to the city-wide coordinators (DESIGN, Roles)."""
    from bienveilleurs import clock
    from bienveilleurs.models import Referral, Resident

    from .test_notifications import geog
    territory = make_territory(polygon=RING)
    resident = Resident(first_name="Hors-Zone", point=geog(0.20, 49.52),
                        approx_point=geog(0.20, 49.52), consent_at=clock.now())
    db.add(resident)
    db.flush()
    referral = Referral(resident_id=resident.id, category="sante", status="reported")
    db.add(referral)
    db.flush()
    territorial = make_user(role="coordinator", territories=[territory])
    city_wide = make_user(role="coordinator")
    assert [r["id"] for r in coverage.referrals_outside_territories(city_wide)] == [referral.id]
    assert coverage.referrals_outside_territories(territorial) == []
    assert coverage.referrals_outside_territories(make_user(role="relay")) == []
