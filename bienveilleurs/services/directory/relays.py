"""Relays (bienveilleurs): their profile, point, action radius, capacity and account.

Management is scoped in the query: `managed_relays(user)` is what `user` sees in
management, edits, pauses, ends and links (admins and city-wide coordinators: every relay;
a coordinator: the relays whose point lies in their territories, `services.areas`), and
every function here that takes a relay id goes through it (404 outside).
"""

from sqlalchemy import func, or_, select

from ...errors import BadRequest, Conflict, NotFound, ValidationFailed
from ...extensions import db
from ...models import Referral, Relay, Role, User
from .. import areas
from ..fields import Fields, whole_record
from ..paging import NameKey, keyset_page
from ..transaction import use_case
from .cleaning import present
from .common import flush_or, like_pattern, one_in, stored
from .locating import locate_address

RELAY_STATUSES = {"active": "Actif", "paused": "En pause", "ended": "Terminé"}
PROFILE_FIELDS = ("display_name", "radius_m", "capacity", "languages", "skills", "availability")
ACCOUNT_TAKEN = "Ce compte est déjà rattaché à un autre bienveilleur."
NOT_FOUND = "Bienveilleur introuvable."
OUTSIDE = ("Ce point est en dehors de vos territoires : un bienveilleur est géré par la "
           "coordination du territoire où se trouve son point.")
HELD_PEOPLE = ("Ce bienveilleur accompagne encore {count} personne(s) : confiez-les à quelqu'un "
               "d'autre (ou mettez fin à son engagement) avant de changer le compte rattaché.")
# Statuses in which a relay carries a referral (as referrals.ACTIVE_STATUSES).
_ACTIVE = ("assigned", "contacted", "referred", "accepted")
RELAY_PLACEMENT = areas.by_point(Relay)


def managed_relays(user):
    """Return a select() of the relays `user` manages (see the module's docstring)."""
    return select(Relay).where(areas.managed(user, RELAY_PLACEMENT))


def _radius(fields, *, max_radius_m, required):
    radius = fields.integer("radius_m", label="Le rayon d'action", minimum=1, required=required)
    if radius is not None and radius > max_radius_m:
        fields.fail("radius_m", f"Le rayon d'action ne peut pas dépasser {max_radius_m} mètres.")
        return None
    return radius


def _availability(fields):
    return fields.opening_hours("availability", label="Les disponibilités")


def clean_relay(record, *, area, max_radius_m, strict=False, partial=False):
    """Validate a relay record; return the clean values (only those present with ``partial``)."""
    fields = whole_record(record, strict=strict)

    def required(name):
        return not partial or name in record

    clean = {"display_name": fields.text("display_name", label="Le nom affiché", max_length=120,
                                         required=required("display_name")),
             # The point may come from the address (geocoded by the caller's use case).
             "point": fields.point(area=area, required=False),
             "address": fields.text("address", label="L'adresse", max_length=300)}
    if not partial and clean["point"] is None and not clean["address"] and not (
            fields.has("lat") or fields.has("lon")):
        fields.missing("lat", "La latitude est obligatoire.")
        fields.missing("lon", "La longitude est obligatoire.")
    clean["radius_m"] = _radius(fields, max_radius_m=max_radius_m, required=required("radius_m"))
    clean["capacity"] = fields.integer("capacity", label="La capacité", minimum=0, maximum=1000,
                                       required=required("capacity"))
    clean["languages"] = fields.languages()
    skills = fields.string_list("skills", label="Les compétences")
    clean["skills"] = list(dict.fromkeys(skills)) if skills is not None else None
    clean["availability"] = _availability(fields)
    clean["email"] = fields.email("email", label="L'adresse e-mail du compte")
    fields.done()
    if partial:
        return present(clean, record)
    for name, default in (("languages", []), ("skills", []), ("capacity", 3)):
        if clean[name] is None:
            clean[name] = default
    return clean


def _account_for(email, *, relay=None):
    user = db.session.scalar(select(User).where(User.email == email).with_for_update())
    if user is None:
        raise ValidationFailed.field("email", f"Aucun compte n'existe pour {email}.")
    if user.role != Role.RELAY.value:
        raise ValidationFailed.field("email",
                                     f"Le compte {email} n'est pas un compte de bienveilleur.")
    linked = db.session.scalar(select(Relay.id).where(Relay.user_id == user.id))
    if linked is not None and (relay is None or linked != relay.id):
        raise ValidationFailed.field(
            "email", f"Le compte {email} est déjà rattaché à un autre bienveilleur.")
    return user


def _relay_point(clean, *, geocoder, area):
    """The relay's point: typed, or geocoded from the address (422 when it cannot be)."""
    if clean.get("point"):
        return clean["point"]
    if clean.get("address"):
        location = locate_address(clean["address"], geocoder=geocoder, area=area)
        if location.point is None:
            raise ValidationFailed.field(
                "address", f"Position du bienveilleur impossible à déterminer : {location.note}. "
                "Indiquez la latitude et la longitude, ou placez le point sur la carte.")
        return location.point
    raise BadRequest("La latitude et la longitude sont obligatoires.",
                     details=[{"field": "lat", "message": "Obligatoire."},
                              {"field": "lon", "message": "Obligatoire."}])


