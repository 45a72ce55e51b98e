"""The maps load what is in view: the open referrals' map and the coverage map fetch their
features for the visible box, gathered by zoom, bounded, in the list's scope; the list
beside the map may follow the visible box (`zone`)."""

import json
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from bienveilleurs.models import AccessLog
from bienveilleurs.services import coverage_cache
from geo.viewport import MAX_FEATURES, Viewport

from .factories import make_territory, make_user
from .referral_helpers import LAT, LON, make_world, new_referral, territorial_coordinator_among_many
from .test_paged_lists import count_for, expire_on_commit, linked, statements

# The default territory of the factories (around LAT, LON) and one to the north of it.
NORTH = [(0.10, 49.52), (0.12, 49.52), (0.12, 49.53), (0.10, 49.53)]
AROUND = "0.09,49.48,0.13,49.51"


@pytest.fixture
def world(db):
    return make_world(capacity=500)


def points(client, zone=AROUND, zoom=16):
    response = client.get(f"/coordination/carte/points?zone={zone}&zoom={zoom}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["features"]


def people(features):
    return [f for f in features if f["properties"]["kind"] == "person"]


def referral_ids(features):
    return {f["properties"]["url"].rsplit("/", 1)[1] for f in people(features)}


def spread_referrals(n, *, lon0=0.10, lat0=49.49, step=0.0002):
    """n open referrals in a square grid of `step` degrees from (lon0, lat0)."""
    from bienveilleurs.extensions import db
    db.session.execute(sql("""
        INSERT INTO residents (id, first_name, point, approx_point, languages, audiences,
                               newcomer, created_at, updated_at)
        SELECT gen_random_uuid(), 'Point ' || i, p, p, '{}', '{}', false, now(), now()
        FROM (SELECT i, ST_SetSRID(ST_MakePoint(:lon0 + (i % 50) * :step,
                                                :lat0 + (i / 50) * :step), 4326)::geography AS p
              FROM generate_series(0, :n - 1) AS i) AS s
    """), {"n": n, "lon0": lon0, "lat0": lat0, "step": step})
    db.session.execute(sql("""
        INSERT INTO referrals (id, resident_id, category, status, version, status_changed_at,
                               reported_at, created_at, updated_at)
        SELECT gen_random_uuid(), id, 'sante--sante-mentale', 'reported', 1, now(), now(),
               now(), now()
        FROM residents WHERE first_name LIKE 'Point %'
          AND id NOT IN (SELECT resident_id FROM referrals)
    """))


def test_the_map_fetches_the_people_in_view_in_the_lists_scope(world, client_as):
    inside = new_referral(world)
    north = make_territory(polygon=NORTH)
    centre = make_territory()  # covers LAT, LON
    nadia = make_user(role="coordinator", territories=[north])
    make_user(role="coordinator", territories=[centre])
    up_north = new_referral(world, resident={"first_name": "Nordine", "lat": 49.525,
                                             "lon": 0.11})
    coordinator = client_as(world.coordinator)  # city-wide: both
    everything = "0.05,49.45,0.15,49.55"
    both = points(coordinator, everything)
    assert referral_ids(both) == {str(inside.id), str(up_north.id)}
    person = next(f for f in both if f["properties"]["url"].endswith(str(inside.id)))
    assert person["geometry"]["coordinates"] == [LON, LAT]  # a coordinator: the exact point
    assert person["properties"]["name"] == "Mireille"
    # Only what is in view; and never out of scope, whatever the box.
    assert referral_ids(points(coordinator, AROUND)) == {str(inside.id)}
    assert referral_ids(points(client_as(nadia), everything)) == {str(up_north.id)}
    assert "Mireille" not in client_as(nadia).get(
        f"/coordination/carte/points?zone={everything}&zoom=3").get_data(as_text=True)
    # Each person shown on their own is a read of their file, written as the list's rows.
    logged = select(func.count()).select_from(AccessLog).where(
        AccessLog.action == "referral.map", AccessLog.object_id == up_north.id)
    before = world_db_scalar(logged)
    points(client_as(nadia), everything)
    assert world_db_scalar(logged) == before + 1


def world_db_scalar(statement):
    from bienveilleurs.extensions import db
    return db.session.scalar(statement)


def test_clusters_count_every_point_and_the_answer_stays_bounded(world, client_as):
    spread_referrals(2000)  # 50 x 40 points, 0.0002 degrees apart
    coordinator = client_as(world.coordinator)
    for zoom in (3, 10, 13, 16, 20):
        features = points(coordinator, "0.09,49.48,0.12,49.51", zoom)
        assert 0 < len(features) <= MAX_FEATURES, zoom
        total = sum(f["properties"]["label"] if f["properties"]["kind"] == "cluster" else 1
                    for f in features)
        assert total == 2000, zoom
    far, near = (points(coordinator, "0.09,49.48,0.12,49.51", z) for z in (10, 20))
    assert len(far) < 10 and all(f["properties"]["kind"] == "cluster" for f in far)
    # Close up, what is in view is shown one by one; a cluster lists its own people.
    close = points(coordinator, "0.1,49.49,0.101,49.4905", 20)
    assert close and all(f["properties"]["kind"] == "person" for f in close)
    cluster = far[0]["properties"]
    listed = coordinator.get(cluster["url"]).get_data(as_text=True)
    assert len(linked(listed)) == min(cluster["label"], 100)


def test_the_list_may_follow_the_visible_zone_page_by_page(world, client_as):
    spread_referrals(120)  # 50 per row: rows at 49.49, 49.4902, 49.4904
    inside_one = new_referral(world)
    coordinator = client_as(world.coordinator)
    whole = coordinator.get("/coordination/carte").get_data(as_text=True)
    assert "Limiter la liste à la zone visible" in whole and 'rel="next"' in whole
    zone = "0.0999,49.4899,0.1099,49.49005"  # the first row, and not Mireille
    first = coordinator.get(f"/coordination/carte?zone={zone}").get_data(as_text=True)
    assert len(linked(first)) == 50 and str(inside_one.id) not in first
    assert 'rel="next"' not in first and "Voir toute la liste" in first
    assert f'data-zone="{zone}"' in first
    for bad, status in (("0.2,49.4,0.1,49.5", 422), ("ici", 422), ("1,2,3", 422)):
        response = coordinator.get(f"/coordination/carte?zone={bad}")
        assert response.status_code == status, bad
        assert "La zone" in response.get_data(as_text=True)
    assert coordinator.get(f"/coordination/carte/points?zone={AROUND}").status_code == 400
    assert coordinator.get(
        f"/coordination/carte/points?zone={AROUND}&zoom=loin").status_code == 400
    assert coordinator.get(f"/coordination/carte/points?zone={AROUND}&zoom=40").status_code \
        == 422


def test_the_map_page_and_its_points_cost_the_same_statements_for_few_and_many(
        world, client_as, monkeypatch):
    coordinator = client_as(world.coordinator)
    new_referral(world)
    expire_on_commit(monkeypatch)
    paths = ("/coordination/carte", f"/coordination/carte/points?zone={AROUND}&zoom=16")
    few = [count_for(coordinator, path) for path in paths]
    for k in range(1, 31):  # rows of the same kind, thirty times more, each on its own
        new_referral(world, resident={"first_name": f"Voisine {k}", "lat": LAT + k // 6 * 0.002,
                                      "lon": LON + k % 6 * 0.002})
    many = [count_for(coordinator, path) for path in paths]
    assert len(linked(many[0][1])) == 31 and len(linked(few[0][1])) == 1
    assert len(people(json.loads(many[1][1])["features"])) == 31
    assert [count for count, _ in many] == [count for count, _ in few]


def test_the_points_of_a_territorial_coordinator_are_found_by_the_points_index(db):
    """EXPLAIN the map's statement among 20,000 open referrals: the box and the few
    territories are answered by the people's indexed points."""
    from bienveilleurs.services.referrals import map_points
    coordinator = territorial_coordinator_among_many()
    with statements(lambda s: "FROM residents" in s and "GROUP BY" in s) as captured:
        map_points.open_referral_clusters(coordinator, Viewport(0.0, 49.4, 0.2, 49.6, 12))
    assert len(captured) == 1
    statement, parameters = captured[0]
    plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(
        "EXPLAIN " + statement, parameters).all())
    assert "ix_residents_point_geometry" in plan, plan
    assert "Seq Scan on residents" not in plan, plan


