"""A year of fictitious history over the seven demo neighbourhoods, so that « Pilotage »
tells a story on `make run`: reports, contacts, orientations, closures, the people's own
measures at the first contact and at the call-back a month after the closure.

Called by services.demo.load() last, inside its transaction (never commits). Idempotent:
each person and referral has a fixed id (uuid5) and is skipped when it exists. The rows are
written as the services would have written them, dated in the past, without the e-mails of
the time (nobody is told today about a move of last spring): reports, events and contacts
in bulk, the call-back scheduled by `follow_ups.on_transition` as a closure does.
"""

import random
import uuid
from datetime import timedelta

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import insert, select

from geo.points import stored_point
from geo.privacy import approximate_point

from .. import clock
from ..extensions import db
from ..models import (
    Contact,
    FollowUp,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    Resource,
    Territory,
    User,
    WellbeingMeasure,
)
from .evaluation import follow_ups

NAMESPACE = uuid.UUID("a8b3f1d0-19e7-4c2a-9d61-5e0b7c3f2a19")
DOMAIN = "demo.bienveilleurs.fr"
SEED = 19
MONTHS = 12
NAMES = ("Armelle", "Bernard", "Chantal", "Djamila", "Edmond", "Fatima", "Gisèle", "Hamid",
         "Irène", "Jacques", "Khadija", "Lucien", "Madeleine", "Nordine", "Odile", "Paulette",
         "Raymond", "Simone", "Thérèse", "Yvette")
CATEGORIES = ("remobilisation--lien-social", "sante--acces-aux-soins", "sante--sante-mentale",
              "numerique--acceder-a-des-services-en-ligne", "mobilite--etre-accompagne",
              "logement-hebergement--se-maintenir-dans-le-logement")
EMPTY_DIGEST = bytes(32)


def _relay_for(territory, user_by_code, summary, founded):
    """The neighbourhood's demo relay, with an account (contacts have an author)."""
    code = territory.code.lower().removeprefix("demo-")
    email = f"relais.{code}@{DOMAIN}"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role="relay", display_name=f"Relais {territory.name} (démo)",
                    password_hash=None, active=True)
        db.session.add(user)
        db.session.flush()
        centre = to_shape(territory.area).representative_point()
        db.session.add(Relay(user_id=user.id, display_name=user.display_name,
                             point=stored_point(centre.x, centre.y), radius_m=1500,
                             capacity=40, status="active", languages=["fr"],
                             created_at=founded))
        summary["bienveilleurs"] = summary.get("bienveilleurs", 0) + 1
        db.session.flush()
    user_by_code[territory.code] = user
    return db.session.scalar(select(Relay).where(Relay.user_id == user.id))


def _point_in(shape, rng):
    minx, miny, maxx, maxy = shape.bounds
    while True:
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(point):
            return round(point.x, 6), round(point.y, 6)


class _Story:
    """One referral's rows, dated; written in bulk by `load`."""

    def __init__(self, rows, referral_id, coordination):
        self.rows, self.id, self.coordination = rows, referral_id, coordination
        self.status = "reported"

    def event(self, at, actor, to, **fields):
        self.rows["events"].append({
            "referral_id": self.id, "at": at, "actor_id": actor.id, "actor_role": actor.role,
            "from_status": None if fields.get("first") else self.status, "to_status": to,
            "relay_id": fields.get("relay_id"),
            "resource_id": fields.get("resource_id"), "outcome": fields.get("outcome"),
            "reason": fields.get("reason"), "note_professional": False,
            "report_note_shared": False})
        self.status = to


def _scores(rng, better=0):
    base = [rng.choice((2, 3, 3)) for _ in range(3)]
    for _ in range(better):
        i = rng.randrange(3)
        base[i] = max(1, base[i] - 1)
    return base


