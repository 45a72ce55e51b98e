"""Calls, assignment, escalation and closing: every change of a check goes through here.

`CALL_MOVES` is the table of a check's statuses; `call_change` applies it (what a call does
to a check) and `escalate` is the deadline's move; they are the one place where
coordinators are told (`needs_help` and `escalated`, at most once each per check: a stamp on
the check under its row lock, and the notification's dedup key).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.attributes import set_committed_value

from geo.points import lon_lat

from ... import clock
from ...config import setting
from ...errors import DomainError, Forbidden, IdempotencyMismatch, ResidentErased, ValidationFailed
from ...extensions import db
from ...models import (
    CALL_CHANNELS,
    CALL_OUTCOMES,
    CAMPAIGN_KIND_LABELS,
    Campaign,
    CampaignCall,
    CampaignCheck,
    Relay,
    Role,
)
from ..fields import whole_record
from ..jobs import scheduled
from ..referrals.intake import payload_digest
from ..transaction import use_case
from .scope import get_campaign, get_check

NOTE_MAX = 2000
SETTLED = ("ok", "needs_help")
# (current status, outcome) -> next status; "not_reached" may become "escalated" (below).
CALL_MOVES = {
    **{(status, "ok"): "ok" for status in
       ("pending", "ok", "needs_help", "not_reached", "escalated")},
    **{(status, "needs_help"): "needs_help" for status in
       ("pending", "ok", "needs_help", "not_reached", "escalated")},
    ("pending", "not_reached"): "not_reached",
    ("not_reached", "not_reached"): "not_reached",
    ("escalated", "not_reached"): "escalated",
    ("ok", "not_reached"): "ok",                  # reached already: a miss changes nothing
    ("needs_help", "not_reached"): "needs_help",
}


def _read_call(payload):
    fields = whole_record(payload)
    call_id, at = fields.phone_write(of="de l'appel")
    channel = fields.choice("channel", CALL_CHANNELS, label="Le moyen", required=True)
    outcome = fields.choice("outcome", CALL_OUTCOMES, label="Le résultat", required=True)
    note = fields.text("note", label="La note", max_length=NOTE_MAX, multiline=True)
    fields.done()
    return call_id, {"at": at.isoformat(timespec="microseconds"), "channel": channel,
                     "outcome": outcome, "note": note}, at


def _notify(check, kind):
    """Tell the coordinators of the person's point; never the person's name or place."""
    from ..notifications.outbox import enqueue, link_path
    from ..territories import coordinators_for_point
    campaign = check.campaign
    point = lon_lat(check.resident.point) if check.resident is not None else None
    path = link_path(("campaigns.board", {"campaign_id": campaign.id}))
    context = {"campaign_title": campaign.title,
               "campaign_kind": CAMPAIGN_KIND_LABELS[campaign.kind]}
    for user in coordinators_for_point(*(point or (None, None))):
        enqueue(kind, dedup_key=f"{kind}:{check.id}:{user.id}", context=context, user=user,
                path=path + f"#check-{check.id}")


def call_change(check, outcome, at, *, now):
    """What one call does to a locked check: its new values ({column: value}) and the
    coordinators' notices it sends (`needs_help`, `escalated`: at most once each per check,
    stamped in those values). Nothing is changed here: `record_call` writes the values with
    the call, in the same statement."""
    attempts, last = check.attempts + 1, check.last_call_at
    following = CALL_MOVES[(check.status, outcome)]
    if last is not None and at < last and check.status in SETTLED and outcome != "needs_help":
        following = check.status  # an older call synced late never undoes a newer answer
    if (following == "not_reached" and check.campaign.status == "open"
            and attempts >= setting("CAMPAIGN_MAX_ATTEMPTS")):
        following = "escalated"
    change = {"status": following, "attempts": attempts,
              "last_call_at": at if last is None or at > last else last}
    notices = []
    if following == "needs_help" and check.help_notified_at is None:
        change["help_notified_at"] = now
        notices.append("campaign_needs_help")
    if following == "escalated" and check.escalated_at is None:
        change["escalated_at"] = now
        notices.append("campaign_escalated")
    return change, notices


def escalate(check, now):
    """Mark a locked check escalated and tell the coordinators, once."""
    check.status = "escalated"
    if check.escalated_at is None:
        check.escalated_at = now
        _notify(check, "campaign_escalated")


def _allowed(actor):
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls le bienveilleur de l'appel et la coordination le notent.")


@dataclass(frozen=True)
class Recorded:
    """A call as recorded, with its check's state then (read before the commit, so the
    answer needs no query after it)."""

    call_id: object
    at: datetime
    channel: str
    outcome: str
    check_id: object
    status: str
    attempts: int
    created: bool


# What a call changes on its check (`call_change` gives a part of them, `updated_at` always).
CHANGED = ("status", "attempts", "last_call_at", "help_notified_at", "escalated_at",
           "updated_at")


def _record_statement():
    """The call inserted unless its id is known, and its check's new values applied, in one
    statement returning the check's id (nothing when the call was known). Built once."""
    calls, checks = CampaignCall.__table__, CampaignCheck.__table__
    new_call = (pg_insert(calls).values({c.name: bindparam(f"call_{c.name}") for c in calls.c})
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(calls.c.check_id).cte("new_call"))
    return (update(checks).where(checks.c.id == new_call.c.check_id)
            .values({name: bindparam(f"check_{name}") for name in CHANGED})
            .returning(checks.c.id))


