"""Walking lengths on the imported street network, from one point to many.

The network is stored by pgRouting's tables (network.py); each application process keeps a
copy of its graph in memory (`Graph`: the edges' ends and lengths, a sparse matrix), loaded
on first use and again when an import has replaced the network. Each call snaps the points
not met before on that copy (snapping.py; resources and relays stay put, so mostly the
person's point alone) by one statement, which also says which network is the database's
now, in the same snapshot: a copy of another network is replaced, and the points snapped
again, before walking. About 100,000 edges take a few megabytes per process.

From the person's snapped point (the place along an edge), a Dijkstra runs from both ends
of that edge (scipy.sparse.csgraph), undirected (one may walk both ways), bounded by the
radius asked for: a path no longer than that is exact, and `exact` says which are (a walk no
longer than the radius). The others are asked again by the caller with a wider radius when
they matter. The length of a walk is the straight leg from the person to the network, the
path along it, and the leg from the network to the candidate — as pgrouting.py, the
reference computation, which the tests compare with this one.
"""

import threading
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from ...config import setting
from ...extensions import db
from .snapping import GENERATION_SQL, NETWORK_SCHEMA, Walk, snap

__all__ = ["NETWORK_SCHEMA", "Graph", "Walk", "network_ready", "walk_lengths"]

_READY = f"""
SELECT to_regclass('{NETWORK_SCHEMA}.edges') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')
"""
# A street of length zero (two nodes at the same place) is still a way through: the sparse
# matrix would take a zero for no edge at all.
_ZERO_M = 1e-6


@dataclass(frozen=True)
class Graph:
    """One network in memory: each edge's ends and length (arrays indexed by edge id), the
    symmetric matrix of the shortest edge between two nodes, and where the points met so
    far meet this network (`snaps`, by (lon, lat): resources and relays stay put)."""

    generation: str
    source: np.ndarray
    target: np.ndarray
    length: np.ndarray
    matrix: csr_array
    snaps: dict = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, driver):
        """The network as it is now, with its generation read in the same snapshot."""
        chunks, generation = [], None
        # A cursor of the server, read a few rows at a time: the memory a process keeps
        # after the load is little more than the arrays'. It lives in a transaction (a
        # savepoint inside the request's, its own where API reads run without one).
        with driver.transaction(), driver.cursor(name="walking_network") as cursor:
            cursor.execute(f"SELECT id, source, target, length_m, {GENERATION_SQL} "
                           f"FROM {NETWORK_SCHEMA}.edges")
            while rows := cursor.fetchmany(5_000):
                generation = rows[0][4]
                chunks.append(np.array([row[:4] for row in rows], dtype=np.float64))
        table = np.concatenate(chunks)
        ids, source, target = (table[:, i].astype(np.int32) for i in range(3))
        length = table[:, 3]
        size = int(max(source.max(), target.max())) + 1
        by_id = int(ids.max()) + 1
        ends = [np.zeros(by_id, dtype=np.int32) for _ in range(2)]
        ends[0][ids], ends[1][ids] = source, target
        lengths = np.zeros(by_id)
        lengths[ids] = length
        # Both ways; of two streets between the same nodes, the shorter (a sparse matrix
        # would add them up).
        rows_, cols = np.concatenate([source, target]), np.concatenate([target, source])
        weights = np.maximum(np.concatenate([length, length]), _ZERO_M)
        order = np.lexsort((weights, cols, rows_))
        rows_, cols, weights = rows_[order], cols[order], weights[order]
        first = np.ones(len(rows_), dtype=bool)
        first[1:] = (rows_[1:] != rows_[:-1]) | (cols[1:] != cols[:-1])
        matrix = csr_array((weights[first], (rows_[first], cols[first])), shape=(size, size))
        return cls(generation, ends[0], ends[1], lengths, matrix)

    @property
    def nbytes(self):
        m = self.matrix
        return (self.source.nbytes + self.target.nbytes + self.length.nbytes + m.data.nbytes
                + m.indices.nbytes + m.indptr.nbytes)

    def paths(self, start, ends, limit):
        """Path lengths along the network from `start` to each of `ends` (Snaps on edges),
        exact up to `limit`; beyond it, a longer length or None."""
        u, v, length = self.source[start.edge], self.target[start.edge], self.length[start.edge]
        from_u, from_v = dijkstra(self.matrix, indices=[u, v], limit=limit)

        def to_node(node):
            return min(start.fraction * length + from_u[node],
                       (1 - start.fraction) * length + from_v[node])

        found = []
        for end in ends:
            a, b, along = self.source[end.edge], self.target[end.edge], self.length[end.edge]
            best = min(to_node(a) + end.fraction * along,
                       to_node(b) + (1 - end.fraction) * along)
            if end.edge == start.edge:
                best = min(best, abs(end.fraction - start.fraction) * along)
            found.append(float(best) if np.isfinite(best) else None)
        return found


_graph = None
_loading = threading.Lock()
# Points whose snap is kept, at most (a few hundred bytes each); then the memory starts over.
SNAPS_KEPT = 50_000


def _reload(driver, seen):
    """Load the network again unless another thread did since `seen` was the copy."""
    global _graph
    with _loading:
        if _graph is seen:
            _graph = None  # the previous network's memory goes before the next one's comes
            _graph = Graph.load(driver)


def _snapped(driver, points):
    """(This process's copy of the network, a Snap for each point): the points not met on
    this copy are snapped by one statement, which also tells whether the copy is the network
    of the database; if not, it is loaded again and every point snapped again."""
    while True:
        graph = _graph
        known = graph.snaps if graph is not None else {}
        missing = list(dict.fromkeys(p for p in points if p not in known))
        generation, found = snap(driver, missing)
        if graph is not None and graph.generation == generation:
            break
        _reload(driver, graph)
    if len(known) + len(missing) > SNAPS_KEPT:
        known.clear()
    snaps = {**known, **dict(zip(missing, found, strict=True))}
    known.update(zip(missing, found, strict=True))
    return graph, [snaps[p] for p in points]


def network_ready():
    """Tell whether matching walks: ROUTING=walk and a network imported with pgRouting."""
    if setting("ROUTING") != "walk":
        return False
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        return bool(cursor.execute(_READY).fetchone()[0])


def walk_lengths(origin, points, *, radius_m):
    """Return (the person is on the network, a Walk for each (lon, lat) of `points`).

    Lengths up to `radius_m` are exact. The person (`origin`, lon and lat) more than
    SNAP_MAX_M off the network: no walk at all.
    """
    if not points:
        return False, []
    driver = db.session.connection().connection.driver_connection
    everyone = [(float(lon), float(lat)) for lon, lat in [origin, *points]]
    graph, (start, *ends) = _snapped(driver, everyone)
    if not start.on_network:
        return False, [Walk(walk_m=None, snapped=end.on_network, exact=False) for end in ends]
    reached = [end for end in ends if end.on_network]
    lengths = iter(graph.paths(start, reached, float(radius_m)))
    walks = []
    for end in ends:
        path = next(lengths) if end.on_network else None
        walk_m = None if path is None else start.leg_m + path + end.leg_m
        walks.append(Walk(walk_m=walk_m, snapped=end.on_network,
                          exact=walk_m is not None and walk_m <= radius_m))
    return True, walks
