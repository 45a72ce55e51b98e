"""The public side of a candidacy: the offer to help, and the candidate's own link.

`submit` takes the public form (the page and `POST /api/v1/candidacies` alike). Abuse is
held off without any outside service: requests are counted per client address and per
e-mail recipient on the sign-in throttle (services/accounts), a filled honeypot field is
dropped in silence, every field has a size limit (services/fields), and the answer is the
same whether or not the address is known, so it never tells who has already applied.

The confirmation e-mail carries the candidate's link: it confirms the address (double
opt-in, by a button, never by the mere opening of the link, which mail scanners do), then
stays the candidate's way to read what is kept about them, withdraw, and erase everything.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from ... import clock
from ...config import setting
from ...errors import Conflict, NotFound, Throttled, ValidationFailed
from ...extensions import db
from ...models import AccountToken, Candidacy
from .. import links
from ..accounts import check_throttle, normalise_email, record_failure
from ..directory import locate_address
from ..directory.common import stored
from ..fields import Fields, require_object
from ..transaction import use_case
from . import messages, privacy
from .pipeline import apply_move
from .table import ENDINGS

log = logging.getLogger("bienveilleurs.candidacies")

# The longest wait between two requests of one address or for one e-mail, past the free ones.
MAX_DELAY_S = 3600
# The candidate's link lives as long as any candidacy is kept (see retention).
LINK_TTL = timedelta(days=730)
# The field a person never sees (hidden from view and from the keyboard): robots fill it.
HONEYPOT = "website"
FIRST_NAME_MAX = 80
AVAILABILITY_MAX = 500
ADDRESS_MAX = 300
NO_POINT = ("Indiquez votre adresse, ou touchez la carte pour placer le point (la latitude et "
            "la longitude se remplissent).")


@dataclass
class CleanCandidacy:
    first_name: str
    email: str
    phone: str | None
    point: tuple
    profile: str
    languages: list
    availability: str | None


def _read(record, *, area, geocoder, strict):
    """Every field of the form at once (400 missing, 422 invalid); the point located."""
    from ...models import PROFILES
    fields = Fields(require_object(record), strict=strict)
    first_name = fields.text("first_name", label="Le prénom", max_length=FIRST_NAME_MAX,
                             required=True)
    email = fields.email(required=True)
    phone = fields.phone()
    point = fields.point(area=area, required=False)
    address = fields.text("address", label="L'adresse", max_length=ADDRESS_MAX)
    if point is None and not address and not (fields.has("lat") or fields.has("lon")):
        fields.missing("address", NO_POINT)
    profile = fields.choice("profile", PROFILES, label="Le profil", required=True)
    languages = fields.languages()
    availability = fields.text("availability", label="Les disponibilités",
                               max_length=AVAILABILITY_MAX, multiline=True)
    consent = fields.boolean("consent", label="L'accord", required=True)
    if consent is False:
        fields.fail("consent", "Cochez la case d'accord : sans elle, la candidature ne peut pas "
                               "être enregistrée.")
    fields.done()
    if point is None:
        location = locate_address(address, geocoder=geocoder, area=area)
        if location.point is None:
            raise ValidationFailed.field(
                "address", f"Adresse impossible à placer : {location.note}. " + NO_POINT)
        point = location.point
    return CleanCandidacy(first_name, email, phone, point, profile, languages or [],
                          availability)


def _count(keys):
    """Count one request on these keys (the same counters as sign-in); raise while blocked."""
    record_failure(keys, setting("CANDIDACY_FREE_REQUESTS"), MAX_DELAY_S)
    check_throttle(keys)


def _open_candidacy(email):
    return db.session.scalar(
        select(Candidacy).where(Candidacy.email == email, Candidacy.stage.not_in(ENDINGS))
        .order_by(Candidacy.submitted_at.desc()).limit(1).with_for_update())


def _fill(candidacy, clean, now):
    candidacy.first_name, candidacy.email, candidacy.phone = (clean.first_name, clean.email,
                                                              clean.phone)
    candidacy.point = stored(clean.point)
    candidacy.profile, candidacy.languages = clean.profile, clean.languages
    candidacy.availability, candidacy.consent_at = clean.availability, now


def _send_link(candidacy):
    """A new confirmation link (any older one stops working) and its e-mail."""
    db.session.execute(delete(AccountToken).where(AccountToken.candidacy_id == candidacy.id,
                                                  AccountToken.purpose == "candidacy"))
    link, secret = links.issue("candidacy", ttl=LINK_TTL, candidacy=candidacy)
    messages.confirmation(candidacy, link, secret)


@use_case(keep_on=(Throttled,))  # a refused request is counted too
def submit(record, *, address, area, geocoder=None, strict=True):
    """Take an offer to become a relay; return nothing the caller could tell apart.

    Counted per client address first (429 past the limit, even for a malformed request);
    a filled honeypot is dropped in silence; then per e-mail recipient: past its limit,
    nothing is sent and nothing said. A new address gets a candidacy and its confirmation
    e-mail; one still waiting for confirmation gets its details replaced and the e-mail
    again; one further on gets nothing (the answer stays the same).
    """
    _count([f"address:candidacy:{address or 'unknown'}"])
    if isinstance(record, dict) and record.get(HONEYPOT):
        log.info("candidacy dropped: honeypot filled")
        return
    clean = _read(record, area=area, geocoder=geocoder, strict=strict)
    try:
        _count([f"candidacy:{normalise_email(clean.email)}"])
    except Throttled:
        log.info("candidacy not sent again: too many for one recipient")
        return
    now = clock.now()
    candidacy = _open_candidacy(clean.email)
    if candidacy is None:
        candidacy = Candidacy(stage="submitted", stage_changed_at=now, submitted_at=now)
        _fill(candidacy, clean, now)
        db.session.add(candidacy)
        db.session.flush()
    elif candidacy.stage == "submitted":
        _fill(candidacy, clean, now)
    else:
        return
    _send_link(candidacy)


# --- the candidate's link ------------------------------------------------------------------

def open_link(secret, purpose="candidacy"):
    """Check a candidate's link and return its row id, for the page to hold instead of it."""
    return links.find(secret, purpose).id


