"""Contacts with the person: logging one (a use case), and who was assigned when.

- `log_contact`: one contact, idempotent on the phone's client id (API.md, POST
  /api/v1/referrals/{id}/contacts); the first reached contact moves an assigned referral
  to contacted, through the table;
- `assignment_periods`, `was_assigned`: who was the assigned relay when, read from the
  events (a phone offline syncs a contact made before a reassignment).
"""


from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ... import clock
from ...errors import Forbidden, IdempotencyMismatch
from ...extensions import db
from ...models import CHANNELS, Contact, Referral, ReferralEvent, Role
from ..fields import whole_record
from ..transaction import use_case
from .intake import payload_digest
from .lifecycle import apply_move
from .scope import actor_capacities, not_found, referral_uuid, refuse_erased, scope_condition
from .table import (
    ACTIVE_STATUSES,
    ASSIGNED_RELAY,
    CONTACT_REASON,
    COORDINATOR,
    NOTE_MAX,
    is_correction,
)


def assignment_periods(referral):
    """Return [(relay_id, start, end or None)]: who was the assigned relay when, from events."""
    periods = []
    current = None
    events = db.session.scalars(select(ReferralEvent)
                                .where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.id)).all()
    for event in events:
        if is_correction(event):
            continue  # a correction of the details moves nothing
        if event.to_status in ("assigned", "reported", "closed"):
            if current is not None:
                periods.append((current[0], current[1], event.at))
                current = None
            if event.to_status == "assigned":
                current = (event.relay_id, event.at)
    if current is not None:
        periods.append((current[0], current[1], None))
    return periods


def was_assigned(referral, relay_id, at):
    """Tell whether `relay_id` was the assigned relay at the moment `at`."""
    return any(rid == relay_id and start <= at and (end is None or at < end)
               for rid, start, end in assignment_periods(referral))


def _read_contact(payload):
    """Return (client id, the normalised contact, its time) from the API body."""
    fields = whole_record(payload)
    contact_id, at = fields.phone_write(of="du contact")
    channel = fields.choice("channel", CHANNELS, label="Le moyen de contact", required=True)
    reached = fields.boolean("reached", required=True)
    note = fields.text("note", label="La note", max_length=NOTE_MAX, multiline=True)
    fields.done()
    return contact_id, {"at": at.isoformat(timespec="microseconds"), "channel": channel,
                        "reached": reached, "note": note}, at


def relay_holds(relay, referral, at):
    """Tell whether `relay` accompanies the person of `referral` at `at` (assigned now and
    still active, or assigned then)."""
    return relay is not None and (
        (referral.relay_id == relay.id and referral.status in ACTIVE_STATUSES)
        or was_assigned(referral, relay.id, at))


def locked_for_writer(actor, referral_id, relay_may, refusal):
    """The referral, locked, for a write by `actor` about its person (a contact, a measure):
    404 to whoever cannot see it, then 410 once the person is erased, then 403 (`refusal`)
    to whoever sees it but may not write. Coordinators write within their scope; a relay
    when `relay_may(referral)`."""
    rid = referral_uuid(referral_id)
    referral = db.session.scalar(select(Referral).where(Referral.id == rid).with_for_update()
                                 .execution_options(populate_existing=True))
    if referral is None:
        not_found()
    in_scope = db.session.scalar(select(exists().where(Referral.id == rid,
                                                       scope_condition(actor))))
    allowed = in_scope if actor.role == Role.COORDINATOR.value else relay_may(referral)
    if not (allowed or in_scope):
        not_found()
    refuse_erased(referral)  # 410 to whoever sees the referral, before any other refusal
    if not allowed:
        raise Forbidden(refusal)
    return referral


def _after_contact(actor, referral, at, reached):
    """What a new contact changes: the person's last contact, and a first reached contact."""
    resident = referral.resident
    if resident.last_contact_at is None or resident.last_contact_at < at:
        resident.last_contact_at = at
    if (reached and referral.status == "assigned"
            and actor_capacities(actor, referral) & {COORDINATOR, ASSIGNED_RELAY}):
        apply_move(actor, referral, "contacted", reason=CONTACT_REASON)


@use_case
def log_contact(actor, referral_id, payload):
    """Log one contact with the person; return (contact, created).

    `payload`: client UUID `id` (required), `at` (ISO 8601 with offset), `channel`
    (visit, phone, meeting, message), `reached` (bool), optional `note`. Allowed to the
    assigned relay and to coordinators in scope, and to a relay who was the assigned relay
    at the moment `at` (offline phones sync late). The same `id` and content again →
    the existing contact (created=False); other content or another author →
    IdempotencyMismatch. The first reached contact moves an assigned referral to contacted.
    """
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls les bienveilleurs et les coordinateurs notent un contact.")
    contact_id, data, at = _read_contact(payload)
    # Erased: 410 only to those who may log a contact about the referral (a late replay of
    # their phone); anyone else gets the 404 of a referral out of scope.
    referral = locked_for_writer(
        actor, referral_id, lambda referral: relay_holds(actor.relay, referral, at),
        "Seuls le bienveilleur attribué et les coordinateurs notent un contact.")
    digest = payload_digest({**data, "referral_id": str(referral.id)})
    inserted = db.session.execute(
        pg_insert(Contact.__table__).values(
            id=contact_id, referral_id=referral.id, author_id=actor.id, at=at,
            channel=data["channel"], reached=data["reached"], note=data["note"],
            payload_digest=digest, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Contact.__table__.c.id)).first()
    if inserted is None:
        existing = db.session.get(Contact, contact_id, populate_existing=True)
        if existing.author_id != actor.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        return existing, False
    db.session.expire(referral, ["contacts"])
    contact = db.session.get(Contact, contact_id)
    _after_contact(actor, referral, at, data["reached"])
    return contact, True
