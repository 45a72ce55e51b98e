"""Matching for a referral: the relays and resources proposed for the person and the need.

- `referral_matches` (a use case: the read is access-logged): the answer of
  GET /api/v1/referrals/{id}/matches;
- `proposed_relays`, `proposed_resources`: proposals on the pages, for those who may see
  the person's exact position; `proposed_relays_for`, `proposed_resources_for`: the same
  for a whole page of referrals at once (matching_many);
- `next_best_resources`, `declined_resource_ids`: the nearest fitting resources without
  those that already declined the referral.

Built on services.matching; nothing is written here but the access-log row of
`referral_matches`.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from geo.points import lon_lat

from ...config import setting
from ...errors import Forbidden, ResidentErased
from ...extensions import db
from ...models import ReferralEvent, Relay, Role, User
from .. import matching, matching_many
from ..codes import SEPARATOR, expand_categories
from ..transaction import use_case
from .scope import get_referral, resident_position, visibility


def declined_resource_ids(referral):
    """Return the ids of resources that declined or did not answer this referral (from events)."""
    return set(db.session.scalars(select(ReferralEvent.resource_id).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.from_status == "referred",
        ReferralEvent.to_status == "contacted", ReferralEvent.resource_id.isnot(None))).all())


def _categories_for(category):
    codes = set(expand_categories([category]))
    if SEPARATOR in category:
        # A resource tagged with the whole category fits a need of one of its sub-categories.
        codes.add(category.split(SEPARATOR, 1)[0])
    return sorted(codes)


def _declined_by(referral_ids):
    """{referral id: ids (as text) of the resources that declined it or did not answer}."""
    declined = {referral_id: set() for referral_id in referral_ids}
    if referral_ids:
        for referral_id, resource_id in db.session.execute(
                select(ReferralEvent.referral_id, ReferralEvent.resource_id).where(
                    ReferralEvent.referral_id.in_(referral_ids),
                    ReferralEvent.from_status == "referred",
                    ReferralEvent.to_status == "contacted",
                    ReferralEvent.resource_id.isnot(None))):
            declined[referral_id].add(str(resource_id))
    return declined


def _resource_query(referral, point, excluded, limit):
    resident = referral.resident
    return matching.MatchQuery(lon=point[0], lat=point[1],
                               categories=_categories_for(referral.category),
                               audiences=list(resident.audiences or []),
                               speaks=list(resident.languages or []),
                               limit=min(matching.MAX_LIMIT, limit + len(excluded)))


def next_best_resources(referral, *, limit=5, at=None):
    """Return the best fitting resources for the referral (matching dicts, API.md's order,
    with their reasons for the person: audiences, languages), without the ones that already
    declined it. Uses the exact point: for coordinators' pages."""
    point = lon_lat(referral.resident.point) if referral.resident else None
    if point is None:
        return []
    excluded = {str(r) for r in declined_resource_ids(referral)}
    query = _resource_query(referral, point, excluded, limit)
    return [r for r in matching.match_resources(query, at=at)
            if r["id"] not in excluded][:limit]


def next_best_resources_for(referrals, *, limit=5, at=None):
    """{referral id: what `next_best_resources` gives it} for a page of referrals, in the
    same statements whatever their number (one query for the declines, matching_many)."""
    answer = {referral.id: [] for referral in referrals}
    points = {r.id: lon_lat(r.resident.point) if r.resident else None for r in referrals}
    shown = [r for r in referrals if points[r.id] is not None]
    declined = _declined_by([r.id for r in shown])
    queries = [_resource_query(r, points[r.id], declined[r.id], limit) for r in shown]
    found = matching_many.match_resources_many(queries, at=at)
    for referral, resources in zip(shown, found, strict=True):
        answer[referral.id] = [r for r in resources
                               if r["id"] not in declined[referral.id]][:limit]
    return answer


@use_case
def referral_matches(user, referral_id, *, audiences=(), languages=(), open_now=False,
                     accessible=False, available_now=False, limit=matching.DEFAULT_LIMIT,
                     max_walk_s=None, at=None):
    """Answer GET /api/v1/referrals/{id}/matches: the match for the person's point and need.

    Relays only for coordinators (a relay's point is often their home). Social workers
    are matched from the ~200 m grid point; status-only viewers are refused. The read of
    the referral is access-logged. Without `audiences`, the person's own are used (a
    resource for other audiences is left out); the person's languages are reasons.
    """
    referral = get_referral(user, referral_id)
    if visibility(user, referral) == "status_only":
        raise Forbidden("Vous ne voyez que l'état de cette orientation.")
    position = resident_position(user, referral)
    if position is None:
        raise ResidentErased()
    resident = referral.resident
    query = matching.MatchQuery(lon=position["lon"], lat=position["lat"],
                                categories=_categories_for(referral.category),
                                audiences=list(audiences or resident.audiences or []),
                                languages=list(languages), speaks=list(resident.languages or []),
                                open_now=open_now, accessible=accessible,
                                available_now=available_now, limit=limit,
                                max_walk_s=max_walk_s)
    include_relays = user.role in (Role.COORDINATOR.value, Role.ADMIN.value)
    return matching.match(query, include_relays=include_relays,
                          max_radius_m=setting("RELAY_MAX_RADIUS_M"), at=at)


