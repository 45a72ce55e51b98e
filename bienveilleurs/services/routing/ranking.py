"""Rank matching candidates by walking time (API.md, Matching).

The candidates are a bounded number of the nearest as the crow flies (`candidates`); one
statement measures the walk from the person to all of them (walking.walk_lengths) in a
window of streets sized from the nearest ones; in the rare case where an item of the answer
is farther on foot than that window reaches (a basin, a cliff), the walks are measured
again in a wider window, up to `HORIZON_M` (or the longest walk asked for).

Each item gets `walk_m`, `walk_s` (`walk_m / WALK_SPEED_M_S`) and `routing` (`walk`, or
`straight` when no walk is known: the point is off the network, or the person is, in
which case the whole answer is straight-line and `max_walk_s` does not apply).
"""

from .. import fit
from .walking import network_ready, walk_lengths

# A window's radius: 1.3 times the straight distance of the farthest item the answer needs
# (a detour of a third of the straight line, usual in a town, stays inside), plus room for
# the snapping legs.
DETOUR = 1.3
SLACK_M = 200.0
# When an item of the answer is farther on foot than the window reaches, the window grows
# by this factor, up to the widest: walks longer than that (about 2 h 30 at 1.1 m/s) are
# not measured. The work grows with the window's area: the last window costs most.
GROWTH = 2.5
HORIZON_M = 10_000.0

__all__ = ["candidates", "network_ready", "on_foot"]


def candidates(limit):
    """How many of the nearest are ranked by walking time for a list of `limit` items."""
    return 3 * limit + 5


def _needed_m(items, limit):
    """The straight distance within which the answer's first `limit` items lie."""
    leading = [item["distance_m"] for item in items if not fit.is_full(item)]
    others = [item["distance_m"] for item in items if fit.is_full(item)]
    ordered = sorted(leading) + sorted(others)
    if not ordered:
        return 0.0
    return ordered[min(limit, len(ordered)) - 1]


def _apply(items, walks, speed, pending):
    """Give the measured items their walks; those whose walk is longer than the window stay
    pending (measured again in a wider one if they matter)."""
    for item, walk in zip(items, walks, strict=True):
        if walk.exact and walk.walk_m is not None:
            item.update(walk_m=round(walk.walk_m, 1), walk_s=round(walk.walk_m / speed),
                        routing="walk")
            pending.discard(id(item))
        elif not walk.snapped:
            pending.discard(id(item))  # off the network: straight-line, said as such


def _ordered(items, limit):
    return sorted(items, key=lambda item: fit.order_key(item, walking=True))[:limit]


def _straight(lists, limit):
    answer = []
    for items in lists:
        for item in items:
            item.update(walk_m=None, walk_s=None, routing="straight")
        answer.append(sorted(items, key=lambda i: fit.order_key(i, walking=False))[:limit])
    return answer


def _within(item, max_walk_s, speed):
    # Off the network, the straight line is all that is known.
    known = item["walk_m"] if item["walk_m"] is not None else item["distance_m"]
    return known <= max_walk_s * speed


def on_foot(origin, lists, *, limit, max_walk_s=None, speed):
    """Return each list of candidate items (matching dicts) ranked by walking time, at most
    `limit` each, with their walks; `max_walk_s` bounds them.

    A candidate farther as the crow flies than the window reaches cannot be walked to within
    it: it waits, unmeasured, for a wider window, which only comes if it could be part of
    the answer.
    """
    items = [item for candidates_ in lists for item in candidates_]
    for item in items:
        item.update(walk_m=None, walk_s=None, routing="straight")
    if not items:
        return [[] for _ in lists]
    widest = min(HORIZON_M, max_walk_s * speed) if max_walk_s else HORIZON_M
    radius = min(widest, DETOUR * max(_needed_m(c, limit) for c in lists) + SLACK_M)
    pending = {id(item) for item in items}
    while True:
        near = [item for item in items
                if id(item) in pending and item["distance_m"] <= radius]
        if near:
            on_network, walks = walk_lengths(
                origin, [(item["lon"], item["lat"]) for item in near], radius_m=radius)
            if not on_network:
                return _straight(lists, limit)
            _apply(near, walks, speed, pending)
        if radius >= widest or not any(id(item) in pending
                                       for c in lists for item in _ordered(c, limit)):
            break
        radius = min(widest, radius * GROWTH)
    answer = []
    for candidates_ in lists:
        kept = candidates_
        if max_walk_s:
            kept = [item for item in kept if id(item) not in pending
                    and _within(item, max_walk_s, speed)]
        answer.append(_ordered(kept, limit))
    return answer
