"""Matching: compared with a brute-force haversine search, each filter shown to matter,
and the real statements shown to use the GiST indexes."""

import random
import uuid

import psycopg
import pytest
from sqlalchemy import text

from bienveilleurs.services.codes import expand_categories, thematiques
from bienveilleurs.services.matching import MatchQuery, match_relays, match_resources
from geo.distance import haversine_m

from .factories import _geog, make_relay, make_resource, make_structure

MAX_RADIUS_M = 5000
# A 14 km x 11 km box around Le Havre, inside SERVICE_AREA.
BOX = (0.05, 49.46, 0.24, 49.56)
CENTRE = (0.1079, 49.4944)


def random_point(rng):
    return (rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3]))


@pytest.fixture
def random_directory(db):
    """A few hundred resources and relays at random places with random attributes."""
    rng = random.Random(20240611)
    from bienveilleurs.models import Relay, Resource
    codes = sorted(c for c in thematiques() if "--" in c)
    structure = make_structure(name="Structure aléatoire (test)")
    resources, relays = [], []
    for n in range(400):
        lon, lat = random_point(rng)
        resource = Resource(id=uuid.uuid4(), structure=structure, name=f"R{n}",
                            categories=rng.sample(codes, rng.randint(1, 3)),
                            active=rng.random() > 0.15, point=_geog(lon, lat),
                            languages=rng.sample(["fr", "ar", "en"], rng.randint(0, 2)))
        resource.lonlat = (lon, lat)
        resources.append(resource)
    for n in range(200):
        lon, lat = random_point(rng)
        capacity = rng.randint(0, 4)
        relay = Relay(id=uuid.uuid4(), display_name=f"B{n}", point=_geog(lon, lat),
                      radius_m=rng.randint(300, MAX_RADIUS_M), capacity=capacity,
                      active_referrals=rng.randint(0, capacity),
                      status=rng.choice(["active", "active", "active", "paused", "ended"]),
                      languages=rng.sample(["fr", "ar", "en", "es", "uk"], rng.randint(0, 2)))
        relay.lonlat = (lon, lat)
        relays.append(relay)
    db.add_all(resources + relays)
    db.flush()
    return rng, codes, resources, relays


def brute_resources(resources, lon, lat, categories, languages, limit):
    wanted = set(categories)
    rows = [(haversine_m(lon, lat, *r.lonlat), r.id) for r in resources
            if r.active and (not wanted or wanted & set(r.categories))
            and (not languages or set(languages) & set(r.languages))]
    return sorted(rows, key=lambda row: (row[0], str(row[1])))[:limit]


def brute_relays(relays, lon, lat, languages, limit):
    rows = []
    for relay in relays:
        d = haversine_m(lon, lat, *relay.lonlat)
        speaks = not languages or set(languages) & set(relay.languages)
        if (relay.status == "active" and relay.active_referrals < relay.capacity
                and d <= relay.radius_m and speaks):
            rows.append((d, relay.id))
    return sorted(rows, key=lambda row: (row[0], str(row[1])))[:limit]


def assert_same(found, expected):
    """Same ids in the same order, distances within 0.5 %."""
    assert [f["id"] for f in found] == [str(i) for _, i in expected]
    for got, (distance, _) in zip(found, expected, strict=True):
        assert got["distance_m"] == pytest.approx(distance, rel=0.005, abs=0.1)


def test_matching_agrees_with_brute_force_on_random_points(random_directory):
    rng, codes, resources, relays = random_directory
    top_levels = sorted({c.split("--")[0] for c in codes})
    compared_resources = compared_relays = 0
    for n in range(300):
        lon, lat = random_point(rng)
        asked = [] if n % 3 == 0 else [rng.choice(top_levels if n % 3 == 1 else codes)]
        categories = expand_categories(asked)
        languages = ["ar"] if n % 10 == 0 else []
        limit = rng.choice([1, 5, 10, 20])
        query = MatchQuery(lon=lon, lat=lat, categories=categories, languages=languages,
                           limit=limit)
        expected = brute_resources(resources, lon, lat, categories, languages, limit)
        assert_same(match_resources(query), expected)
        compared_resources += len(expected)
        expected = brute_relays(relays, lon, lat, languages, limit)
        assert_same(match_relays(query, max_radius_m=MAX_RADIUS_M), expected)
        compared_relays += len(expected)
    # The comparison is only worth something if it compared many rows.
    assert compared_resources > 1000 and compared_relays > 300


def query_at(lon=CENTRE[0], lat=CENTRE[1], **kwargs):
    return MatchQuery(lon=lon, lat=lat, **kwargs)


def ids(rows):
    return [row["id"] for row in rows]


def test_capacity_changes_the_answer(db):
    relay = make_relay(lon=CENTRE[0], lat=CENTRE[1], capacity=2, active_referrals=1)
    assert ids(match_relays(query_at(), max_radius_m=MAX_RADIUS_M)) == [str(relay.id)]
    relay.active_referrals = 2
    db.flush()
    assert match_relays(query_at(), max_radius_m=MAX_RADIUS_M) == []


