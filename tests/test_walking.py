"""Walking network: import from an OpenStreetMap file, and matching by walking time.

The town of tests/basin_network.py: a person on the north bank of a basin; the resource
nearest as the crow flies is just across the water, a long walk round by the only
footbridge; another, farther on the map, is a short walk along the bank.
"""

import networkx as nx
import pytest
from sqlalchemy import text

from bienveilleurs.services import matching
from bienveilleurs.services.routing import network
from geo.walkways import is_walkable

from . import basin_network as town
from .conftest import api_headers
from .factories import make_relay, make_resource, make_structure

PERSON = (100.0, 130.0)       # 30 m north of the north bank's first street
ACROSS = (100.0, -130.0)      # 260 m away, across the basin
ALONG = (700.0, 130.0)        # 600 m away, on the same bank


@pytest.fixture
def basin_file(tmp_path):
    path = tmp_path / "basin.osm.pbf"
    town.write(path)
    return path


@pytest.fixture
def basin(app, db, basin_file):
    """The town's network imported (inside the test's transaction, rolled back after)."""
    return network.import_network(basin_file)


def lon_lat(point):
    return town.to_lon_lat(*point)


def query(point, **kwargs):
    lon, lat = lon_lat(point)
    return matching.MatchQuery(lon=lon, lat=lat, **kwargs)


def ids(rows):
    return [row["id"] for row in rows]


@pytest.mark.parametrize(("tags", "walkable"), [
    ({"highway": "residential"}, True),
    ({"highway": "footway"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "primary", "sidewalk": "both"}, True),
    ({"highway": "motorway"}, False),
    ({"highway": "motorway", "foot": "yes"}, False),
    ({"highway": "cycleway"}, False),
    ({"highway": "cycleway", "foot": "designated"}, True),
    ({"highway": "service", "foot": "no"}, False),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "trunk", "motorroad": "yes"}, False),
    ({"highway": "construction"}, False),
    ({"railway": "rail"}, False),
    ({}, False),
])
def test_only_ways_a_pedestrian_may_use(tags, walkable):
    assert is_walkable(tags) is walkable


def test_import_builds_the_graph_and_drops_the_island(basin):
    graph = town.walkable_graph()
    main = graph.subgraph(max(nx.connected_components(graph), key=len))
    # Edges run between crossings: the bridge's middle point is no crossing.
    assert basin["edges"] == main.number_of_edges() - 1
    assert basin["nodes"] == main.number_of_nodes() - 1
    assert basin["dropped_edges"] == 1  # the lone footway
    assert basin["ways"] == len(town._walkable_ways())


def test_the_walk_picks_the_resource_on_the_same_bank(app, db, basin, monkeypatch):
    structure = make_structure()
    across = make_resource(structure=structure, name="En face", lon=lon_lat(ACROSS)[0],
                           lat=lon_lat(ACROSS)[1])
    along = make_resource(structure=structure, name="Le long du quai", lon=lon_lat(ALONG)[0],
                          lat=lon_lat(ALONG)[1])
    found = matching.match_resources(query(PERSON))
    assert ids(found) == [str(along.id), str(across.id)]
    assert [r["routing"] for r in found] == ["walk", "walk"]
    graph = town.walkable_graph()
    for row, point in zip(found, (ALONG, ACROSS), strict=True):
        expected = town.walk_m(graph, PERSON, point)
        assert row["walk_m"] == pytest.approx(expected, rel=0.01)
        assert row["walk_s"] == round(row["walk_m"] / app.config["WALK_SPEED_M_S"])
    # Round by the footbridge: far more than the 260 m as the crow flies.
    assert found[1]["walk_m"] > 10 * found[1]["distance_m"]

    monkeypatch.setitem(app.config, "ROUTING", "none")
    straight = matching.match_resources(query(PERSON))
    assert ids(straight) == [str(across.id), str(along.id)]
    assert [r["walk_s"] for r in straight] == [None, None]
    assert [r["routing"] for r in straight] == ["straight", "straight"]


def test_walks_agree_with_networkx_across_the_town(app, db, basin):
    """Every cross street of both banks against the independent computation, within 1 %."""
    structure = make_structure()
    points = [(x + 40.0, y + sign * 20.0) for x in town.CROSS_X[:-1]
              for y, sign in ((160.0, 1), (-160.0, -1))]
    made = {str(make_resource(structure=structure, lon=lon_lat(p)[0], lat=lon_lat(p)[1]).id): p
            for p in points}
    found = matching.match_resources(query(PERSON, limit=len(points)))
    assert len(found) == len(points)
    graph = town.walkable_graph()
    for row in found:
        assert row["routing"] == "walk"
        expected = town.walk_m(graph, PERSON, made[row["id"]])
        assert row["walk_m"] == pytest.approx(expected, rel=0.01)
    walks = [row["walk_s"] for row in found]
    assert walks == sorted(walks)