def _apply_relay(relay, clean):
    for name in PROFILE_FIELDS:
        if name in clean and clean[name] is not None:
            setattr(relay, name, clean[name])
    if "availability" in clean and clean["availability"] is None:
        relay.availability = None


def _check_point(actor, point):
    if not areas.point_managed(actor, *point):
        raise ValidationFailed.field("lat", OUTSIDE)


def _held_people(relay):
    return db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.relay_id == relay.id, Referral.status.in_(_ACTIVE)))


def _link(relay, email):
    """Link the account of `email` ("" or None: none); refused while the relay holds people.

    Whoever holds the relay's account reads its people's files: changing it while the relay
    accompanies someone would hand them over silently (or cut the real relay off). Returns
    (e-mail before, e-mail after) for the caller's audit entry.
    """
    before = relay.user.email if relay.user is not None else None
    user = _account_for(email, relay=relay) if email else None
    if (user.id if user else None) == relay.user_id:
        return before, before
    count = _held_people(relay) if relay.id is not None else 0
    if count:
        raise Conflict(HELD_PEOPLE.format(count=count),
                       details=[{"field": "email", "message": HELD_PEOPLE.format(count=count)}])
    relay.user_id = user.id if user else None
    return before, user.email if user else None


@use_case
def register_relay(actor, record, *, area, max_radius_m, geocoder=None, strict=False):
    """Register a relay (POST /api/v1/relays and the coordinators' page); return
    (relay, (account before, account after)).

    ``email`` optionally links an existing account of role relay not yet linked (422
    otherwise). The point comes from lat/lon, or from the address through the geocoder;
    a relay needs a point, so an address that cannot be located is a 422, and so is a
    point outside what `actor` manages.
    """
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict)
    point = _relay_point(clean, geocoder=geocoder, area=area)
    _check_point(actor, point)
    relay = Relay(display_name=clean["display_name"], point=stored(point), status="active",
                  active_referrals=0)
    _apply_relay(relay, clean)
    link = _link(relay, clean["email"])
    db.session.add(relay)
    flush_or(ValidationFailed.field("email", ACCOUNT_TAKEN))
    return relay, link


@use_case
def update_relay(actor, relay_id, record, *, area, max_radius_m, geocoder=None, strict=False):
    """Update the fields of a relay `actor` manages present in ``record``; ``email`` ""
    unlinks the account. Returns (relay, (account before, account after))."""
    relay = get_relay(actor, relay_id, lock=True)
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict, partial=True)
    if clean.get("point") or clean.get("address"):
        point = _relay_point(clean, geocoder=geocoder, area=area)
        _check_point(actor, point)
        relay.point = stored(point)
    _apply_relay(relay, clean)
    before = relay.user.email if relay.user is not None else None
    link = _link(relay, clean["email"]) if "email" in clean else (before, before)
    flush_or(ValidationFailed.field("email", ACCOUNT_TAKEN))
    return relay, link


@use_case
def update_own_profile(user, record, *, max_radius_m, strict=False):
    """Let a relay change their own availability and action radius (and nothing else)."""
    relay = db.session.scalar(select(Relay).where(Relay.user_id == user.id)
                              .with_for_update(of=Relay))
    if relay is None:
        raise NotFound("Aucune fiche de bienveilleur n'est rattachée à votre compte.")
    fields = Fields(record, strict=strict)
    radius = _radius(fields, max_radius_m=max_radius_m, required=True)
    availability = _availability(fields)
    fields.done()
    relay.radius_m = radius
    relay.availability = availability
    return relay


@use_case
def set_relay_status(actor, relay_id, status):
    """Pause (no new people proposed; current ones stay) or resume a relay `actor` manages."""
    if status not in ("active", "paused"):
        raise ValidationFailed.field("status", "Statut inconnu : active ou paused.")
    relay = get_relay(actor, relay_id, lock=True)
    if relay.status == "ended":
        raise NotFound(NOT_FOUND)
    relay.status = status
    return relay


def get_relay(user, relay_id, *, lock=False):
    """Return a relay `user` manages (locked for update with ``lock``); NotFound otherwise."""
    return one_in(managed_relays(user), Relay, relay_id, lock=lock, missing=NOT_FOUND)


def relay_record(user, relay_id):
    """Return a relay's record for GET /api/v1/relays/{id}: to those who manage it, and to
    the relay themself; NotFound to anyone else."""
    visible = select(Relay).where(or_(areas.managed(user, RELAY_PLACEMENT),
                                      Relay.user_id == user.id))
    return one_in(visible, Relay, relay_id, missing=NOT_FOUND)


def relay_for_user(user):
    return db.session.scalar(select(Relay).where(Relay.user_id == user.id))


def list_relays(user, *, search=None, status=None, limit=50, after=None):
    """A Page of the relays `user` manages, by name or account e-mail, with a status (none:
    every one but those who ended); by name then id after the NameKey `after`."""
    statement = managed_relays(user)
    if status:
        statement = statement.where(Relay.status == status)
    else:
        statement = statement.where(Relay.status != "ended")
    if search:
        pattern = like_pattern(search)
        statement = statement.outerjoin(User, User.id == Relay.user_id).where(
            or_(Relay.display_name.ilike(pattern), User.email.ilike(pattern)))
    return keyset_page(statement, (Relay.display_name, Relay.id),
                       after=(after.name, after.id) if after else None,
                       key=lambda relay: NameKey(relay.display_name, relay.id), size=limit)
