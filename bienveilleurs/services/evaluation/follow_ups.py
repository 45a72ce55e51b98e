"""The follow-up call after a closure (API.md, "Follow-up and the person's own measure").

- `on_transition`: called for every referral event (`referrals.events`): a closure with
  outcome helped, redirected or not_helped schedules the call-back, due FOLLOW_UP_DAYS
  later, held by the relay who held the referral (the coordinators when there was none or
  they left); a reopening withdraws a call-back not yet made;
- `relay_follow_ups`: a relay's due and upcoming call-backs; `late_follow_ups`: those not
  made 14 days after their due day, for the coordinators' « En attente »;
- `hand_back`: a relay who leaves hands their call-backs to the coordinators.
Nothing here commits: these are steps of a caller's use case, or reads.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from ... import clock
from ...config import setting
from ...extensions import db
from ...models import FollowUp, Referral, Relay
from ..access_log import record_accesses
from ..transaction import use_case

FOLLOW_UP_OUTCOMES = ("helped", "redirected", "not_helped")
LATE_AFTER = timedelta(days=14)
LATE_SHOWN = 50  # the oldest late call-backs shown on « En attente »
# A relay sees a call-back in « À rappeler » this many days before it is due.
UPCOMING = timedelta(days=7)


def city_day(moment):
    return clock.local(moment).date()


def on_transition(referral, event):
    """Schedule or withdraw the call-back as the referral closes or reopens."""
    if event.to_status == "closed" and event.outcome in FOLLOW_UP_OUTCOMES:
        _schedule(referral, event)
    elif event.from_status == "closed" and event.to_status != "closed":
        db.session.execute(delete(FollowUp).where(FollowUp.referral_id == referral.id,
                                                  FollowUp.done_at.is_(None)))


def _holder(referral):
    if referral.relay_id is None:
        return None
    relay = db.session.get(Relay, referral.relay_id)
    return relay.id if relay is not None and relay.status != "ended" else None


def _schedule(referral, event):
    due = city_day(event.at) + timedelta(days=setting("FOLLOW_UP_DAYS"))
    existing = db.session.scalar(select(FollowUp).where(FollowUp.referral_id == referral.id))
    if existing is not None:
        if existing.done_at is None:  # closed again after a reopening: the new date
            existing.closed_at, existing.due_on = event.at, due
            existing.relay_id = _holder(referral)
        return
    db.session.add(FollowUp(referral_id=referral.id, relay_id=_holder(referral),
                            closed_at=event.at, due_on=due))


def hand_back(relay):
    """A relay who leaves: the call-backs they had not made go to the coordinators."""
    db.session.execute(update(FollowUp).where(FollowUp.relay_id == relay.id,
                                              FollowUp.done_at.is_(None))
                       .values(relay_id=None).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class FollowUpItem:
    referral: Referral
    due: date
    late: bool


def relay_follow_ups(relay, *, today=None):
    """The relay's call-backs not made yet whose due day is within a week, soonest first."""
    today = today or city_day(clock.now())
    rows = db.session.execute(
        select(FollowUp, Referral).join(Referral, Referral.id == FollowUp.referral_id)
        .where(FollowUp.relay_id == relay.id, FollowUp.done_at.is_(None),
               FollowUp.due_on <= today + UPCOMING)
        .order_by(FollowUp.due_on, FollowUp.referral_id)).all()
    return [FollowUpItem(referral, f.due_on, f.due_on < today) for f, referral in rows
            if referral.resident is not None and referral.resident.erased_at is None]


def late_condition(today):
    """Condition on FollowUp: not made 14 days after its due day, or held by nobody and due."""
    held_by_nobody = FollowUp.relay_id.is_(None) & (FollowUp.due_on <= today)
    return FollowUp.done_at.is_(None) & ((FollowUp.due_on <= today - LATE_AFTER)
                                         | held_by_nobody)


def late_follow_ups(referrals_in_scope, *, today=None, limit=LATE_SHOWN):
    """(follow-up, referral) pairs late for the coordinators, among `referrals_in_scope`
    (a select of Referral already cut to the coordinator's scope): the `limit` oldest, with
    the person and the relay shown loaded in the same statement."""
    today = today or city_day(clock.now())
    scoped = referrals_in_scope.subquery()
    return db.session.execute(
        select(FollowUp, Referral).join(Referral, Referral.id == FollowUp.referral_id)
        .where(Referral.id.in_(select(scoped.c.id)), late_condition(today))
        .options(joinedload(FollowUp.relay), joinedload(Referral.resident))
        .order_by(FollowUp.due_on, FollowUp.id).limit(limit)).all()


@use_case(reads=True)
def read_relay_follow_ups(user):
    """The relay's « À rappeler » (`relay_follow_ups`), each person shown access-logged."""
    items = relay_follow_ups(user.relay) if user.relay is not None else []
    record_accesses(user, "referral.follow_ups", "referral", [i.referral.id for i in items])
    return items


@use_case(reads=True)
def read_late_follow_ups(user, referrals_in_scope):
    """The coordinators' late call-backs (`late_follow_ups`), access-logged."""
    rows = late_follow_ups(referrals_in_scope)
    record_accesses(user, "referral.follow_ups", "referral", [r.id for _, r in rows])
    return rows
