"""Relays (bienveilleurs): their profile, point, action radius, capacity and account."""

from sqlalchemy import or_, select

from ...errors import BadRequest, NotFound, ValidationFailed
from ...extensions import db
from ...models import Relay, Role, User
from ..fields import Fields, whole_record
from ..transaction import use_case
from .cleaning import present
from .common import flush_or, like_pattern, locked, parse_uuid, stored
from .locating import locate_address

RELAY_STATUSES = {"active": "Actif", "paused": "En pause", "ended": "Terminé"}
PROFILE_FIELDS = ("display_name", "radius_m", "capacity", "languages", "skills", "availability")
ACCOUNT_TAKEN = "Ce compte est déjà rattaché à un autre bienveilleur."


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


@use_case
def register_relay(record, *, area, max_radius_m, geocoder=None, strict=False):
    """Register a relay (POST /api/v1/relays and the coordinators' page).

    ``email`` optionally links an existing account of role relay not yet linked (422
    otherwise). The point comes from lat/lon, or from the address through the geocoder;
    a relay needs a point, so an address that cannot be located is a 422.
    """
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict)
    point = _relay_point(clean, geocoder=geocoder, area=area)
    relay = Relay(display_name=clean["display_name"], point=stored(point), status="active",
                  active_referrals=0)
    _apply_relay(relay, clean)
    if clean["email"]:
        relay.user_id = _account_for(clean["email"]).id
    db.session.add(relay)
    flush_or(ValidationFailed.field("email", ACCOUNT_TAKEN))
    return relay


@use_case
def update_relay(relay_id, record, *, area, max_radius_m, geocoder=None, strict=False):
    """Update the fields of a relay present in ``record``; ``email`` "" unlinks the account."""
    relay = locked(Relay, relay_id)
    if relay is None:
        raise NotFound("Bienveilleur introuvable.")
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict, partial=True)
    if clean.get("point") or clean.get("address"):
        relay.point = stored(_relay_point(clean, geocoder=geocoder, area=area))
    _apply_relay(relay, clean)
    if "email" in clean:
        relay.user_id = _account_for(clean["email"], relay=relay).id if clean["email"] else None
    flush_or(ValidationFailed.field("email", ACCOUNT_TAKEN))
    return relay


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
def set_relay_status(relay_id, status):
    """Pause (no new people proposed; current ones stay) or resume a relay."""
    if status not in ("active", "paused"):
        raise ValidationFailed.field("status", "Statut inconnu : active ou paused.")
    relay = locked(Relay, relay_id)
    if relay is None or relay.status == "ended":
        raise NotFound("Bienveilleur introuvable.")
    relay.status = status
    return relay


def get_relay(relay_id):
    relay = db.session.get(Relay, parse_uuid(relay_id))
    if relay is None:
        raise NotFound("Bienveilleur introuvable.")
    return relay


def relay_for_user(user):
    return db.session.scalar(select(Relay).where(Relay.user_id == user.id))


def list_relays(*, search=None, status=None, limit=500):
    statement = select(Relay)
    if status:
        statement = statement.where(Relay.status == status)
    if search:
        pattern = like_pattern(search)
        statement = statement.outerjoin(User, User.id == Relay.user_id).where(
            or_(Relay.display_name.ilike(pattern), User.email.ilike(pattern)))
    statement = statement.order_by(Relay.display_name, Relay.id).limit(limit)
    return db.session.scalars(statement).unique().all()