def _candidacy_of(link_id, purpose="candidacy", *, lock=False):
    row = links.find(None, purpose, link_id=link_id, lock=lock)
    query = select(Candidacy).where(Candidacy.id == row.candidacy_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    candidacy = db.session.scalar(query)
    if candidacy is None:
        raise NotFound(links.INVALID_LINK)
    return row, candidacy


def candidacy_for_link(link_id):
    """The candidacy a held link opens (NotFound with a French reason otherwise)."""
    return _candidacy_of(link_id)[1]


@use_case
def confirm(link_id):
    """The candidate confirms their address (double opt-in); the coordinators now see it."""
    _, candidacy = _candidacy_of(link_id, lock=True)
    if candidacy.stage != "submitted":
        return candidacy
    apply_move(None, candidacy, "confirmed")
    return candidacy


@use_case
def withdraw(link_id):
    """The candidate withdraws (kept 6 months as any ended candidacy, then deleted)."""
    _, candidacy = _candidacy_of(link_id, lock=True)
    if candidacy.stage == "withdrawn":
        return candidacy
    if candidacy.stage in ENDINGS:
        raise Conflict("Cette candidature est terminée : il n'y a plus rien à retirer. "
                       "Vous pouvez effacer vos données.")
    apply_move(None, candidacy, "withdrawn")
    return candidacy


@use_case
def erase(link_id):
    """Erase the candidacy now and everything about it (the link stops working)."""
    _, candidacy = _candidacy_of(link_id, lock=True)
    privacy.delete_candidacies([candidacy.id])
    log.info("candidacy erased at the candidate's request")


def export(link_id):
    """Everything kept about the candidate, for their right of access (a JSON document)."""
    return privacy.candidacy_file(candidacy_for_link(link_id))