def test_points_past_the_end_of_a_street_are_walked_to(app, db, basin):
    """A point beyond a street's end, or off a corner, meets the network at a node: its walk
    goes to that end of the street, then straight to it."""
    structure = make_structure()
    corners = [(-50.0, 100.0), (-30.0, 330.0), (1550.0, -100.0), (500.0, 60.0)]
    made = {str(make_resource(structure=structure, lon=lon_lat(p)[0], lat=lon_lat(p)[1]).id): p
            for p in corners}
    found = matching.match_resources(query(PERSON, limit=len(corners)))
    graph = town.walkable_graph()
    assert [row["routing"] for row in found] == ["walk"] * len(corners)
    for row in found:
        expected = town.walk_m(graph, PERSON, made[row["id"]])
        assert row["walk_m"] == pytest.approx(expected, rel=0.01)


def test_relays_are_ranked_on_foot_within_their_own_radius(app, db, basin):
    across = make_relay(lon=lon_lat(ACROSS)[0], lat=lon_lat(ACROSS)[1], radius_m=1000)
    along = make_relay(lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1], radius_m=1000)
    make_relay(lon=lon_lat((1400.0, 130.0))[0], lat=lon_lat((1400.0, 130.0))[1],
               radius_m=500)  # 1.3 km away: its radius does not reach the person
    found = matching.match_relays(query(PERSON), max_radius_m=5000)
    assert ids(found) == [str(along.id), str(across.id)]
    assert all(r["routing"] == "walk" for r in found)


def test_max_walk_s_bounds_the_lists_only_with_a_network(app, db, basin, monkeypatch):
    structure = make_structure()
    across = make_resource(structure=structure, lon=lon_lat(ACROSS)[0], lat=lon_lat(ACROSS)[1])
    along = make_resource(structure=structure, lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1])
    quarter = matching.match_resources(query(PERSON, max_walk_s=900))
    assert ids(quarter) == [str(along.id)]
    assert quarter[0]["walk_s"] <= 900
    assert ids(matching.match_resources(query(PERSON, max_walk_s=3600))) == [
        str(along.id), str(across.id)]
    monkeypatch.setitem(app.config, "ROUTING", "none")
    ignored = matching.match_resources(query(PERSON, max_walk_s=900))
    assert ids(ignored) == [str(across.id), str(along.id)]
    assert {r["routing"] for r in ignored} == {"straight"}


def test_points_off_the_network_are_straight_line(app, db, basin):
    structure = make_structure()
    along = make_resource(structure=structure, lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1])
    field = make_resource(structure=structure, lon=lon_lat((200.0, 600.0))[0],
                          lat=lon_lat((200.0, 600.0))[1])  # 300 m north of any street
    found = matching.match_resources(query(PERSON))
    # Nearer as the crow flies, but without a walk: after the one with a walk.
    assert ids(found) == [str(along.id), str(field.id)]
    assert found[1]["distance_m"] < found[0]["distance_m"]
    assert (found[1]["walk_s"], found[1]["walk_m"], found[1]["routing"]) == (
        None, None, "straight")
    # The person off the network: the whole answer is straight-line, nearest first.
    far = matching.match_resources(query((100.0, 700.0)))
    assert ids(far) == [str(field.id), str(along.id)]
    assert {r["routing"] for r in far} == {"straight"}


def test_the_api_answers_walks_and_checks_max_walk_s(app, db, basin, client_as):
    structure = make_structure()
    make_resource(structure=structure, lon=lon_lat(ACROSS)[0], lat=lon_lat(ACROSS)[1])
    along = make_resource(structure=structure, lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1])
    client = client_as("coordinator")
    lon, lat = lon_lat(PERSON)
    response = client.get(f"/api/v1/match?lat={lat}&lon={lon}&max_walk_s=900",
                          headers=api_headers())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert ids(body["resources"]) == [str(along.id)]
    item = body["resources"][0]
    assert item["routing"] == "walk" and item["walk_s"] == round(item["walk_m"] / 1.1)
    for bad, status in (("abc", 400), ("10", 422), ("99999", 422)):
        response = client.get(f"/api/v1/match?lat={lat}&lon={lon}&max_walk_s={bad}",
                              headers=api_headers())
        assert response.status_code == status
        assert response.get_json()["error"]["details"][0]["field"] == "max_walk_s"


