"""The walking network in memory (routing/walking.py) against pgRouting (routing/pgrouting.py).

Both read the same imported edges and snap the same way; one walks on the copy kept by the
process, the other asks pgRouting on a window of streets. They must give the same exact
walks, on the basin town and on a generated district with what a real extract has: missing
segments, two streets between the same crossings, loops, dead ends.
"""

import math

import numpy as np
import osmium
import pytest

from bienveilleurs.services import matching
from bienveilleurs.services.routing import network, pgrouting, walking

from . import basin_network as town
from .factories import make_resource, make_structure

SIDE = 14          # crossings per row and column of the district
SPACING_M = 90.0


def write_district(path, seed):
    """A jittered grid of streets with gaps, second streets round a block between the same
    two crossings, small loops and dead ends; seeded."""
    rng = np.random.default_rng(seed)
    ids = {}

    def node(x, y):
        ids.setdefault((x, y), len(ids) + 1)
        return ids[(x, y)]

    jitter = rng.normal(0.0, 10.0, (SIDE, SIDE, 2))

    def at(row, col):
        return (col * SPACING_M + jitter[row, col, 0], row * SPACING_M + jitter[row, col, 1])

    lines = []
    for row in range(SIDE):
        for col in range(SIDE):
            for other in ((row, col + 1), (row + 1, col)):
                if max(other) >= SIDE or rng.random() < 0.12:
                    continue
                a, b = at(row, col), at(*other)
                lines.append([a, b])
                if rng.random() < 0.08:  # round the block: longer, same two crossings
                    bend = rng.normal(0.0, 30.0, 2) + [(a[0] + b[0]) / 2 + 25.0,
                                                       (a[1] + b[1]) / 2 + 25.0]
                    lines.append([a, tuple(bend), b])
                if rng.random() < 0.05:  # a dead end, or a small loop back to the crossing
                    tip = (a[0] + 20.0, a[1] - 35.0)
                    lines.append([a, tip, (a[0] - 25.0, a[1] - 30.0), a]
                                 if rng.random() < 0.5 else [a, tip])
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        refs = [[node(*point) for point in line] for line in lines]
        for (x, y), ref in ids.items():
            writer.add_node(osmium.osm.mutable.Node(id=ref, version=1,
                                                    location=town.to_lon_lat(x, y)))
        for number, line in enumerate(refs, start=1):
            writer.add_way(osmium.osm.mutable.Way(id=number, version=1, nodes=line,
                                                  tags={"highway": "residential"}))


def assert_same_walks(origin, points, radius_m):
    on_memory, memory = walking.walk_lengths(origin, points, radius_m=radius_m)
    on_reference, reference = pgrouting.walk_lengths(origin, points, radius_m=radius_m)
    assert on_memory == on_reference
    for mine, theirs in zip(memory, reference, strict=True):
        assert (mine.snapped, mine.exact) == (theirs.snapped, theirs.exact)
        if theirs.exact:
            assert mine.walk_m == pytest.approx(theirs.walk_m, rel=1e-9, abs=1e-6)
    return memory


def test_same_walks_as_pgrouting_on_the_basin_town(app, db, tmp_path):
    path = tmp_path / "basin.osm.pbf"
    town.write(path)
    network.import_network(path)
    person = town.to_lon_lat(100.0, 130.0)
    points = [town.to_lon_lat(x + dx, y) for x in town.CROSS_X for dx in (0.0, 40.0)
              for y in (160.0, 110.0, -110.0, -160.0, 700.0)]
    walks = [w for radius in (400.0, 1500.0, 6000.0)
             for w in assert_same_walks(person, points, radius)]
    assert sum(w.exact for w in walks) > len(points)  # most of them, with the widest radius
    assert any(not w.snapped for w in walks) and any(w.snapped and not w.exact for w in walks)


@pytest.mark.parametrize("seed", [3, 11])
def test_same_walks_as_pgrouting_on_a_generated_district(app, db, tmp_path, seed):
    path = tmp_path / "district.osm.pbf"
    write_district(path, seed)
    summary = network.import_network(path)
    assert summary["edges"] > SIDE * SIDE
    rng = np.random.default_rng(seed)
    extent = SIDE * SPACING_M
    exact = 0
    for _ in range(12):
        person, *points = [town.to_lon_lat(*rng.uniform(-100.0, extent + 100.0, 2))
                           for _ in range(31)]
        for radius in (300.0, 1200.0, 4000.0):
            exact += sum(w.exact for w in assert_same_walks(person, points, radius))
    assert exact > 12 * 30  # a good share of the points are walked to exactly


def test_the_snaps_kept_start_over_past_their_bound(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(walking, "SNAPS_KEPT", 20)
    path = tmp_path / "district.osm.pbf"
    write_district(path, 11)
    network.import_network(path)
    rng = np.random.default_rng(1)
    for _ in range(4):
        person, *points = [town.to_lon_lat(*rng.uniform(0.0, SIDE * SPACING_M, 2))
                           for _ in range(15)]
        assert_same_walks(person, points, 2000.0)
        assert len(walking._graph.snaps) <= 20 + 16


def test_a_new_network_replaces_the_copy_in_memory(app, db, tmp_path):
    """Each import is seen by the next request: the copy of the previous one is not used."""
    structure = make_structure()
    across = make_resource(structure=structure, lon=town.to_lon_lat(100.0, -130.0)[0],
                           lat=town.to_lon_lat(100.0, -130.0)[1])
    person = town.to_lon_lat(100.0, 130.0)
    basin = tmp_path / "basin.osm.pbf"
    town.write(basin)
    district = tmp_path / "district.osm.pbf"
    write_district(district, 5)

    def walk_to_across():
        (row,) = matching.match_resources(matching.MatchQuery(lon=person[0], lat=person[1]))
        assert row["id"] == str(across.id)
        return row["walk_m"]

    network.import_network(basin)
    round_the_basin = walk_to_across()
    first = walking._graph.generation
    assert round_the_basin > 10 * 260  # by the footbridge, 1.5 km east
    network.import_network(district)  # a grid with no basin: nearly straight across
    assert walk_to_across() < 2 * 260
    assert walking._graph.generation != first
    network.import_network(basin)
    assert walk_to_across() == pytest.approx(round_the_basin)


def test_the_copy_in_memory_is_small(app, db, tmp_path):
    path = tmp_path / "district.osm.pbf"
    write_district(path, 3)
    summary = network.import_network(path)
    walking.walk_lengths(town.to_lon_lat(50.0, 50.0), [town.to_lon_lat(300.0, 300.0)],
                         radius_m=1000.0)
    # Well under a hundred bytes an edge: a few megabytes for a city of 100,000 edges.
    assert walking._graph.nbytes < 100 * summary["edges"]
    assert math.isfinite(walking._graph.length.sum())
