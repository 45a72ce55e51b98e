"""Read-only lists of referrals for the pages of relays, coordinators and social workers.

- relays: `relay_referrals` ("Mes personnes"), `reported_by` (status only);
- coordinators: `coordinator_inbox`, `stale_referrals` (with `stale_thresholds`, also
  counted by the daily digest), `open_referrals` (the map);
- social workers: `structure_referrals`, `relay_contact`;
- one referral: `timeline` (its events with names and labels resolved), `last_return`
  (`last_returns` and `returns_to_reorient` for a list), `can_see`, `reason_label`, `category_name`.

Everything is built on `scope` (scoping in the query, field-level privacy); nothing is
written here and nothing is committed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, true, tuple_, union_all
from sqlalchemy.orm import selectinload

from ... import clock
from ...config import setting
from ...extensions import db
from ...models import (
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    STATUSES,
    Referral,
    ReferralEvent,
    Relay,
    Resource,
    Structure,
    User,
)
from ..codes import category_label
from ..paging import PAGE_SIZE, Page, PageKey, keyset_page, without_jit
from .scope import SYSTEM_ACTOR, event_note, scoped_referrals, sees_referral, visible_events
from .table import (
    CONTACT_REASON,
    CORRECTION_REASON,
    OPPOSITION_REASON,
    RELAY_ENDED_REASON,
    SEND_BACK_REASONS,
    STRUCTURE_LINK,
    is_correction,
)

# --- relays -------------------------------------------------------------------------------

def relay_referrals(user, *, include_closed=False):
    """Return the referrals assigned to this relay ("Mes personnes"), oldest move first."""
    relay = user.relay
    if relay is None:
        return []
    statement = scoped_referrals(user).where(Referral.relay_id == relay.id)
    if not include_closed:
        statement = statement.where(Referral.status != "closed")
    return db.session.scalars(statement.order_by(Referral.status_changed_at, Referral.id)).all()


def reported_by(user):
    """Return the referrals `user` reported that are not assigned to them (status only)."""
    statement = scoped_referrals(user).where(Referral.reporter_id == user.id)
    relay = user.relay
    if relay is not None:
        statement = statement.where(or_(Referral.relay_id.is_(None),
                                        Referral.relay_id != relay.id))
    return db.session.scalars(statement.order_by(Referral.created_at.desc(), Referral.id)).all()


# --- coordinators -------------------------------------------------------------------------

@dataclass
class InboxItem:
    referral: Referral
    kind: str      # "to_assign" (reported) or "sent_back" (declined / no answer / expired)
    since: datetime


def _page_key(referral):
    return PageKey(referral.status_changed_at, referral.id)


# What the coordinators' lists show of each row, loaded for the whole page at once.
_SHOWN = (selectinload(Referral.resident), selectinload(Referral.reporter),
          selectinload(Referral.relay), selectinload(Referral.resource))


def _coordinator_page(user, arms, after, size):
    """One page of the open referrals in `user`'s scope, oldest move first, with what the
    pages show of them (`_SHOWN`).

    `arms` are {status: condition}: the page holds the referrals of those statuses that
    match their condition. Each status is walked on its own in the order of
    `ix_referrals_status_changed` (status, last move, id), testing the scope row by row until
    the page is full, and the walks are merged: never every referral of the country
    gathered and sorted to show the first 25 of them.
    """
    order = (Referral.status_changed_at, Referral.id)
    scoped = scoped_referrals(user, open_only=True).with_only_columns(*order)
    if after is not None:
        scoped = scoped.where(tuple_(*order) > tuple_(after.at, after.id))
    walks = [scoped.where(Referral.status == status, condition).order_by(*order)
             .limit(size + 1) for status, condition in arms.items()]
    merged = (walks[0] if len(walks) == 1 else union_all(*walks)).subquery()
    without_jit()  # priced as the whole walks, it would be compiled first: slower
    statement = (select(Referral).join(merged, merged.c.id == Referral.id).options(*_SHOWN)
                 .order_by(merged.c.status_changed_at, merged.c.id))
    return keyset_page(statement, (merged.c.status_changed_at, merged.c.id), key=_page_key,
                       size=size)


def coordinator_inbox(user, *, after=None, size=PAGE_SIZE):
    """Return a Page of what waits for a coordinator: referrals to assign, and those sent
    back, oldest move first (`after`: the PageKey where the page starts)."""
    last_from = (select(ReferralEvent.from_status).where(
                     ReferralEvent.referral_id == Referral.id,
                     ReferralEvent.reason.is_distinct_from(CORRECTION_REASON))  # not a move
                 .order_by(ReferralEvent.id.desc()).limit(1).correlate(Referral)
                 .scalar_subquery())
    page = _coordinator_page(user, {"reported": true(), "contacted": last_from == "referred"},
                             after, size)
    return Page([InboxItem(r, "to_assign" if r.status == "reported" else "sent_back",
                           r.status_changed_at)
                 for r in page], page.after)


STALE_LABELS = {
    "unassigned": "Personne ne l'a prise en charge",
    "no_contact": "Pas de contact depuis l'attribution",
    "no_answer": "Pas de réponse de la structure",
}


@dataclass
class StaleReferral:
    referral: Referral
    kind: str          # unassigned, no_contact, no_answer
    since: datetime
    age: timedelta

    @property
    def label(self):
        return STALE_LABELS[self.kind]


def stale_thresholds():
    """Return {status: (kind, timedelta)} from the settings."""
    return {
        "reported": ("unassigned", timedelta(hours=setting("STALE_UNASSIGNED_HOURS"))),
        "assigned": ("no_contact", timedelta(days=setting("STALE_NO_CONTACT_DAYS"))),
        "referred": ("no_answer", timedelta(days=setting("STALE_NO_ANSWER_DAYS"))),
    }


def stale_referrals(user, now=None, *, after=None, size=PAGE_SIZE):
    """Return a Page of the referrals in scope nobody moved for too long, oldest first, with
    their age (`after`: the PageKey where the page starts).

    Unassigned past STALE_UNASSIGNED_HOURS, assigned without contact past
    STALE_NO_CONTACT_DAYS, referred without answer past STALE_NO_ANSWER_DAYS.
    """
    now = now or clock.now()
    thresholds = stale_thresholds()
    arms = {status: Referral.status_changed_at <= now - age
            for status, (_, age) in thresholds.items()}
    page = _coordinator_page(user, arms, after, size)
    return Page([StaleReferral(r, thresholds[r.status][0], r.status_changed_at,
                               now - r.status_changed_at)
                 for r in page], page.after)


def open_referrals(user, *, after=None, size=PAGE_SIZE):
    """Return a Page of the referrals in `user`'s scope that are not closed, oldest move
    first (`after`: the PageKey where the page starts)."""
    return _coordinator_page(user, {status: true() for status in STATUSES
                                    if status != "closed"}, after, size)


# --- social workers -----------------------------------------------------------------------

def structure_referrals(user):
    """Return {status: [referral]} for a social worker by status, latest move first."""
    statement = (scoped_referrals(user)
                 .options(selectinload(Referral.resident), selectinload(Referral.relay),
                          selectinload(Referral.resource))
                 .order_by(Referral.status_changed_at.desc(), Referral.id))
    groups = {"referred": [], "accepted": [], "closed": []}
    for referral in db.session.scalars(statement).all():
        groups.setdefault(referral.status, []).append(referral)
    return groups


@dataclass
class RelayContact:
    """How a professional reaches the relay in charge: their name and their account e-mail."""

    display_name: str
    email: str | None


def relay_contact(referral):
    """Return the relay in charge of the referral (name, account e-mail), or None."""
    relay = referral.relay
    if relay is None:
        return None
    user = relay.user
    email = user.email if user is not None and user.active else None
    return RelayContact(relay.display_name, email)


# --- one referral -------------------------------------------------------------------------

def can_see(user, referral_id):
    """Tell whether `user` still sees the referral (a move may take it out of their scope)."""
    return sees_referral(user, referral_id)


def category_name(code):
    """Return the French label of a need (a data·inclusion thematique code)."""
    return category_label(code)


ROLE_NAMES = {role.value: label for role, label in ROLE_LABELS.items()}
ROLE_NAMES["system"] = "Automatique"
ROLE_NAMES[STRUCTURE_LINK] = "lien reçu par e-mail, sans compte"

REASON_LABELS = {
    **SEND_BACK_REASONS,
    CONTACT_REASON: "Contact réussi noté par le bienveilleur",
    OPPOSITION_REASON: "Opposition de la personne",
    CORRECTION_REASON: "Correction des informations",
    RELAY_ENDED_REASON: "Fin d'engagement du bienveilleur",
}


def reason_label(reason):
    """Return the French label of a known reason code, or the reason as typed."""
    if not reason:
        return None
    return REASON_LABELS.get(reason, reason)


@dataclass
class TimelineRow:
    """One event of a referral as a page shows it (names and labels resolved)."""

    at: datetime
    actor_name: str
    actor_role: str
    from_label: str | None
    to_label: str
    reason: str | None
    note: str | None
    note_professional: bool
    outcome: str | None
    relay_name: str | None
    resource_name: str | None
    correction: bool = False  # a correction of the details (its note names the fields)


def _names(model, column, ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def _timeline_row(user, event, names):
    actors, emails, relays, resources, structures = names
    if event.actor_role == "system":
        actor = SYSTEM_ACTOR.display_name
    elif event.actor_role == STRUCTURE_LINK:  # the structure of the resource it answered for
        actor = structures.get(event.resource_id) or "La structure"
    else:
        actor = actors.get(event.actor_id) or emails.get(event.actor_id) or "Compte supprimé"
    note = event_note(user, event)
    # The relay and resource of an event are shown when they changed with it.
    show_relay = event.to_status == "assigned"
    show_resource = event.to_status == "referred" or (
        event.from_status == "referred" and event.to_status == "contacted")
    return TimelineRow(
        at=event.at, actor_name=actor,
        actor_role=ROLE_NAMES.get(event.actor_role, event.actor_role),
        from_label=STATUS_LABELS.get(event.from_status) if event.from_status else None,
        to_label=STATUS_LABELS[event.to_status],
        reason=reason_label(event.reason), note=note,
        note_professional=bool(note and event.note_professional),
        outcome=OUTCOME_LABELS.get(event.outcome) if event.outcome else None,
        relay_name=relays.get(event.relay_id) if show_relay else None,
        resource_name=resources.get(event.resource_id) if show_resource else None,
        correction=is_correction(event))


def timeline(user, referral):
    """Return the events `user` may see, oldest first, as TimelineRow (notes filtered)."""
    events = visible_events(user, referral)
    names = (_names(User, User.display_name, (e.actor_id for e in events)),
             _names(User, User.email, (e.actor_id for e in events)),
             _names(Relay, Relay.display_name, (e.relay_id for e in events)),
             _names(Resource, Resource.name, (e.resource_id for e in events)),
             _structure_names(e.resource_id for e in events if e.actor_role == STRUCTURE_LINK))
    return [_timeline_row(user, event, names) for event in events]


def _structure_names(resource_ids):
    """{resource id: its structure's name}, for the events a structure's link made."""
    ids = set(resource_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(Resource.id, Structure.name)
                                   .join(Structure, Structure.id == Resource.structure_id)
                                   .where(Resource.id.in_(ids))).all())


@dataclass
class Return:
    """Why a referral came back from a resource: the reason, the note, who sent it back."""

    reason: str | None
    note: str | None
    resource_name: str | None
    reason_code: str | None = None
    structure_name: str | None = None


def last_return(user, referral):
    """Return the last move of a sent-back referral as `user` may read it (or None)."""
    events = [e for e in referral.events if e.reason != CORRECTION_REASON]
    if not events:
        return None
    event = events[-1]
    resource = db.session.get(Resource, event.resource_id) if event.resource_id else None
    structure = resource.structure if resource is not None else None
    return Return(reason=reason_label(event.reason), note=event_note(user, event),
                  resource_name=resource.name if resource is not None else None,
                  reason_code=event.reason,
                  structure_name=structure.name if structure is not None else None)


def returns_to_reorient(user, referrals):
    """{referral id: Return} for those that came back from a resource and wait for another."""
    found = {}
    for referral in referrals:
        if referral.status != "contacted":
            continue
        moves = [e for e in referral.events if e.reason != CORRECTION_REASON]
        if moves and moves[-1].from_status == "referred":
            found[referral.id] = last_return(user, referral)
    return found


def last_returns(user, referrals):
    """`last_return` for a whole list: {referral id: Return}, in two statements."""
    ids = [r.id for r in referrals]
    if not ids:
        return {}
    last = (select(func.max(ReferralEvent.id))
            .where(ReferralEvent.referral_id.in_(ids),
                   ReferralEvent.reason.is_distinct_from(CORRECTION_REASON))
            .group_by(ReferralEvent.referral_id))
    events = db.session.scalars(select(ReferralEvent).where(ReferralEvent.id.in_(last))).all()
    wanted = {e.resource_id for e in events if e.resource_id is not None}
    resources = {r.id: r for r in db.session.scalars(
        select(Resource).where(Resource.id.in_(wanted)))} if wanted else {}
    found = {}
    for event in events:
        resource = resources.get(event.resource_id)
        found[event.referral_id] = Return(
            reason=reason_label(event.reason), note=event_note(user, event),
            resource_name=resource.name if resource is not None else None,
            reason_code=event.reason,
            structure_name=resource.structure.name if resource is not None else None)
    return found
