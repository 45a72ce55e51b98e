"""A structure without an account answers a referral from its e-mail: its one-time link.

When a referral moves to "referred" to a resource whose structure has no member account but
a contact address, the notification of that move calls `issue`, in the move's transaction:
a link row and the e-mail that carries it. The secret (`security.new_token`, 256 random bits)
exists in clear only in that e-mail (and in the outbox row until it is delivered, see
notifications.SECRET_LINK_KINDS); the row keeps its SHA-256 digest, bound to the referral,
the structure and the move to "referred" it answers. The link works while that move is the
referral's last one to "referred", the referral is referred or accepted at that structure,
and for at most STRUCTURE_LINK_DAYS; sending it again replaces it.

- `open_link`: the secret from the e-mail → the row id the page then holds (never the secret);
- `read`: what the page shows, as the structure's social workers would see it; each opening
  is access-logged (« lien structure ») and counted against the link's throttle;
- `act`: accept, decline (the structure's own reasons), close — `transition`, with the link
  as the actor (`LinkActor`, capacity `table.STRUCTURE_LINK`), so the one lifecycle table and
  the one event writer decide and record; a replayed action writes nothing;
- the coordinator's view and buttons are in `link_coordination` (`link_summary`, `resend`,
  `disable`), with `issue`, `open_links`, `end_link`, `last_referring` and
  `refused_for_state` from here.

A refused link says why in plain French (`LinkRefused`, a 404 that carries the coordinators
to contact). Nothing here commits but the use cases.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ... import clock
from ...config import setting
from ...errors import NotFound, ResidentErased, Throttled, ValidationFailed
from ...extensions import db
from ...models import (
    Notification,
    Referral,
    ReferralEvent,
    Resource,
    Structure,
    StructureLink,
)
from ...security import new_token, token_digest
from .. import notifications
from ..access_log import record_access
from ..accounts import check_throttle, record_failure
from ..fields import parse_uuid
from ..transaction import use_case
from .lifecycle import transition
from .scope import sees_referral
from .table import STRUCTURE_LINK, STRUCTURE_SEND_BACK_REASONS

# Requests one link may make before delays start (doubling, at most LINK_MAX_DELAY_S), per
# hour: the page, its reloads and a few answers fit in; a leaked link cannot be hammered.
LINK_FREE_REQUESTS = 30
LINK_MAX_DELAY_S = 900
# Unknown secrets tried from one address before delays start (×4: addresses are shared).
UNKNOWN_FREE_TRIES = 5
SECRET_PREFIX = "bvl_"
# What a move through the link is recorded as on the link.
ACTIONS = {"accepted": "accepted", "contacted": "declined", "closed": "closed"}

UNKNOWN = ("Ce lien n'est pas valable. Vérifiez qu'il a été copié en entier depuis l'e-mail, "
           "ou ouvrez le lien du dernier e-mail reçu.")
NOT_THIS_REFERRAL = "Cette orientation n'est pas celle de votre lien."
EXPIRED = "Ce lien a expiré le {date}."
REPLACED = ("Ce lien a été remplacé le {date} par un lien plus récent : ouvrez celui du dernier "
            "e-mail reçu.")
DISABLED = "La coordination a désactivé ce lien le {date}."
ERASED = ("Les données de cette personne ont été effacées : ce lien ne sert plus, et il n'y a "
          "rien à faire de votre côté.")
DECLINED = ("Vous avez refusé cette orientation le {date}. La coordination cherche une autre "
            "ressource pour la personne ; ce lien ne sert plus.")
CLOSED_BY_YOU = "Vous avez clôturé cette orientation le {date} : ce lien ne sert plus."
CLOSED = "Cette orientation a été clôturée le {date} : ce lien ne sert plus."
TAKEN_BACK = ("Cette orientation a été reprise par la coordination le {date} : elle n'attend "
              "plus de réponse de votre structure, et ce lien ne sert plus.")


class LinkRefused(NotFound):
    """A link that cannot (or can no longer) open its referral: why, and whom to contact.

    `served`: the structure itself ended the link's work (it declined, or closed): the page
    says so as a result, not as an error.
    """

    def __init__(self, message, *, contacts=(), served=False):
        super().__init__(message)
        self.contacts = list(contacts)
        self.served = served


class LinkActor:
    """A structure's link acting on its one referral: no account, a social worker's rights.

    The scope (`scope.scope_condition`), what it reads (`visibility` "structure") and the
    moves it may make (`actor_capacities`) are decided where they are for everyone.
    """

    id = None
    role = STRUCTURE_LINK
    relay = None
    territories = ()

    def __init__(self, link, structure):
        self.link_id = link.id
        self.referral_id = link.referral_id
        self.structures = (structure,)
        self.display_name = self.name = structure.name

    def __repr__(self):
        return f"LinkActor({self.link_id})"


@dataclass(frozen=True)
class Contact:
    """A coordinator to write to: their name and their account's address."""

    name: str
    email: str


