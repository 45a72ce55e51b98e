"""Read the ways a pedestrian may use from an OpenStreetMap extract, as the edges of a graph.

The file (`.osm` XML or `.osm.pbf`) is read by pyosmium (libosmium's Python binding), which
keeps the location of every node so that each way comes with its coordinates. A way is cut
into edges at every node it shares with another walkable way (and at its ends), so that
the graph's vertices are the crossings. Nodes missing from the extract (ways clipped at its
border) cut the way too: a part without coordinates is left out.

Which ways: the access rules of OpenStreetMap for a person on foot, French defaults
(https://wiki.openstreetmap.org/wiki/OSM_tags_for_routing/Access_restrictions#France).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import osmium

from geo.errors import GeoError

# Ways a person may walk along unless a tag says otherwise.
FOOT_BY_DEFAULT = frozenset({
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
    "unclassified", "road", "track", "bridleway", "corridor", "platform", "crossing",
    "tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link",
    "trunk", "trunk_link",
})
# Ways a person may not walk along, whatever else is tagged (motorways, works, plans).
NEVER = frozenset({
    "motorway", "motorway_link", "construction", "proposed", "planned", "abandoned", "disused",
    "raceway", "bus_guideway", "busway", "escape", "via_ferrata", "elevator",
})
FOOT_YES = frozenset({"yes", "designated", "permissive", "destination", "official"})
FOOT_NO = frozenset({"no", "private", "use_sidepath", "discouraged"})
ACCESS_NO = frozenset({"no", "private", "agricultural", "forestry", "delivery", "customers"})


def is_walkable(tags) -> bool:
    """Tell whether a way with these tags (a mapping) may be used on foot.

    `highway=cycleway` is a cycle path, closed to pedestrians in France unless `foot`
    says otherwise; a trunk road marked `motorroad=yes` is an expressway.
    """
    highway = tags.get("highway")
    if not highway or highway in NEVER:
        return False
    foot = tags.get("foot")
    if foot in FOOT_NO:
        return False
    if foot in FOOT_YES:
        return True
    if tags.get("access") in ACCESS_NO or tags.get("motorroad") == "yes":
        return False
    return highway in FOOT_BY_DEFAULT


@dataclass
class Walkways:
    """The walking graph read from a file: vertices (lon, lat) and edges between them."""

    vertices: list = field(default_factory=list)   # index → (lon, lat)
    edges: list = field(default_factory=list)      # (source, target, way id, [(lon, lat), …])
    ways: int = 0


def _way_parts(way):
    """Yield the runs of a way's nodes that have a location, as [(node id, lon, lat), …]."""
    run = []
    for node in way.nodes:
        if node.location.valid():
            run.append((node.ref, node.location.lon, node.location.lat))
        else:
            if len(run) > 1:
                yield run
            run = []
    if len(run) > 1:
        yield run


def _read_parts(path):
    parts = []
    ways = 0
    try:
        processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                     .with_locations().with_filter(osmium.filter.KeyFilter("highway")))
        for item in processor:
            if item.is_way() and is_walkable(item.tags):
                ways += 1
                parts.extend((item.id, run) for run in _way_parts(item))
    except RuntimeError as exc:  # libosmium's own reading errors (format, truncation)
        raise GeoError(f"Le fichier OpenStreetMap n'a pas pu être lu : {exc}",
                       field="file") from exc
    return parts, ways


def read_walkways(path) -> Walkways:
    """Read a `.osm` or `.osm.pbf` file and return its walking graph.

    A vertex is a node where walkable ways meet, the end of a way, or the far point of a
    closed way (so that no edge is a loop); edges follow the ways between two vertices.
    """
    parts, ways = _read_parts(path)
    uses = Counter(ref for _way, run in parts for ref, _lon, _lat in run)
    for _way, run in parts:
        uses[run[0][0]] += 2
        uses[run[-1][0]] += 2
        if run[0][0] == run[-1][0]:
            uses[run[len(run) // 2][0]] += 2
    graph = Walkways(ways=ways)
    index = {}

    def vertex(ref, lon, lat):
        if ref not in index:
            index[ref] = len(graph.vertices)
            graph.vertices.append((lon, lat))
        return index[ref]

    for way_id, run in parts:
        start = 0
        for i in range(1, len(run)):
            if uses[run[i][0]] > 1:
                source = vertex(*run[start])
                target = vertex(*run[i])
                line = [(lon, lat) for _ref, lon, lat in run[start:i + 1]]
                if source != target or len(line) > 2:
                    graph.edges.append((source, target, way_id, line))
                start = i
    return graph