@dataclass
class RelayProposal:
    """A relay proposed to a coordinator for a referral, with why it fits."""

    id: str
    display_name: str
    distance_m: float
    free_capacity: int
    capacity: int
    shared_languages: list = field(default_factory=list)
    available_now: bool | None = None
    walk_s: int | None = None
    invitation_pending: bool = False  # their account waits for its password: not reachable yet


def _invitations_pending(relay_ids):
    """The ids (as text) of these relays whose account has not chosen its password yet."""
    if not relay_ids:
        return set()
    return {str(i) for i in db.session.scalars(
        select(Relay.id).join(User, User.id == Relay.user_id)
        .where(Relay.id.in_(relay_ids), User.password_hash.is_(None)))}


def _relay_query(position, limit):
    return matching.MatchQuery(lon=position["lon"], lat=position["lat"],
                               limit=min(matching.MAX_LIMIT, limit * 3 + 1))


def _relay_proposals(referral, query, relays, pending, limit):
    """Rank the relays matched for the referral (`proposed_relays`), `pending`: the ids of
    those whose invitation is pending."""
    spoken = list(referral.resident.languages or [])
    current = str(referral.relay_id) if referral.relay_id else None
    relays = [r for r in relays if r["id"] != current]
    ranked = matching.rank_relays_for(query, relays, resident_languages=spoken)
    # Someone still to activate their account cannot be reached through the app yet: after
    # every active relay (sorted() keeps the ranking within each group).
    ranked = sorted(ranked, key=lambda r: r["id"] in pending)
    return [RelayProposal(id=r["id"], display_name=r["display_name"], distance_m=r["distance_m"],
                          free_capacity=r["free_capacity"], capacity=r["capacity"],
                          shared_languages=sorted(set(spoken) & set(r["languages"])),
                          available_now=r["available_now"], walk_s=r["walk_s"],
                          invitation_pending=r["id"] in pending)
            for r in ranked[:limit]]


def proposed_relays(user, referral, *, limit=3):
    """Return the best relays for the referral (coordinators only), best first.

    Matching (`match_relays`: active, free capacity, within their own radius of the person)
    ranked by `rank_relays_for` (shared language, available now, free room, walk or
    distance), those whose invitation is pending last. The relay already in charge is left
    out (a reassignment needs someone else).
    """
    if user.role != Role.COORDINATOR.value:
        return []  # a relay's point is often their home: coordinators only
    position = resident_position(user, referral)
    if position is None:
        return []
    query = _relay_query(position, limit)
    relays = matching.match_relays(query, max_radius_m=setting("RELAY_MAX_RADIUS_M"))
    pending = _invitations_pending([r["id"] for r in relays])
    return _relay_proposals(referral, query, relays, pending, limit)


def proposed_relays_for(user, referrals, *, limit=3):
    """{referral id: what `proposed_relays` gives it} for a page of referrals, in the same
    statements whatever their number (matching_many, one query for pending invitations)."""
    answer = {referral.id: [] for referral in referrals}
    if user.role != Role.COORDINATOR.value:
        return answer
    shown = [(r, resident_position(user, r)) for r in referrals]
    shown = [(r, _relay_query(position, limit)) for r, position in shown if position]
    found = matching_many.match_relays_many([query for _, query in shown],
                                            max_radius_m=setting("RELAY_MAX_RADIUS_M"))
    pending = _invitations_pending(list({r["id"] for relays in found for r in relays}))
    for (referral, query), relays in zip(shown, found, strict=True):
        answer[referral.id] = _relay_proposals(referral, query, relays, pending, limit)
    return answer


def proposed_resources(user, referral, *, limit=5):
    """Return the nearest fitting resources for the referral, without those that declined it.

    For the people who may see the person's exact position (coordinators, the relay in
    charge while it is open); nobody else gets proposals computed from it.
    """
    position = resident_position(user, referral)
    if position is None or not position["exact"]:
        return []
    return next_best_resources(referral, limit=limit)


def proposed_resources_for(user, referrals, *, limit=5):
    """{referral id: what `proposed_resources` gives it} for a page of referrals, in the same
    statements whatever their number."""
    exact = [r for r in referrals if (position := resident_position(user, r)) is not None
             and position["exact"]]
    return {**{r.id: [] for r in referrals}, **next_best_resources_for(exact, limit=limit)}
