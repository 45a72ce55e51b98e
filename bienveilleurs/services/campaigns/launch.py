"""Launching a campaign: who is called, by whom, previewed then created in one transaction.

One check per registered person (entry not lapsed) whose point lies in the campaign's
territories (city-wide: every territory and the points outside them) and who has no check
in another open campaign. The check goes to the relay of the person's most recently
assigned active referral if that relay is active, else to the nearest active relay whose
radius reaches the person, at most CAMPAIGN_MAX_CHECKS_PER_RELAY checks per relay, else it
stays unassigned. The candidates come from one statement (an index-ordered KNN scan per
person, within the widest active radius); the caps are applied in Python, own relays first.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from ... import clock
from ...config import setting
from ...errors import Conflict, Forbidden, IdempotencyMismatch, ValidationFailed
from ...extensions import db
from ...models import CAMPAIGN_KINDS, Campaign, CampaignCheck, Relay, Role, Territory
from ..areas import is_city_wide
from ..fields import whole_record
from ..referrals.intake import payload_digest
from ..transaction import use_case
from .scope import get_campaign
from .watch import LAPSE_AFTER

NEAREST_CANDIDATES = 12  # relays considered per person, nearest first
LAUNCH_LOCK = "bienveilleurs.campaign_launch"

_CANDIDATES = text("""
WITH people AS (
  SELECT r.id, r.point,
    (SELECT t.id FROM territories t
      WHERE t.id = ANY(CAST(:territory_ids AS uuid[]))
        AND ST_Intersects(t.area, CAST(r.point AS geometry))
      ORDER BY t.name, t.id LIMIT 1) AS territory_id
  FROM residents r JOIN watch_entries w ON w.resident_id = r.id
  WHERE r.erased_at IS NULL AND r.point IS NOT NULL AND w.confirmed_at > :lapsed_before
)
SELECT p.id, p.territory_id,
  EXISTS (SELECT 1 FROM campaign_checks c JOIN campaigns k ON k.id = c.campaign_id
          WHERE c.resident_id = p.id AND k.status = 'open') AS busy,
  (SELECT ref.relay_id FROM referrals ref
     JOIN relays rl ON rl.id = ref.relay_id
     WHERE ref.resident_id = p.id
       AND ref.status IN ('assigned', 'contacted', 'referred', 'accepted')
       AND rl.status = 'active' AND rl.user_id IS NOT NULL
     ORDER BY (SELECT max(e.id) FROM referral_events e
               WHERE e.referral_id = ref.id AND e.to_status = 'assigned') DESC NULLS LAST,
              ref.status_changed_at DESC
     LIMIT 1) AS own_relay,
  ARRAY(SELECT n.id FROM (
           SELECT rl.id, rl.point <-> p.point AS distance FROM relays rl
            WHERE rl.status = 'active' AND rl.user_id IS NOT NULL
              AND ST_DWithin(rl.point, p.point, :max_radius, false)
              AND ST_DWithin(rl.point, p.point, rl.radius_m, false)
            ORDER BY rl.point <-> p.point
            LIMIT :candidates) n
         ORDER BY n.distance, n.id) AS nearest
FROM people p
WHERE p.territory_id IS NOT NULL
   OR (:outside AND NOT EXISTS (SELECT 1 FROM territories t
                                WHERE ST_Intersects(t.area, CAST(p.point AS geometry))))