def test_radius_changes_the_answer(db):
    # About 800 m north of the query point.
    relay = make_relay(lon=CENTRE[0], lat=CENTRE[1] + 0.0072, radius_m=500)
    assert match_relays(query_at(), max_radius_m=MAX_RADIUS_M) == []
    relay.radius_m = 1000
    db.flush()
    found = match_relays(query_at(), max_radius_m=MAX_RADIUS_M)
    assert ids(found) == [str(relay.id)]
    assert found[0]["distance_m"] == pytest.approx(
        haversine_m(*CENTRE, CENTRE[0], CENTRE[1] + 0.0072), rel=0.005)


def test_paused_relays_are_not_proposed(db):
    relay = make_relay(lon=CENTRE[0], lat=CENTRE[1], status="paused")
    assert match_relays(query_at(), max_radius_m=MAX_RADIUS_M) == []
    relay.status = "active"
    db.flush()
    assert ids(match_relays(query_at(), max_radius_m=MAX_RADIUS_M)) == [str(relay.id)]


def test_categories_change_the_answer_and_top_level_covers_sub_codes(db):
    health = make_resource(lon=CENTRE[0] + 0.01, lat=CENTRE[1], categories=["sante--sante-mentale"])
    near_other = make_resource(lon=CENTRE[0], lat=CENTRE[1] + 0.001,
                               categories=["mobilite--mobilite-douce-partagee-collective"])
    assert ids(match_resources(query_at())) == [str(near_other.id), str(health.id)]
    mental_health = query_at(categories=expand_categories(["sante--sante-mentale"]))
    assert ids(match_resources(mental_health)) == [str(health.id)]
    assert ids(match_resources(query_at(categories=expand_categories(["sante"])))) == \
        [str(health.id)]
    assert match_resources(query_at(categories=expand_categories(["famille"]))) == []


def test_inactive_and_unlocated_resources_are_never_matched(db):
    make_resource(lon=CENTRE[0], lat=CENTRE[1], active=False)
    make_resource(lat=None)
    assert match_resources(query_at()) == []


def test_equal_distances_are_ordered_by_id(db):
    structure = make_structure()
    made = [make_resource(lon=0.12, lat=49.50, structure=structure) for _ in range(5)]
    found = match_resources(query_at(limit=5))
    assert ids(found) == sorted(str(r.id) for r in made)
    relays = [make_relay(lon=0.11, lat=49.495, radius_m=2000) for _ in range(4)]
    assert ids(match_relays(query_at(limit=4), max_radius_m=MAX_RADIUS_M)) == \
        sorted(str(r.id) for r in relays)


def test_limit_applies_to_each_list(db):
    for n in range(7):
        make_resource(lon=CENTRE[0] + n * 0.001, lat=CENTRE[1])
        make_relay(lon=CENTRE[0] + n * 0.001, lat=CENTRE[1], radius_m=2000)
    assert len(match_resources(query_at(limit=3))) == 3
    assert len(match_relays(query_at(limit=6), max_radius_m=MAX_RADIUS_M)) == 6


def test_explain_shows_the_gist_indexes(db):
    """EXPLAIN the very statements services.matching sends, captured on the connection."""
    connection = db.connection()
    connection.execute(text("""
        INSERT INTO structures (id, name, active, created_at, updated_at)
        VALUES ('00000000-0000-0000-0000-000000000001', 'Bulk (test)', true, now(), now());
        INSERT INTO resources (id, structure_id, name, description, categories, audiences, point,
                               languages, active, created_at, updated_at)
        SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'R' || i, '',
               ARRAY['sante--sante-mentale'], ARRAY[]::varchar[],
               ST_SetSRID(ST_MakePoint(0.05 + random() * 0.2, 49.45 + random() * 0.1),
                          4326)::geography,
               ARRAY[]::varchar[], true, now(), now()
        FROM generate_series(1, 5000) AS i;
        INSERT INTO relays (id, display_name, point, radius_m, capacity, active_referrals,
                            languages, skills, status, created_at, updated_at)
        SELECT gen_random_uuid(), 'B' || i,
               ST_SetSRID(ST_MakePoint(0.05 + random() * 0.2, 49.45 + random() * 0.1),
                          4326)::geography,
               1500, 3, 0, ARRAY[]::varchar[], ARRAY[]::varchar[], 'active', now(), now()
        FROM generate_series(1, 5000) AS i;
        ANALYZE structures; ANALYZE resources; ANALYZE relays;
    """))
    captured = []

    # The service runs its statements on the session's psycopg connection (below
    # SQLAlchemy's events): record them where they reach the driver.
    class CapturingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            if "<->" in str(query):
                captured.append((query, params))
            return super().execute(query, params, **kwargs)

    driver = connection.connection.driver_connection
    driver.cursor_factory = CapturingCursor
    try:
        query = query_at(categories=expand_categories(["sante"]), limit=5)
        assert len(match_resources(query)) == 5
        assert match_relays(query, max_radius_m=MAX_RADIUS_M)
    finally:
        driver.cursor_factory = psycopg.Cursor
    assert len(captured) == 2
    plans = []
    for statement, parameters in captured:
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        plans.append("\n".join(row[0] for row in rows))
    resources_plan, relays_plan = plans
    assert "Index Scan using idx_resources_point" in resources_plan, resources_plan
    assert "idx_relays_point" in relays_plan, relays_plan
    # The KNN order is answered by the index, not by sorting every row.
    assert "Order By: (point <->" in resources_plan.replace("resources.point", "point")
    assert "Sort Key" not in resources_plan and "Sort Key" not in relays_plan