def _measure(rows, referral_id, author, at, moment, scores, networks):
    rows["measures"].append({
        "id": uuid.uuid5(NAMESPACE, f"{referral_id}-{moment}"), "referral_id": referral_id,
        "author_id": author.id, "at": at, "moment": moment, "answered": scores is not None,
        "lacks_company": scores[0] if scores else None,
        "left_out": scores[1] if scores else None, "isolated": scores[2] if scores else None,
        "networks": networks if scores else [], "payload_digest": EMPTY_DIGEST,
        "created_at": at})


def _live(rng, story, relay_user, relay, resource, reported_at, now):
    """The moves of one story until now; return (outcome, closed_at, relay_id) at the end."""
    rows = story.rows
    at = reported_at + timedelta(hours=rng.uniform(2, 30))
    if at >= now:
        return None
    story.event(at, story.coordination, "assigned", relay_id=relay.id)
    first = at + timedelta(hours=rng.choice((3, 8, 20, 30, 44, 60, 90)))
    if rng.random() < 0.1:  # never reached
        if first < now:
            rows["contacts"].append(_contact(story.id, relay_user, first, False))
            closed = first + timedelta(days=7)
            if closed < now:
                story.event(closed, story.coordination, "closed", outcome="unreachable")
                return "unreachable", closed
        return None
    if first >= now:
        return None
    rows["contacts"].append(_contact(story.id, relay_user, first, True))
    story.event(first, relay_user, "contacted", reason="contact")
    if rng.random() < 0.8:
        asked = rng.random()
        networks = rng.sample(("family", "neighbours", "professionals"), rng.randint(0, 2))
        _measure(rows, story.id, relay_user, first + timedelta(minutes=20), "baseline",
                 _scores(rng) if asked < 0.85 else None, networks)
    at = first + timedelta(days=rng.uniform(2, 9))
    if rng.random() < 0.65 and at < now:
        story.event(at, relay_user, "referred", resource_id=resource.id)
        at += timedelta(days=rng.uniform(1, 6))
        if at >= now:
            return None
        story.event(at, story.coordination, "accepted")
        outcome = rng.choice(("helped", "helped", "helped", "redirected", "not_helped"))
    else:
        outcome = rng.choice(("helped", "no_longer_needed", "declined_help"))
    at += timedelta(days=rng.uniform(5, 30))
    if at >= now:
        return None
    story.event(at, story.coordination, "closed", outcome=outcome)
    return outcome, at


def _contact(referral_id, author, at, reached):
    return {"id": uuid.uuid5(NAMESPACE, f"{referral_id}-{at.isoformat()}"),
            "referral_id": referral_id, "author_id": author.id, "at": at, "channel": "phone",
            "reached": reached, "note": None, "payload_digest": EMPTY_DIGEST, "created_at": at}


def _follow_up(rng, rows, referral, relay_user, now):
    """The call-back a closure scheduled: made (or not) when its day has come."""
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.referral_id == referral.id))
    if follow_up is None:
        return
    due = follow_up.closed_at + timedelta(days=30)
    done = due + timedelta(days=rng.uniform(-2, 12))
    if done >= now or rng.random() < 0.2:
        return
    baseline = next((m for m in rows["measures"] if m["referral_id"] == referral.id), None)
    answered = rng.random() < 0.85
    better = rng.choice((0, 1, 1, 2, 3)) if baseline and baseline["answered"] else 0
    scores = _scores(rng, better) if answered else None
    if scores and baseline and baseline["answered"]:
        scores = [min(s, b) if better else s for s, b in
                  zip(scores, (baseline["lacks_company"], baseline["left_out"],
                               baseline["isolated"]), strict=True)]
    networks = sorted(set((baseline or {}).get("networks", [])) |
                      set(rng.sample(("friends", "associations", "neighbours"), better)))
    _measure(rows, referral.id, relay_user, done, "follow_up", scores, networks)
    db.session.execute(insert(WellbeingMeasure), rows["measures"][-1:])
    follow_up.done_at = done
    follow_up.measure_id = rows["measures"][-1]["id"]