ORDER BY p.id
""")


@dataclass
class Plan:
    """Who would be called by whom: rows (resident, relay or None, how, territory)."""

    rows: list = field(default_factory=list)
    in_other_campaign: int = 0

    def counts(self):
        how = Counter(row[2] for row in self.rows)
        return {"people": len(self.rows), "own_relay": how["own_relay"],
                "nearest_relay": how["nearest_relay"], "unassigned": how["unassigned"],
                "in_other_campaign": self.in_other_campaign}


@dataclass(frozen=True)
class Area:
    territory_ids: tuple
    outside: bool


def area_for(user, territory_ids, fields=None):
    """The territories a launch covers: the given ones (in the coordinator's), or theirs."""
    own = {t.id for t in user.territories}
    city_wide = is_city_wide(user)
    if territory_ids:
        known = set(db.session.scalars(select(Territory.id).where(
            Territory.id.in_(territory_ids))))
        wrong = [t for t in territory_ids if t not in known or not (city_wide or t in own)]
        if wrong:
            message = "Territoire inconnu ou hors de votre périmètre."
            if fields is None:
                raise ValidationFailed.field("territory_ids", message)
            fields.fail("territory_ids", message)
        return Area(tuple(sorted(set(territory_ids) & known, key=str)), False)
    if city_wide:
        return Area(tuple(db.session.scalars(select(Territory.id).order_by(Territory.id))), True)
    return Area(tuple(sorted(own, key=str)), False)


def _reach():
    """The widest radius of an active relay (at most RELAY_MAX_RADIUS_M): the box the
    nearest relays are looked for in, as small as the network allows."""
    widest = db.session.scalar(select(func.max(Relay.radius_m)).where(
        Relay.status == "active", Relay.user_id.is_not(None)))
    return float(min(widest or 0, setting("RELAY_MAX_RADIUS_M")))


def plan(area, load=None):
    """Compute who would be called by whom (nothing written); `load`: checks each relay
    already holds in the campaign."""
    # One statement over every registered person: its estimated cost would make PostgreSQL
    # compile it (JIT), which takes longer than running it.
    db.session.execute(text("SET LOCAL jit = off"))
    rows = db.session.execute(_CANDIDATES, {
        "territory_ids": [str(t) for t in area.territory_ids], "outside": area.outside,
        "lapsed_before": clock.now() - LAPSE_AFTER, "max_radius": _reach(),
        "candidates": NEAREST_CANDIDATES}).all()
    cap = setting("CAMPAIGN_MAX_CHECKS_PER_RELAY")
    load = Counter(load or {})
    result = Plan()
    chosen = {}
    free = [row for row in rows if not row.busy]
    result.in_other_campaign = len(rows) - len(free)
    for row in free:  # own relays first
        if row.own_relay is not None and load[row.own_relay] < cap:
            load[row.own_relay] += 1
            chosen[row.id] = (row.own_relay, "own_relay")
    for row in free:
        if row.id in chosen:
            continue
        relay = next((r for r in row.nearest if load[r] < cap), None)
        if relay is not None:
            load[relay] += 1
        chosen[row.id] = (relay, "nearest_relay" if relay else "unassigned")
    result.rows = [(row.id, *chosen[row.id], row.territory_id) for row in free]
    return result


def _coordinator(user):
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("Seuls les coordinateurs lancent une veille.")


def _read_launch(user, payload, *, need_id=True):
    fields = whole_record(payload)
    client_id = fields.uuid("id", required=need_id, missing_message=(
        "Le champ id (identifiant UUID choisi par le client) est obligatoire."))
    kind = fields.choice("kind", CAMPAIGN_KINDS, label="Le type de veille", required=True)
    title = fields.text("title", label="Le titre", max_length=200, required=True)
    deadline = fields.datetime("deadline", label="L'échéance", required=True)
    if deadline is not None and deadline <= clock.now():
        fields.fail("deadline", "L'échéance doit être dans le futur.")
    territory_ids = fields.uuids("territory_ids", label="Les territoires")
    fields.done()
    area = area_for(user, territory_ids, fields)
    fields.done()
    data = {"kind": kind, "title": title, "deadline": deadline.isoformat(),
            "territory_ids": [str(t) for t in area.territory_ids], "outside": area.outside}
    return client_id, data, area, deadline


@use_case
def preview(user, payload):
    """What a launch would do now: counts only (people, own relay, nearest, unassigned)."""
    _coordinator(user)
    area = _read_launch(user, payload, need_id=False)[2]
    return plan(area).counts()


@dataclass
class Launched:
    campaign: Campaign
    created: bool
    counts: dict


@use_case
def launch(user, payload):
    """Create the campaign and every check at once; the same client id again → the same."""
    _coordinator(user)
    client_id, data, area, deadline = _read_launch(user, payload)
    digest = payload_digest(data)
    # One launch at a time: two campaigns never both take the same person.
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(LAUNCH_LOCK))))
    existing = db.session.get(Campaign, client_id, populate_existing=True)
    if existing is not None:
        if existing.created_by_id != user.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        return Launched(existing, False, launch_counts(existing))
    planned = plan(area)
    now = clock.now()
    campaign = Campaign(id=client_id, kind=data["kind"], title=data["title"],
                        deadline=deadline, status="open",
                        territory_ids=list(area.territory_ids), outside=area.outside,
                        created_by_id=user.id, payload_digest=digest, created_at=now)
    db.session.add(campaign)
    db.session.flush()
    _insert_checks(campaign, planned, now)
    return Launched(campaign, True, planned.counts())


_INSERT_CHECKS = text("""
INSERT INTO campaign_checks (id, campaign_id, resident_id, relay_id, territory_id, status,
                             attempts, created_at, updated_at)
SELECT gen_random_uuid(), :campaign_id, c.resident_id, c.relay_id, c.territory_id, 'pending',
       0, :now, :now
FROM unnest(CAST(:residents AS uuid[]), CAST(:relays AS uuid[]),
            CAST(:territories AS uuid[])) AS c(resident_id, relay_id, territory_id)
""")


def _insert_checks(campaign, planned, now):
    """Every check in one statement (three arrays, not one parameter set per person)."""
    if planned.rows:
        residents, relays, _, territories = zip(*planned.rows, strict=True)
        db.session.execute(_INSERT_CHECKS, {
            "campaign_id": campaign.id, "now": now, "residents": list(residents),
            "relays": list(relays), "territories": list(territories)})


@use_case
def add_registered(user, campaign_id):
    """Add to an open campaign the people registered since its launch (same rules)."""
    _coordinator(user)
    campaign = get_campaign(user, campaign_id, lock=True)
    if campaign.status != "open":
        raise Conflict("Cette veille est close : lancez-en une nouvelle.")
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(LAUNCH_LOCK))))
    load = dict(db.session.execute(
        select(CampaignCheck.relay_id, func.count()).where(
            CampaignCheck.campaign_id == campaign.id, CampaignCheck.relay_id.is_not(None))
        .group_by(CampaignCheck.relay_id)).all())
    planned = plan(Area(tuple(campaign.territory_ids), campaign.outside), load)
    _insert_checks(campaign, planned, clock.now())
    return planned.counts()


def launch_counts(campaign):
    """The launch's answer for a campaign already created: its checks, those unassigned."""
    total, unassigned = db.session.execute(
        select(func.count(), func.count().filter(CampaignCheck.relay_id.is_(None)))
        .where(CampaignCheck.campaign_id == campaign.id)).one()
    return {"people": total, "unassigned": unassigned}