def _date(moment):
    return clock.local(moment).strftime("%d/%m/%Y à %H:%M")


def last_referring(referral_id):
    """The id of the referral's last move to "referred" (the one a link may answer)."""
    return db.session.scalar(
        select(ReferralEvent.id).where(ReferralEvent.referral_id == referral_id,
                                       ReferralEvent.to_status == "referred",
                                       ReferralEvent.from_status != "referred")
        .order_by(ReferralEvent.id.desc()).limit(1))


def open_links(referral_id):
    return db.session.scalars(
        select(StructureLink).where(StructureLink.referral_id == referral_id,
                                    StructureLink.ended_at.is_(None))
        .with_for_update()).all()


def end_link(link, reason, *, at, actor=None):
    """End a link before its time (replaced, disabled) and withdraw its e-mail if unsent."""
    link.ended_at, link.end_reason = at, reason
    link.ended_by_id = getattr(actor, "id", None)
    if link.notification_id is not None:
        notifications.withdraw(link.notification_id)


# --- issuing --------------------------------------------------------------------------------

def issue(referral, structure, *, event_id, actor=None, replace=False):
    """Store a link for `referral` at `structure` and enqueue its e-mail; return the row.

    A step of the caller's transaction (the move to "referred", or a coordinator's resend):
    never commits. `event_id` is the move to "referred" the link answers; a link already
    open for it is kept (None is returned: the move was already told), unless `replace`.
    Every other open link of the referral to this structure is ended as replaced (those of
    another structure end by themselves: the referral left it). Sent to the structure's
    contact address only.
    """
    now = clock.now()
    current = [link for link in open_links(referral.id) if link.structure_id == structure.id]
    if not replace and any(link.referred_event_id == event_id for link in current):
        return None
    for link in current:
        end_link(link, "replaced", at=now, actor=actor)
    secret, digest = new_token(prefix=SECRET_PREFIX)
    link = StructureLink(referral_id=referral.id, structure_id=structure.id,
                         referred_event_id=event_id, digest=digest,
                         email=structure.contact_email.strip().lower(), created_at=now,
                         expires_at=now + timedelta(days=setting("STRUCTURE_LINK_DAYS")),
                         created_by_id=getattr(actor, "id", None), openings=0)
    db.session.add(link)
    db.session.flush()
    path = notifications.link_path(("structure_link.open", {"token": secret}),
                                   default=f"/lien-structure/{secret}")
    notifications.structure_link(referral, structure, path=path, expires_at=link.expires_at,
                                 dedup_key=f"structure_link:{link.id}", resent=replace)
    link.notification_id = db.session.scalar(
        select(Notification.id).where(Notification.dedup_key == f"structure_link:{link.id}"))
    return link


# --- the link's own pages -------------------------------------------------------------------

def _contacts(referral):
    """The coordinators a structure writes to about this referral (never nobody)."""
    return [Contact(user.display_name or user.email, user.email)
            for user in notifications.coordinators_for_referral(referral)]


def refused_for_state(link, referral):
    """Why a link no longer opens its referral, from the referral's state: (sentence, served
    by the structure itself), or None while the referral still waits for the structure."""
    if referral.status == "closed":
        if link.last_action == "closed":
            return CLOSED_BY_YOU.format(date=_date(link.used_at)), True
        return CLOSED.format(date=_date(referral.status_changed_at)), False
    resource = db.session.get(Resource, referral.resource_id) if referral.resource_id else None
    if (referral.status not in ("referred", "accepted") or resource is None
            or resource.structure_id != link.structure_id
            or last_referring(referral.id) != link.referred_event_id):
        if link.last_action == "declined":
            return DECLINED.format(date=_date(link.used_at)), True
        return TAKEN_BACK.format(date=_date(referral.status_changed_at)), False
    return None


def _refusal(link, referral, now):
    """Why this link cannot be used now: (a French sentence, served), or None when it can."""
    if link.end_reason == "replaced":
        return REPLACED.format(date=_date(link.ended_at)), False
    if link.end_reason == "disabled":
        return DISABLED.format(date=_date(link.ended_at)), False
    refused = refused_for_state(link, referral)
    if refused:
        return refused
    if link.expires_at <= now:
        return EXPIRED.format(date=_date(link.expires_at)), False
    return None


