"""A generated city-size street network for the walking arm of the matching benchmark.

A jittered street grid around Le Havre's centre (~100,000 edges once cut at crossings),
written as an OpenStreetMap file by pyosmium, so that the benchmark imports it with the
real `flask routing import`. Like the city it stands for, it has obstacles that make the
nearest point as the crow flies a detour on foot: harbour basins crossed by a few bridges,
and a cliff between the lower and the upper town climbed by a few stairs. Seeded: two runs
write the same file.
"""

import math

import numpy as np
import osmium

CENTRE = (0.1079, 49.4944)  # lon, lat
SPACING_M = 60.0
SIDE = 240          # nodes per row and column: ~100,000 street segments once cut
JITTER_M = 12.0
MISSING_SHARE = 0.04  # segments absent (blocks, private courtyards)
# Basins: (first row, last row, first column, last column) of water, and the columns of
# their bridges. The cliff: a row that only a few stairs cross.
BASINS = [((40, 52, 10, 200), (28, 60, 95, 130, 160, 185)),
          ((80, 86, 30, 239), (45, 70, 100, 125, 150, 180, 210)),
          ((150, 158, 0, 120), (20, 50, 80, 105))]
CLIFF_ROW = 118
STAIRS = tuple(range(6, 240, 16))
HIGHWAYS = ("residential", "residential", "footway", "service", "tertiary", "pedestrian")


def _metres_per_degree(lat):
    return 111_195.0 * math.cos(math.radians(lat)), 111_195.0


def area_bbox():
    """Return (min lon, min lat, max lon, max lat) of the generated streets."""
    per_lon, per_lat = _metres_per_degree(CENTRE[1])
    half = SPACING_M * (SIDE - 1) / 2
    return (CENTRE[0] - half / per_lon, CENTRE[1] - half / per_lat,
            CENTRE[0] + half / per_lon, CENTRE[1] + half / per_lat)


def on_land(lon, lat):
    """Tell whether a point lies outside the basins (where people and services are)."""
    min_lon, min_lat, _, _ = area_bbox()
    per_lon, per_lat = _metres_per_degree(CENTRE[1])
    col = (lon - min_lon) * per_lon / SPACING_M
    row = (lat - min_lat) * per_lat / SPACING_M
    return not any(r0 - 1 <= row <= r1 + 1 and c0 - 1 <= col <= c1 + 1
                   for (r0, r1, c0, c1), _ in BASINS)


def _segment_open(row, col, down, rng_draw):
    """Tell whether the segment from (row, col) to its right (or down) neighbour exists."""
    other = (row + 1, col) if down else (row, col + 1)
    for (r0, r1, c0, c1), bridges in BASINS:
        inside = [r0 <= r <= r1 and c0 <= c <= c1 for r, c in ((row, col), other)]
        if any(inside):
            # Only a bridge's own column stays, straight across the basin.
            return down and col in bridges and c0 <= col <= c1
    if down and row == CLIFF_ROW:
        return col in STAIRS
    return rng_draw >= MISSING_SHARE


def write(path, *, seed=7):
    """Write the network to `path` (.osm or .osm.pbf); return (nodes, ways) written."""
    rng = np.random.default_rng(seed)
    per_lon, per_lat = _metres_per_degree(CENTRE[1])
    min_lon, min_lat, _, _ = area_bbox()
    jitter = rng.normal(0.0, JITTER_M, (SIDE, SIDE, 2))
    draws = rng.random((SIDE, SIDE, 2))
    kinds = rng.integers(0, len(HIGHWAYS), 2 * SIDE)

    def node_id(row, col):
        return row * SIDE + col + 1

    ways = 0
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for row in range(SIDE):
            for col in range(SIDE):
                lon = min_lon + (col * SPACING_M + jitter[row, col, 0]) / per_lon
                lat = min_lat + (row * SPACING_M + jitter[row, col, 1]) / per_lat
                writer.add_node(osmium.osm.mutable.Node(id=node_id(row, col), version=1,
                                                        location=(lon, lat)))
        for line in range(SIDE):
            for down in (False, True):
                run = []
                for step in range(SIDE):
                    row, col = (step, line) if down else (line, step)
                    run.append(node_id(row, col))
                    last = step == SIDE - 1
                    if last or not _segment_open(row, col, down, draws[row, col, int(down)]):
                        if len(run) > 1:
                            ways += 1
                            tags = {"highway": HIGHWAYS[kinds[2 * line + down]]}
                            writer.add_way(osmium.osm.mutable.Way(
                                id=ways, version=1, nodes=run, tags=tags))
                        run = []
    return SIDE * SIDE, ways
