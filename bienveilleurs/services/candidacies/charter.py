"""The network's charter: versions published by admins, signatures, the prompt at sign-in.

The text is Markdown, rendered by markdown-it-py with raw HTML off, then cleaned by nh3 (a
maintained HTML sanitiser): nothing an admin types can run in a reader's browser. A
candidate signs at the meeting on the coordinator's screen, or through a one-time link
e-mailed to them; a relay signs a new version from their account, asked once at their next
sign-in (they keep working meanwhile, and the coordinators see who has not signed yet).
"""

from datetime import timedelta

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert

from ... import clock
from ...errors import Conflict, NotFound
from ...extensions import db
from ...models import CharterPrompt, CharterSignature, CharterVersion, Relay, Role
from .. import audit, links, paging
from ..directory import managed_relays
from ..fields import Fields
from ..transaction import use_case
from . import messages
from .events import write_event
from .pipeline import apply_move
from .public import _candidacy_of
from .scope import get_candidacy
from .table import CHARTER_LINK_REASON
from .trainings import train_if_attended

TEXT_MAX = 50_000
SIGNING_LINK_TTL = timedelta(days=14)
NO_CHARTER = "Aucune charte n'est encore publiée : l'administration doit d'abord en publier une."
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render(text_md):
    """The charter's Markdown as safe HTML for a template."""
    return Markup(nh3.clean(_MARKDOWN.render(text_md or ""), link_rel="noopener noreferrer"))


def current_version():
    return db.session.scalar(select(CharterVersion).order_by(CharterVersion.number.desc())
                             .limit(1))


def versions():
    return db.session.scalars(select(CharterVersion).order_by(CharterVersion.number.desc())).all()


def _required_current():
    version = current_version()
    if version is None:
        raise Conflict(NO_CHARTER)
    return version


@use_case
def publish(actor, record):
    """An admin publishes a new version: every active relay is asked to sign it."""
    fields = Fields(record or {}, strict=False)
    text_md = fields.text("text_md", label="Le texte de la charte", max_length=TEXT_MAX,
                          required=True, multiline=True)
    fields.done()
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("charter_versions"))))
    number = (db.session.scalar(select(func.max(CharterVersion.number))) or 0) + 1
    version = CharterVersion(number=number, text_md=text_md, published_at=clock.now(),
                             published_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "charter.published", target_type="charter", target_id=version.id,
                 summary=f"Charte, version {number} publiée", number=number)
    return version


def _sign(version, *, method, candidacy=None, relay=None, witness=None):
    signature = CharterSignature(version_id=version.id, method=method, signed_at=clock.now(),
                                 candidacy_id=getattr(candidacy, "id", None),
                                 relay_id=getattr(relay, "id", None),
                                 witness_id=getattr(witness, "id", None))
    db.session.add(signature)
    return signature


@use_case
def sign_at_meeting(actor, candidacy_id):
    """The candidate signs the current version on the coordinator's screen, at the meeting."""
    candidacy = get_candidacy(actor, candidacy_id, lock=True)
    version = _required_current()
    apply_move(actor, candidacy, "charter_signed", made_by=("signature",),
               note=f"Version {version.number} signée pendant la rencontre")
    _sign(version, method="meeting", candidacy=candidacy, witness=actor)
    train_if_attended(actor, candidacy)
    return candidacy


@use_case
def send_signing_link(actor, candidacy_id):
    """E-mail the candidate a one-time link to read and sign the current version."""
    candidacy = get_candidacy(actor, candidacy_id, lock=True)
    _required_current()
    if candidacy.stage != "met":
        raise Conflict("La charte se signe après la rencontre, avant la formation.")
    link, secret = links.issue("charter", ttl=SIGNING_LINK_TTL, candidacy=candidacy,
                               actor=actor)
    messages.charter_link(candidacy, link, secret)
    write_event(actor, candidacy, candidacy.stage, source=candidacy.stage,
                reason=CHARTER_LINK_REASON)
    return candidacy


def candidacy_for_signing(link_id):
    """(candidacy, current version) for the page of a signing link."""
    _, candidacy = _candidacy_of(link_id, "charter")
    return candidacy, _required_current()


@use_case
def sign_by_link(link_id):
    """The candidate signs through their one-time link; the link is spent."""
    row, candidacy = _candidacy_of(link_id, "charter", lock=True)
    version = _required_current()
    if candidacy.stage != "met":
        raise NotFound("Ce lien n'est plus utile : la charte n'est plus à signer à cette étape.")
    apply_move(None, candidacy, "charter_signed", made_by=("signature",),
               note=f"Version {version.number} signée par le lien reçu par e-mail")
    _sign(version, method="link", candidacy=candidacy)
    row.used_at = clock.now()
    return candidacy


# --- relays ----------------------------------------------------------------------------------

def _active_relay(user):
    if user.role != Role.RELAY.value:
        return None
    return db.session.scalar(select(Relay).where(Relay.user_id == user.id,
                                                 Relay.status == "active"))


def _signed(relay_id, version):
    return db.session.scalar(select(exists().where(CharterSignature.relay_id == relay_id,
                                                   CharterSignature.version_id == version.id)))


def relay_status(user):
    """(current version, relay, signed) for a relay's charter page; (None, …) without one."""
    version, relay = current_version(), _active_relay(user)
    signed = bool(version and relay and _signed(relay.id, version))
    return version, relay, signed


@use_case
def ask_at_sign_in(user):
    """Tell whether to show the charter to `user` now: an active relay who has not signed
    the current version and was not asked for it yet (asked once: this records it)."""
    version, relay, signed = relay_status(user)
    if version is None or relay is None or signed:
        return False
    added = db.session.execute(
        insert(CharterPrompt).values(user_id=user.id, version_id=version.id,
                                     prompted_at=clock.now())
        .on_conflict_do_nothing().returning(CharterPrompt.user_id)).scalar()
    return added is not None


@use_case
def sign_as_relay(user, version_id):
    """A relay signs the version they read (the current one, else a conflict)."""
    version, relay, signed = relay_status(user)
    if relay is None:
        raise NotFound("Aucune fiche de bienveilleur active n'est rattachée à votre compte.")
    if version is None or str(version.id) != str(version_id):
        raise Conflict("Une version plus récente de la charte vient d'être publiée : "
                       "relisez-la avant de signer.")
    if not signed:
        _sign(version, method="sign_in", relay=relay)
    return version


def unsigned_relays(user, *, after=None, size=paging.PAGE_SIZE * 2):
    """(current version, a Page of the active relays `user` manages who have not signed it,
    by name, after the NameKey `after`)."""
    version = current_version()
    if version is None:
        return None, paging.Page([])
    signed = select(CharterSignature.id).where(CharterSignature.relay_id == Relay.id,
                                               CharterSignature.version_id == version.id)
    return version, paging.keyset_page(
        managed_relays(user).where(Relay.status == "active", ~exists(signed)),
        (Relay.display_name, Relay.id), after=(after.name, after.id) if after else None,
        key=lambda r: paging.NameKey(r.display_name, r.id), size=size)


def signatures_of_relay(relay_id):
    return db.session.scalars(select(CharterSignature).where(CharterSignature.relay_id == relay_id)
                              .order_by(CharterSignature.signed_at.desc())).all()