def _check(link, referral):
    """Raise LinkRefused (404) or ResidentErased (410) unless the link may open its referral."""
    if referral.resident is None or referral.resident.erased_at is not None \
            or link.end_reason == "erased":
        raise ResidentErased(ERASED)
    refused = _refusal(link, referral, clock.now())
    if refused:
        message, served = refused
        raise LinkRefused(message, contacts=_contacts(referral), served=served)


def _held(link_id, referral_id, *, lock_referral_row=False):
    """The link (row-locked) and its referral, for a page holding the link's row id."""
    link_id = parse_uuid(link_id) if link_id is not None else None
    link = db.session.scalar(select(StructureLink).where(StructureLink.id == link_id)
                             .with_for_update(of=StructureLink)) if link_id else None
    if link is None:
        raise LinkRefused(UNKNOWN)
    if parse_uuid(referral_id) != link.referral_id:
        raise NotFound(NOT_THIS_REFERRAL)
    query = select(Referral).where(Referral.id == link.referral_id)
    if lock_referral_row:
        query = query.with_for_update(of=Referral)
    referral = db.session.scalar(query.execution_options(populate_existing=True))
    return link, referral


def _count(link):
    """Count one request of the link; past the free ones, refuse for a while (429)."""
    keys = [f"structure_link:{link.id}"]
    record_failure(keys, LINK_FREE_REQUESTS, LINK_MAX_DELAY_S)
    check_throttle(keys)


def _actor(link):
    return LinkActor(link, db.session.get(Structure, link.structure_id))


@use_case(keep_on=(Throttled, NotFound))  # unknown secrets are counted per address
def open_link(secret, *, address):
    """Check the secret from the e-mail; return (link id, referral id) for the page to hold.

    Unknown secrets are counted per client address (Throttled past a few); a known link that
    no longer works says why (LinkRefused, ResidentErased).
    """
    text = (secret or "").strip()
    link = db.session.scalar(select(StructureLink).where(
        StructureLink.digest == token_digest(text))) if 0 < len(text) <= 200 else None
    if link is None:
        keys = [f"address:structure_link:{address or 'unknown'}"]
        record_failure(keys, UNKNOWN_FREE_TRIES, LINK_MAX_DELAY_S)
        check_throttle(keys)
        raise LinkRefused(UNKNOWN)
    _check(link, db.session.get(Referral, link.referral_id))
    return link.id, link.referral_id


@dataclass
class LinkView:
    """What the link's page shows: the referral as its structure sees it, and the link."""

    actor: LinkActor
    referral: Referral
    link: StructureLink
    contacts: list


@use_case(keep_on=(Throttled,))  # the refused request is counted too
def read(link_id, referral_id):
    """Open the referral of a held link, as its structure's social workers would see it.

    Counted against the link's throttle; each opening is written to the access log
    (« lien structure ») and on the link (first and last opening, how many).
    """
    link, referral = _held(link_id, referral_id)
    _count(link)
    _check(link, referral)
    actor = _actor(link)
    if not sees_referral(actor, referral.id):
        raise NotFound(NOT_THIS_REFERRAL)
    now = clock.now()
    link.first_opened_at = link.first_opened_at or now
    link.last_opened_at = now
    link.openings += 1
    record_access(actor, "referral.structure_link", "referral", referral.id)
    return LinkView(actor, referral, link, _contacts(referral))


def _structure_reason(to, reason):
    """The reason of a decline through the link: one of the structure's own (the first by
    default)."""
    if to != "contacted":
        return reason
    if reason is None or not str(reason).strip():
        return next(iter(STRUCTURE_SEND_BACK_REASONS))
    if reason not in STRUCTURE_SEND_BACK_REASONS:
        raise ValidationFailed.field("reason", "Motif inconnu : choisissez parmi " + ", ".join(
            STRUCTURE_SEND_BACK_REASONS.values()) + ".")
    return reason


@use_case(keep_on=(Throttled,))
def act(link_id, referral_id, to, *, version=None, reason=None, outcome=None, note=None,
        note_professional=False):
    """Make a move through a held link: accept, decline, close; return (referral, moved).

    The move is `transition` with the link as the actor, so the lifecycle table decides
    (403, 409, 422 as everywhere) and the one event writer records it (actor role
    "structure_link", no account). The same action again — an acceptance already recorded,
    a decline or a closure already made — writes nothing: `moved` is False, or the link says
    it has served.
    """
    link, referral = _held(link_id, referral_id, lock_referral_row=True)
    _count(link)
    _check(link, referral)
    if to == "accepted" and referral.status == "accepted":
        return referral, False
    actor = _actor(link)
    referral = transition(actor, referral.id, to, version=version,
                          reason=_structure_reason(to, reason), outcome=outcome, note=note,
                          note_professional=note_professional)
    link.used_at, link.last_action = clock.now(), ACTIONS.get(to)
    return referral, True
