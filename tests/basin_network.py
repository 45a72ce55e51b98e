"""A small synthetic town for the walking tests, written as an OpenStreetMap file.

Two banks of a basin (water between y = -100 m and y = +100 m), each with two east-west
streets and a few cross streets; one footbridge crosses the basin at the east end. Three
other crossings are closed to people on foot: a motorway, a cycle path (France: no
pedestrians unless `foot` says so) and a service road marked `foot=no`. A lone footway far
to the north is cut off from everything. Positions are metres east (x) and north (y) of
ORIGIN, turned into degrees on the sphere PostGIS uses.

`walkable_graph()` builds the same town's walking graph independently of the application
(from this module's own lists, not from its OSM reading), for networkx.
"""

import math

import networkx as nx
import osmium

from geo.distance import EARTH_MEAN_RADIUS_M, haversine_m

ORIGIN = (0.1000, 49.4700)  # lon, lat: inside Le Havre's service area
NORTH, SOUTH = (100.0, 300.0), (-100.0, -300.0)
CROSS_X = (0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0)
BRIDGE_X = 1500.0
# On cross streets' own nodes, so that an importer letting them in would open a short cut.
FORBIDDEN = ((250.0, {"highway": "motorway"}), (750.0, {"highway": "cycleway"}),
             (1000.0, {"highway": "service", "foot": "no"}))
ISLAND = ((0.0, 900.0), (200.0, 900.0))  # a footway 600 m north of everything else


def to_lon_lat(x, y):
    lat = ORIGIN[1] + math.degrees(y / EARTH_MEAN_RADIUS_M)
    lon = ORIGIN[0] + math.degrees(x / (EARTH_MEAN_RADIUS_M * math.cos(math.radians(lat))))
    return lon, lat


def _walkable_ways():
    """[(tags, [(x, y), …])] of the ways a person may walk along."""
    ways = []
    for bank in (NORTH, SOUTH):
        for y in bank:
            ways.append(({"highway": "residential"}, [(x, y) for x in CROSS_X]))
        for x in CROSS_X:
            ways.append(({"highway": "footway"}, [(x, bank[0]), (x, bank[1])]))
    ways.append(({"highway": "footway", "bridge": "yes"},
                 [(BRIDGE_X, NORTH[0]), (BRIDGE_X, 0.0), (BRIDGE_X, SOUTH[0])]))
    ways.append(({"highway": "footway"}, list(ISLAND)))
    return ways


def _forbidden_ways():
    return [(tags, [(x, NORTH[0]), (x, SOUTH[0])]) for x, tags in FORBIDDEN]


def write(path):
    """Write the town to `path` (.osm or .osm.pbf). Shared points are one OSM node."""
    ids = {}

    def node(point):
        if point not in ids:
            ids[point] = len(ids) + 1
        return ids[point]

    ways = [(tags, [node(p) for p in line]) for tags, line in
            _walkable_ways() + _forbidden_ways()]
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for point, ref in sorted(ids.items(), key=lambda item: item[1]):
            writer.add_node(osmium.osm.mutable.Node(id=ref, version=1,
                                                    location=to_lon_lat(*point)))
        for number, (tags, refs) in enumerate(ways, start=1):
            writer.add_way(osmium.osm.mutable.Way(id=number, version=1, nodes=refs, tags=tags))


def walkable_graph():
    """The walking graph of the town: nodes (x, y), edges weighted by metres on the sphere."""
    graph = nx.Graph()
    for _tags, line in _walkable_ways():
        for a, b in zip(line, line[1:], strict=False):
            graph.add_edge(a, b, length=haversine_m(*to_lon_lat(*a), *to_lon_lat(*b)))
    return graph


def _nearest_on_segment(p, a, b):
    """The point of segment ab nearest to p, in the town's flat metres."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy)
    t = min(1.0, max(0.0, t))
    return (ax + t * dx, ay + t * dy)


def _snap(graph, where, point):
    """(leg in metres, nearest point, edge) of the network nearest to `point`."""
    best = None
    for a, b in graph.edges:
        q = _nearest_on_segment(point, where[a], where[b])
        leg = haversine_m(*to_lon_lat(*point), *to_lon_lat(*q))
        if best is None or leg < best[0]:
            best = (leg, q, (a, b))
    return best


def walk_m(graph, start, end):
    """The walk from `start` to `end` ((x, y) metres): straight to the nearest point of the
    network, along it, straight to the end; None when either is over 200 m off it or when
    no path joins them."""
    work = graph.copy()
    where = {n: n for n in work.nodes}
    legs = 0.0
    for label, point in (("start", start), ("end", end)):
        leg, q, (a, b) = _snap(work, where, point)
        if leg > 200:
            return None
        legs += leg
        length = work.edges[a, b]["length"]
        share = math.dist(where[a], q) / math.dist(where[a], where[b])
        work.remove_edge(a, b)
        work.add_edge(a, label, length=share * length)
        work.add_edge(label, b, length=(1 - share) * length)
        where[label] = q
    try:
        return legs + nx.shortest_path_length(work, "start", "end", weight="length")
    except nx.NetworkXNoPath:
        return None