_RECORD = _record_statement()


def _insert_and_apply(call, check, change, now):
    """Insert the call unless its id is known, and apply `change` to its check, in one
    statement; True when the call was new (else nothing was written)."""
    values = {name: getattr(check, name) for name in CHANGED} | change | {"updated_at": now}
    parameters = {f"call_{name}": value for name, value in call.items()}
    parameters.update({f"check_{name}": value for name, value in values.items()})
    if db.session.execute(_RECORD, parameters).first() is None:
        return False
    for name, value in values.items():
        set_committed_value(check, name, value)  # what the row now holds: no reload
    return True


@use_case
def record_call(actor, campaign_id, check_id, payload):
    """Record one call of a check (a `Recorded`). Idempotent on the client id.

    Three statements when the call is new: the check locked (with its person, its
    campaign and the scope), the call inserted with the check's new state, the commit
    (and the coordinators' notices, when the call sends some)."""
    _allowed(actor)
    try:  # read before the lock, which is then held for less; said after a 404
        call_id, data, at = _read_call(payload)
    except DomainError as problem:
        refused = problem
    else:
        refused = None
    check = get_check(actor, campaign_id, check_id, lock=True, with_campaign=True)
    if refused is not None:
        raise refused
    if check.resident.erased_at is not None:
        raise ResidentErased()
    digest = payload_digest({**data, "check_id": str(check.id)})
    now = clock.now()
    change, notices = call_change(check, data["outcome"], at, now=now)
    call = {"id": call_id, "check_id": check.id, "author_id": actor.id, "at": at,
            "channel": data["channel"], "outcome": data["outcome"], "note": data["note"],
            "payload_digest": digest, "created_at": now}
    if not _insert_and_apply(call, check, change, now):
        existing = db.session.get(CampaignCall, call_id, populate_existing=True)
        if existing.author_id != actor.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        return Recorded(existing.id, existing.at, existing.channel, existing.outcome,
                        check.id, check.status, check.attempts, False)
    for kind in notices:
        _notify(check, kind)
    return Recorded(call_id, at, data["channel"], data["outcome"], check.id, check.status,
                    check.attempts, True)


@use_case
def assign(actor, campaign_id, check_id, payload):
    """Give a check to a relay (or take it back: relay_id null). Coordinators only."""
    if actor.role != Role.COORDINATOR.value:
        raise Forbidden("Seule la coordination attribue les appels d'une veille.")
    fields = whole_record(payload)
    relay_id = fields.uuid("relay_id", label="Le bienveilleur")
    fields.done()
    check = get_check(actor, campaign_id, check_id, lock=True)
    if relay_id is not None:
        relay = db.session.get(Relay, relay_id)
        if relay is None or relay.status != "active" or relay.user_id is None:
            raise ValidationFailed.field("relay_id", "Bienveilleur inconnu ou inactif.")
    check.relay_id = relay_id
    return check


@use_case
def close(actor, campaign_id):
    """Close the campaign: late calls are still accepted, nothing more is escalated."""
    if actor.role != Role.COORDINATOR.value:
        raise Forbidden("Seule la coordination clôt une veille.")
    campaign = get_campaign(actor, campaign_id, lock=True)
    if campaign.status == "open":
        campaign.status, campaign.closed_at = "closed", clock.now()
    return campaign


BATCH = 200


@use_case
def _escalate_batch(now):
    checks = db.session.scalars(
        select(CampaignCheck).join(Campaign, Campaign.id == CampaignCheck.campaign_id)
        .where(Campaign.status == "open", Campaign.deadline <= now,
               CampaignCheck.status.in_(("pending", "not_reached")))
        .order_by(CampaignCheck.id).limit(BATCH)
        .with_for_update(of=CampaignCheck, skip_locked=True)).all()
    for check in checks:
        escalate(check, now)
    return len(checks)


@scheduled("campaigns.deadlines", every=timedelta(minutes=1),
           label="Veilles : personnes non jointes à l'échéance signalées à la coordination")
def escalate_at_deadline():
    """Escalate every check still unreached when its open campaign's deadline has passed."""
    now, total = clock.now(), 0
    while True:
        done = _escalate_batch(now)
        total += done
        if done < BATCH:
            return {"escalated": total}