def test_a_new_import_replaces_the_network_and_a_failed_one_keeps_it(app, db, basin,
                                                                      tmp_path):
    def count():
        return db.execute(text("SELECT count(*) FROM routing.edges")).scalar()

    before = count()
    assert before == basin["edges"]
    empty = tmp_path / "nothing.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6">'
                     '<node id="1" lat="49.47" lon="0.1" version="1"/></osm>')
    runner = app.test_cli_runner()
    result = runner.invoke(args=["routing", "import", str(empty)])
    assert result.exit_code == 1
    assert "aucune voie praticable à pied" in result.output
    assert count() == before
    smaller = tmp_path / "smaller.osm"
    _write_north_bank(smaller)
    result = runner.invoke(args=["routing", "import", str(smaller)])
    assert result.exit_code == 0, result.output
    assert "nœuds" in result.output and "tronçons" in result.output and " s " in result.output
    assert 0 < count() < before
    schemas = set(db.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    assert "routing" in schemas
    assert not schemas & {"routing_next", "routing_previous"}


def _write_north_bank(path):
    import osmium
    points = [(x, town.NORTH[0]) for x in town.CROSS_X]
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for ref, point in enumerate(points, start=1):
            writer.add_node(osmium.osm.mutable.Node(id=ref, version=1,
                                                    location=town.to_lon_lat(*point)))
        writer.add_way(osmium.osm.mutable.Way(id=1, version=1, tags={"highway": "residential"},
                                              nodes=list(range(1, len(points) + 1))))


def test_without_pgrouting_the_import_says_so_and_writes_nothing(app, db, basin_file,
                                                                monkeypatch):
    monkeypatch.setattr(network, "pgrouting_status", lambda: (False, False))
    result = app.test_cli_runner().invoke(args=["routing", "import", str(basin_file)])
    assert result.exit_code == 1
    assert "pgRouting n'est pas installé" in result.output
    assert "vol d'oiseau" in result.output
    assert db.execute(text("SELECT to_regclass('routing.edges')")).scalar() is None


def test_other_files_are_refused(app, db, tmp_path):
    for name, content in (("notes.txt", "x"), ("broken.osm.pbf", "not a pbf")):
        path = tmp_path / name
        path.write_text(content)
        result = app.test_cli_runner().invoke(args=["routing", "import", str(path)])
        assert result.exit_code == 1
        assert "Erreur : Le fichier" in result.output


def test_booklets_go_by_walking_time_from_their_centre(app, db, basin):
    from bienveilleurs.services import booklets
    structure = make_structure()
    across = make_resource(structure=structure, name="En face", lon=lon_lat(ACROSS)[0],
                           lat=lon_lat(ACROSS)[1])
    along = make_resource(structure=structure, name="Le long du quai", lon=lon_lat(ALONG)[0],
                          lat=lon_lat(ALONG)[1])
    booklet = booklets.point_booklet(*lon_lat(PERSON), 2000)
    assert [(e.number, e.name) for e in booklet.entries] == [(1, along.name), (2, across.name)]
    assert booklet.entries[0].walk_s < booklet.entries[1].walk_s


@pytest.mark.parametrize("routing", ["walk", "none"])
def test_answers_follow_the_openapi_match_schema(app, db, basin, client_as, monkeypatch,
                                                 routing):
    from jsonschema import Draft202012Validator
    monkeypatch.setitem(app.config, "ROUTING", routing)
    structure = make_structure()
    make_resource(structure=structure, lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1],
                  audiences=["seniors"], saturation="full", opening_hours="Mo-Su 00:00-24:00")
    make_relay(lon=lon_lat(ALONG)[0], lat=lon_lat(ALONG)[1])
    client = client_as("coordinator")
    schema = client.get("/api/v1/openapi.json", headers=api_headers()).get_json()
    validator = Draft202012Validator(schema["components"]["schemas"]["Match"])
    lon, lat = lon_lat(PERSON)
    body = client.get(f"/api/v1/match?lat={lat}&lon={lon}", headers=api_headers()).get_json()
    validator.validate(body)
    assert body["relays"] and body["resources"]
    item = body["resources"][0]
    assert {r["code"] for r in item["fit"]} == {"audience", "full", "open_now"}
    expected = "walk" if routing == "walk" else "straight"
    assert {i["routing"] for i in body["relays"] + body["resources"]} == {expected}