def load(users, summary):
    """Add the missing year of history; count the referrals in `summary["historique"]`."""
    coordination = users[f"coordination@{DOMAIN}"]
    territories = db.session.scalars(select(Territory).where(Territory.code.like("DEMO-%"))
                                     .order_by(Territory.code)).all()
    resource = db.session.scalar(select(Resource).where(Resource.active.is_(True))
                                 .order_by(Resource.name, Resource.id).limit(1))
    if not territories or resource is None:
        return 0
    now = clock.now()
    start = now - timedelta(days=30 * MONTHS)
    created = 0
    for rank, territory in enumerate(territories):
        shape = to_shape(territory.area)
        relay = _relay_for(territory, {}, summary, start + timedelta(days=25 * rank))
        relay_user = db.session.get(User, relay.user_id)
        for month in range(MONTHS):
            # Reports grow as the network becomes known (and differ by neighbourhood). Each
            # draw has its own seed: a second load finds the same stories, and skips them.
            count = random.Random(f"{SEED}-{territory.code}-{month}").randint(1, 3)
            for n in range(count + month * (rank % 3 + 1) // 4):
                referral_id = uuid.uuid5(NAMESPACE, f"{territory.code}-{month}-{n}")
                rng = random.Random(f"{SEED}-{referral_id}")
                reported_at = start + timedelta(days=30 * month + rng.uniform(0, 29.5))
                if reported_at >= now or db.session.get(Referral, referral_id) is not None:
                    continue
                created += _one(rng, referral_id, territory, reported_at, shape, coordination,
                                relay, relay_user, resource, now)
    summary["historique"] = created
    return created


def _one(rng, referral_id, territory, reported_at, shape, coordination, relay, relay_user,
         resource, now):
    lon, lat = _point_in(shape, rng)
    approx_lon, approx_lat = approximate_point(lon, lat)
    newcomer = rng.random() < 0.2
    resident = Resident(id=uuid.uuid5(NAMESPACE, f"person-{referral_id}"),
                        first_name=rng.choice(NAMES), point=stored_point(lon, lat),
                        approx_point=stored_point(approx_lon, approx_lat), languages=["fr"],
                        audiences=[], newcomer=newcomer, consent_at=reported_at,
                        consent_by_id=coordination.id, reported_by_id=coordination.id,
                        last_contact_at=reported_at, created_at=reported_at)
    db.session.add(resident)
    db.session.flush()
    rows = {"events": [], "contacts": [], "measures": []}
    story = _Story(rows, referral_id, coordination)
    story.event(reported_at, coordination, "reported", first=True)
    ended = _live(rng, story, relay_user, relay, resource, reported_at, now)
    closed = story.status == "closed"
    last = rows["events"][-1]
    db.session.execute(insert(Referral).values(
        id=referral_id, resident_id=resident.id, category=rng.choice(CATEGORIES),
        status=story.status, outcome=last["outcome"] if closed else None,
        relay_id=relay.id if story.status != "reported" else None,
        resource_id=resource.id if story.status in ("referred", "accepted") else None,
        reporter_id=coordination.id, reported_name=resident.first_name,
        territory_id=territory.id, reported_at=reported_at, reported_newcomer=newcomer,
        version=len(rows["events"]), status_changed_at=last["at"], created_at=reported_at,
        updated_at=last["at"]))
    if story.status not in ("reported", "closed"):
        relay.active_referrals += 1
    for table, model in (("events", ReferralEvent), ("contacts", Contact)):
        if rows[table]:
            db.session.execute(insert(model), rows[table])
    if rows["measures"] and rows["measures"][0]["moment"] == "baseline":
        db.session.execute(insert(WellbeingMeasure), rows["measures"][:1])
    if closed and ended is not None:
        referral = db.session.get(Referral, referral_id)
        event = db.session.scalar(select(ReferralEvent).where(
            ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.id.desc()).limit(1))
        follow_ups.on_transition(referral, event)
        db.session.flush()
        _follow_up(rng, rows, referral, relay_user, now)
        db.session.flush()
    return 1