# --- coverage --------------------------------------------------------------------------------

def test_the_coverage_page_costs_the_same_statements_and_never_grids_a_territory(
        db, client_as, monkeypatch):
    from bienveilleurs.web.coordination import coverage as coverage_pages
    coordinator = client_as("coordinator")  # city-wide

    def add(n, first):
        for k in range(n):
            x = 0.10 + 0.01 * ((first + k) % 10)
            y = 49.45 + 0.01 * ((first + k) // 10)
            make_territory(name=f"Quartier {first + k:02d}",
                           polygon=[(x, y), (x + 0.01, y), (x + 0.01, y + 0.01), (x, y + 0.01)])
        db.flush()
        coverage_cache.refresh()

    add(2, 0)
    expire_on_commit(monkeypatch)
    few, few_page = count_for(coordinator, "/couverture/")
    add(coverage_pages.TERRITORY_ROWS + 3, 2)
    with statements() as captured:
        many_page = coordinator.get("/couverture/").get_data(as_text=True)
    assert len(captured) == few
    assert len(re.findall(r"<h2>Quartier", few_page)) == 2
    assert len(re.findall(r"<h2>Quartier", many_page)) == coverage_pages.TERRITORY_ROWS
    assert "Calculé à" in many_page
    for statement, _ in captured:  # the page reads the cells kept, never cuts or counts them
        assert "ST_HexagonGrid" not in statement and "FROM relays" not in statement, statement


def test_the_coverage_map_reads_the_cells_in_view_by_their_index(db):
    from bienveilleurs.services import coverage_map
    for k in range(40):
        x, y = 0.0 + 0.01 * (k % 8), 49.40 + 0.01 * (k // 8)
        make_territory(polygon=[(x, y), (x + 0.01, y), (x + 0.01, y + 0.01), (x, y + 0.01)])
    coverage_cache.refresh()
    db.execute(sql("ANALYZE coverage_cells"))
    user = make_user(role="coordinator")
    with statements(lambda s: "coverage_cells" in s) as captured:
        found = coverage_map.uncovered_clusters(user, Viewport(0.0, 49.40, 0.012, 49.412, 16))
    assert found and len(captured) == 1
    db.execute(sql("SET LOCAL enable_seqscan = off"))
    statement, parameters = captured[0]
    plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(
        "EXPLAIN " + statement, parameters).all())
    assert "idx_coverage_cells_shape" in plan, plan


def test_the_job_recuts_a_changed_outline_and_recounts_relays(db, client_as):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, Polygon

    from bienveilleurs.models import CoverageCell, CoverageState

    from .factories import make_relay
    territory = make_territory(name="Quartier Mobile")
    coverage_cache.refresh()

    def cells():
        return db.scalar(select(func.count()).select_from(CoverageCell).where(
            CoverageCell.territory_id == territory.id))

    small = cells()
    state = db.get(CoverageState, territory.id)
    assert state.uncovered == small > 0 and state.relays == 0
    client = client_as("coordinator", territories=[territory])
    territory.area = from_shape(MultiPolygon([Polygon(
        [(0.10, 49.49), (0.14, 49.49), (0.14, 49.50), (0.10, 49.50)])]), srid=4326)
    db.flush()
    assert "Le contour a changé depuis ce calcul" in client.get("/couverture/").get_data(
        as_text=True)
    make_relay(lon=0.11, lat=49.495, radius_m=800, capacity=2)
    result = coverage_cache.refresh()
    assert result["recut"] == 1
    db.expire_all()
    state = db.get(CoverageState, territory.id)
    assert cells() > small and state.cells == cells()
    assert state.relays == 1 and state.free_places == 2 and 0 < state.uncovered < state.cells
    assert "Le contour a changé" not in client.get("/couverture/").get_data(as_text=True)
    again = coverage_cache.refresh()
    assert again["recut"] == 0 and again["cells_changed"] == 0
