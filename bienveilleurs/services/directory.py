"""The directory: structures, the resources they offer, and relays (bienveilleurs).

Each public function is one use case and one transaction, committed once at the end;
every field is validated before anything is written, so a refused request writes nothing.
Validation collects every problem at once and raises one error whose details name each
field: `BadRequest` (400) when a required value is missing or of the wrong JSON type,
`ValidationFailed` (422) when values are well-formed but invalid.

`clean_resource` validates one resource record without touching the database beyond
look-ups; the import commands reuse it for each record, then `stage_resource` to write.
"""

import math
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import IntegrityError

from geo.errors import GeocoderUnavailable, GeoError
from geo.geocoding import NullGeocoder
from geo.hours import validate_opening_hours
from geo.points import parse_point

from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Relay, Resource, Role, Structure, User
from .codes import check_audiences, check_categories

SATURATIONS = {"available": "Places disponibles", "limited": "Places limitées",
               "full": "Complet"}
RELAY_STATUSES = {"active": "Actif", "paused": "En pause", "ended": "Terminé"}

_PHONE = re.compile(r"\+?[0-9 .\-()/]{6,30}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_SIRET = re.compile(r"[0-9]{14}")
_LANGUAGE = re.compile(r"[a-z]{2}")

NOT_LOCATED = "adresse non localisée"


# --- validation ---------------------------------------------------------------------------

class _Checker:
    """Read fields from one record, collecting problems instead of stopping at the first.

    With ``strict`` (JSON bodies) a value of the wrong JSON type is a 400; without it (form
    fields, CSV cells), text is accepted where numbers, booleans or lists are expected.
    """

    def __init__(self, record, *, strict):
        self.record = record
        self.strict = strict
        self.malformed = []  # 400: missing or wrong type
        self.invalid = []    # 422: well-formed but not acceptable

    def has(self, name):
        value = self.record.get(name)
        return not (value is None or (isinstance(value, str) and not value.strip()))

    def bad_type(self, name, message):
        if self.strict:
            self.malformed.append({"field": name, "message": message})
        else:
            self.invalid.append({"field": name, "message": message})

    def missing(self, name, message):
        self.malformed.append({"field": name, "message": message})

    def fail(self, name, message):
        self.invalid.append({"field": name, "message": message})

    def text(self, name, *, label, max_length, required=False):
        value = self.record.get(name)
        if value is None:
            if required:
                self.missing(name, f"{label} est obligatoire.")
            return None
        if not isinstance(value, str):
            self.bad_type(name, f"{label} doit être du texte.")
            return None
        value = " ".join(value.split())
        if not value:
            if required:
                self.missing(name, f"{label} est obligatoire.")
            return None
        if len(value) > max_length:
            self.fail(name, f"{label} ne doit pas dépasser {max_length} caractères.")
            return None
        return value

    def string_list(self, name, *, label):
        value = self.record.get(name)
        if value is None:
            return None
        if isinstance(value, str) and not self.strict:
            value = [part for part in re.split(r"[,;]", value)]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.bad_type(name, f"{label} doit être une liste de textes.")
            return None
        return [v.strip() for v in value if v.strip()]

    def boolean(self, name, *, label):
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and not self.strict):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and not self.strict:
            word = value.strip().lower()
            if word in {"true", "1", "oui", "yes", "on", "vrai"}:
                return True
            if word in {"false", "0", "non", "no", "off", "faux"}:
                return False
        self.bad_type(name, f"{label} doit valoir true ou false.")
        return None

    def integer(self, name, *, label, minimum=None, maximum=None, required=False):
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(name, f"{label} est obligatoire.")
            return None
        number = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and not self.strict and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", value):
            number = int(value)
        if number is None:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.fail(name, f"{label} doit être un nombre entier.")
            else:
                self.bad_type(name, f"{label} doit être un nombre entier.")
            return None
        if minimum is not None and number < minimum:
            self.fail(name, f"{label} doit être au moins {minimum}.")
            return None
        if maximum is not None and number > maximum:
            self.fail(name, f"{label} doit être au plus {maximum}.")
            return None
        return number

    def point(self, *, area, required):
        """Return (lon, lat) or None; lat and lon come together or not at all."""
        lat, lon = self.record.get("lat"), self.record.get("lon")
        has_lat, has_lon = self.has("lat"), self.has("lon")
        if not has_lat and not has_lon:
            if required:
                self.missing("lat", "La latitude est obligatoire.")
                self.missing("lon", "La longitude est obligatoire.")
            return None
        if not has_lat or not has_lon:
            name = "lat" if not has_lat else "lon"
            label = "La latitude" if name == "lat" else "La longitude"
            self.missing(name, f"{label} est obligatoire quand l'autre coordonnée est donnée.")
            return None
        if self.strict:
            wrong = [(n, v) for n, v in (("lat", lat), ("lon", lon))
                     if isinstance(v, bool) or not isinstance(v, (int, float))]
            if wrong:
                for name, _ in wrong:
                    label = "La latitude" if name == "lat" else "La longitude"
                    self.missing(name, f"{label} doit être un nombre (degrés décimaux).")
                return None
        try:
            return parse_point(lat, lon, area=area)
        except GeoError as exc:
            self.fail(exc.field or "lat,lon", exc.message)
            return None

    def raise_if_any(self):
        if self.malformed:
            first = self.malformed[0]["message"]
            raise BadRequest(first if len(self.malformed) == 1 else
                             "Des champs obligatoires manquent ou sont d'un type incorrect.",
                             details=self.malformed + self.invalid)
        if self.invalid:
            first = self.invalid[0]["message"]
            raise ValidationFailed(first if len(self.invalid) == 1 else
                                   "Certaines valeurs sont invalides.", details=self.invalid)


def _contact_fields(check):
    """Validate phone, email and website, shared by structures and resources."""
    out = {}
    phone = check.text("phone", label="Le téléphone", max_length=40)
    if phone is not None:
        digits = re.sub(r"\D", "", phone)
        if not _PHONE.fullmatch(phone) or not 4 <= len(digits) <= 15:
            check.fail("phone", "Le numéro de téléphone n'est pas valide (exemple : 02 35 00 00 00).")
    out["phone"] = phone
    email = check.text("email", label="L'adresse e-mail", max_length=254)
    if email is not None:
        email = email.lower()
        if not _EMAIL.fullmatch(email):
            check.fail("email", "L'adresse e-mail n'est pas valide (exemple : accueil@exemple.fr).")
    out["email"] = email
    website = check.text("website", label="Le site web", max_length=500)
    if website is not None:
        if "://" not in website:
            website = "https://" + website
        parts = urlsplit(website)
        if parts.scheme not in ("http", "https") or "." not in (parts.hostname or "") or " " in website:
            check.fail("website", "Le site web doit être une adresse web (exemple : https://exemple.fr).")
    out["website"] = website
    return out


def _languages(check):
    values = check.string_list("languages", label="Les langues")
    if values is None:
        return None
    languages = list(dict.fromkeys(v.lower() for v in values))
    bad = [v for v in languages if not _LANGUAGE.fullmatch(v)]
    if bad:
        check.fail("languages", "Langue inconnue : " + ", ".join(bad[:5]) +
                   " (codes ISO 639-1 à deux lettres attendus, par exemple fr, ar, en).")
        return None
    return languages


def _hours(check, name, *, label):
    value = check.text(name, label=label, max_length=255)
    if value is None:
        return None
    try:
        validate_opening_hours(value)
    except GeoError as exc:
        message = exc.message if name == "opening_hours" else exc.message.replace(
            "Les horaires d'ouverture", "Les disponibilités")
        check.fail(name, message)
        return None
    return value


def _uuid(check, name, *, label):
    value = check.record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        check.bad_type(name, f"{label} doit être un identifiant (UUID).")
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        check.fail(name, f"{label} n'est pas un identifiant valide.")
        return None


def _locked(model, row_id):
    """Load one row locked for update (only that table: its eager joins stay unlocked)."""
    return db.session.scalars(select(model).where(model.id == parse_uuid(row_id))
                              .with_for_update(of=model)).first()


def parse_uuid(value):
    """Return the UUID in ``value`` or raise NotFound (an unknown id in a URL is a 404)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def clean_structure(record, *, area, strict=False, partial=False):
    """Validate a structure record; return the clean values of the fields present."""
    if not isinstance(record, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    check = _Checker(record, strict=strict)
    clean = {}
    name = check.text("name", label="Le nom", max_length=200, required=not partial or "name" in record)
    if name is not None:
        clean["name"] = name
    siret = check.text("siret", label="Le SIRET", max_length=20)
    if siret is not None:
        siret = siret.replace(" ", "")
        if not _SIRET.fullmatch(siret):
            check.fail("siret", "Le SIRET doit comporter 14 chiffres.")
    clean["siret"] = siret
    clean["address"] = check.text("address", label="L'adresse", max_length=300)
    clean.update(_contact_fields(check))
    clean["point"] = check.point(area=area, required=False)
    for name in ("source", "source_id"):
        clean[name] = check.text(name, label="La source" if name == "source" else
                                 "L'identifiant dans la source", max_length=100 if name == "source" else 200)
    check.raise_if_any()
    if partial:
        clean = {k: v for k, v in clean.items() if k in record or (k == "point" and "lat" in record)}
    return clean


def clean_resource(record, *, area, strict=False, partial=False, require_position=True):
    """Validate one resource record (a JSON object, a form or an imported row).

    Returns a dict of clean values: name, description, categories, audiences, point
    ((lon, lat) or None), address, postal_code, city, phone, email, website, opening_hours,
    languages, accessible, capacity, saturation, structure_id, structure_name, active,
    source, source_id. With ``partial`` only the fields present in ``record`` are returned
    (for updates). Raises BadRequest (400) for missing or mistyped fields, ValidationFailed
    (422) for invalid values, each with one detail per field.

    Categories are data·inclusion `thematiques` codes (at least one); audiences are
    `publics` codes; the point must lie inside ``area`` (a point with latitude and
    longitude swapped is recognised and the message says so). A new resource needs
    coordinates or an address to geocode, unless ``require_position`` is False (imports of
    records that have neither).
    """
    if not isinstance(record, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    check = _Checker(record, strict=strict)
    clean = {}
    clean["name"] = check.text("name", label="Le nom", max_length=200,
                               required=not partial or "name" in record)
    description = record.get("description")
    if description is not None and not isinstance(description, str):
        check.bad_type("description", "La description doit être du texte.")
    elif isinstance(description, str) and len(description) > 10_000:
        check.fail("description", "La description ne doit pas dépasser 10 000 caractères.")
    clean["description"] = (description or "").strip() if isinstance(description, str) else ""

    categories = check.string_list("categories", label="Les catégories")
    if categories is None:
        if record.get("categories") is None and (not partial or "categories" in record):
            check.missing("categories", "Indiquez au moins une catégorie "
                          "(codes « thematiques » de data·inclusion).")
    elif not categories:
        check.fail("categories", "Indiquez au moins une catégorie.")
        categories = None
    else:
        try:
            categories = check_categories(categories)
        except ValidationFailed as exc:
            check.fail("categories", exc.message)
            categories = None
    clean["categories"] = categories

    audiences = check.string_list("audiences", label="Les publics")
    if audiences is not None:
        try:
            audiences = check_audiences(audiences)
        except ValidationFailed as exc:
            check.fail("audiences", exc.message)
            audiences = None
    clean["audiences"] = audiences if audiences is not None else []

    clean["point"] = check.point(area=area, required=False)
    clean["address"] = check.text("address", label="L'adresse", max_length=300)
    if (require_position and not partial and clean["point"] is None and not clean["address"]
            and not check.has("lat") and not check.has("lon")):
        check.missing("lat", "La latitude et la longitude sont obligatoires (ou une adresse à localiser).")
        check.missing("lon", "La longitude est obligatoire (ou une adresse à localiser).")
    postal_code = check.text("postal_code", label="Le code postal", max_length=10)
    if postal_code is not None and not re.fullmatch(r"(?:\d{5}|2[AB]\d{3})", postal_code.replace(" ", "")):
        check.fail("postal_code", "Le code postal doit comporter 5 chiffres.")
    clean["postal_code"] = postal_code.replace(" ", "") if postal_code else None
    clean["city"] = check.text("city", label="La commune", max_length=100)
    clean.update(_contact_fields(check))
    clean["opening_hours"] = _hours(check, "opening_hours", label="Les horaires d'ouverture")
    languages = _languages(check)
    clean["languages"] = languages if languages is not None else []
    clean["accessible"] = check.boolean("accessible", label="L'accessibilité")
    clean["capacity"] = check.integer("capacity", label="La capacité", minimum=0, maximum=1_000_000)
    saturation = check.text("saturation", label="La saturation", max_length=20)
    if saturation is not None and saturation not in SATURATIONS:
        check.fail("saturation", "La saturation doit valoir available, limited ou full.")
        saturation = None
    clean["saturation"] = saturation
    clean["structure_id"] = _uuid(check, "structure_id", label="La structure")
    clean["structure_name"] = check.text("structure_name", label="Le nom de la structure",
                                         max_length=200)
    active = check.boolean("active", label="L'état actif")
    if active is not None:
        # Only when given: re-sending a record must not reactivate what a coordinator deactivated.
        clean["active"] = active
    clean["source"] = check.text("source", label="La source", max_length=100)
    clean["source_id"] = check.text("source_id", label="L'identifiant dans la source", max_length=200)
    if bool(clean["source"]) != bool(clean["source_id"]) and (clean["source"] or clean["source_id"]):
        check.fail("source_id" if clean["source"] else "source",
                   "La source et l'identifiant dans la source vont ensemble.")
    check.raise_if_any()
    if partial:
        present = set(record)
        if "lat" in present or "lon" in present:
            present.add("point")
        clean = {k: v for k, v in clean.items() if k in present}
    return clean


def validate_resource_record(record, *, area, strict=False, require_position=True):
    """Return the list of problems of one resource record ([] when it is valid).

    Each problem is {"field", "message"} in French; for imports that report every
    rejected record rather than stopping at the first.
    """
    try:
        clean_resource(record, area=area, strict=strict, require_position=require_position)
    except (BadRequest, ValidationFailed) as exc:
        return exc.details or [{"field": None, "message": exc.message}]
    return []


# --- geocoding ---------------------------------------------------------------------------

@dataclass
class Location:
    point: tuple | None  # (lon, lat)
    label: str | None = None
    note: str | None = None  # why there is no point, in French


def locate_address(address, *, geocoder, area):
    """Geocode an address; return a Location whose note says why it has no point, if none.

    Never raises for an unreachable service: the caller decides whether a missing point is
    acceptable (a resource) or not (a relay).
    """
    geocoder = geocoder or NullGeocoder()
    if isinstance(geocoder, NullGeocoder):
        return Location(None, note=f"{NOT_LOCATED} (aucun service de géocodage n'est configuré)")
    try:
        result = geocoder.geocode(address)
    except GeocoderUnavailable:
        return Location(None, note=f"{NOT_LOCATED} (le service de géocodage ne répond pas)")
    if result is None:
        return Location(None, note=f"{NOT_LOCATED} (adresse introuvable)")
    if not area.contains(result.lon, result.lat):
        return Location(None, note=f"{NOT_LOCATED} (l'adresse trouvée, « {result.label} », est "
                        "en dehors du territoire desservi)")
    return Location((result.lon, result.lat), label=result.label)


def _geography(point):
    return from_shape(Point(point[0], point[1]), srid=4326) if point else None


def lon_lat(model):
    """Return (lon, lat) of a model's point, or None."""
    if model.point is None:
        return None
    shape = to_shape(model.point)
    return (shape.x, shape.y)


# --- structures --------------------------------------------------------------------------

def _lock(*parts):
    """Serialise writers of the same natural key until the transaction ends."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                       {"key": "\x1f".join(str(p) for p in parts)})


def _commit():
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Un enregistrement identique existe déjà (même source et même identifiant).") from None


def _apply_structure(structure, clean):
    for name in ("name", "siret", "address", "phone", "email", "website", "source", "source_id"):
        if name in clean:
            setattr(structure, name, clean[name])
    if "point" in clean:
        structure.point = _geography(clean["point"])


def create_structure(record, *, area, strict=False):
    """Create a structure (POST /api/v1/structures and the management page)."""
    clean = clean_structure(record, area=area, strict=strict)
    structure = Structure(name=clean["name"])
    _apply_structure(structure, clean)
    db.session.add(structure)
    _commit()
    return structure


def update_structure(structure_id, record, *, area, strict=False):
    """Update the fields of a structure present in ``record``."""
    structure = _locked(Structure, structure_id)
    if structure is None:
        raise NotFound("Structure introuvable.")
    clean = clean_structure(record, area=area, strict=strict, partial=True)
    _apply_structure(structure, clean)
    _commit()
    return structure


def get_structure(structure_id):
    structure = db.session.get(Structure, parse_uuid(structure_id))
    if structure is None:
        raise NotFound("Structure introuvable.")
    return structure


def _structure_for(clean, *, point):
    """Return the structure a new resource belongs to.

    With ``structure_id`` it must exist (422 otherwise). Without it, the structure is
    named by ``structure_name`` or else by the resource's own name, and an existing
    structure with that name (compared case-insensitively, spaces collapsed; the oldest if
    several) is reused; only when none exists is one created, at the resource's point.
    """
    if clean.get("structure_id"):
        structure = db.session.get(Structure, clean["structure_id"])
        if structure is None:
            raise ValidationFailed.field("structure_id", "Cette structure n'existe pas.")
        return structure
    name = clean.get("structure_name") or clean.get("name") or ""
    name = " ".join(name.split())
    _lock("structure-name", name.lower())
    # lower() on both sides, so the comparison follows the database's own case rules.
    structure = db.session.scalars(
        select(Structure).where(func.lower(func.regexp_replace(Structure.name, r"\s+", " ", "g"))
                                == func.lower(name))
        .order_by(Structure.active.desc(), Structure.created_at, Structure.id).limit(1)).first()
    if structure is None:
        structure = Structure(name=name, address=clean.get("address"), phone=clean.get("phone"),
                              email=clean.get("email"), website=clean.get("website"),
                              point=_geography(point))
        db.session.add(structure)
        db.session.flush()
    return structure


# --- resources ---------------------------------------------------------------------------

@dataclass
class Saved:
    """What a save did: the row, whether it was created, and a note for the person."""

    item: object
    created: bool
    note: str | None = None


RESOURCE_FIELDS = ("name", "description", "categories", "audiences", "address", "postal_code", "city",
                   "phone", "email", "website", "opening_hours", "languages", "accessible",
                   "capacity", "saturation", "active", "source", "source_id")


def _resolve_point(clean, *, geocoder, area, current=None, cleared=False):
    """Decide the point: typed coordinates win; else the address is geocoded, unless it is
    the current one and the current point was not cleared (no needless geocoding on re-imports
    and edits). Returns ((lon, lat) or None, note or None)."""
    if clean.get("point"):
        return clean["point"], None
    address = clean["address"] if "address" in clean else (current.address if current else None)
    keep = current is not None and current.point is not None and not cleared
    if address:
        if keep and address == current.address:
            return lon_lat(current), None
        location = locate_address(address, geocoder=geocoder, area=area)
        return location.point, location.note
    if keep:
        return lon_lat(current), None
    return None, ("position non renseignée : la ressource n'apparaîtra pas dans les recherches "
                  "de proximité")


def stage_resource(clean, *, area, geocoder=None):
    """Create or update (by source and source_id) a resource from clean values; no commit.

    For batch imports that commit many records at once; the single-record use case is
    `create_resource`. Returns a Saved.
    """
    existing = None
    if clean.get("source") and clean.get("source_id"):
        _lock("resource-source", clean["source"], clean["source_id"])
        existing = db.session.scalars(select(Resource).where(
            Resource.source == clean["source"], Resource.source_id == clean["source_id"])
            .with_for_update(of=Resource)).first()
    if existing is not None:
        point, note = _resolve_point(clean, geocoder=geocoder, area=area, current=existing)
        _apply_resource(existing, clean, point)
        if clean.get("structure_id") or clean.get("structure_name"):
            existing.structure = _structure_for(clean, point=point)
        db.session.flush()
        return Saved(existing, False, note)
    point, note = _resolve_point(clean, geocoder=geocoder, area=area)
    structure = _structure_for(clean, point=point)
    resource = Resource(structure=structure, name=clean["name"])
    _apply_resource(resource, clean, point)
    db.session.add(resource)
    db.session.flush()
    return Saved(resource, True, note)


def _apply_resource(resource, clean, point):
    for name in RESOURCE_FIELDS:
        if name in clean:
            setattr(resource, name, clean[name])
    resource.point = _geography(point)


def create_resource(record, *, area, geocoder=None, strict=False):
    """Create a resource, or update it when ``source`` and ``source_id`` name an existing one.

    Without ``structure_id`` the structure is found by name or created (see
    `_structure_for`). Without coordinates the address is geocoded; when the geocoder cannot
    be reached or finds nothing the resource is still saved, without a point, and the
    returned note says "adresse non localisée". Returns a Saved.
    """
    clean = clean_resource(record, area=area, strict=strict)
    saved = stage_resource(clean, area=area, geocoder=geocoder)
    _commit()
    return saved


def update_resource(resource_id, record, *, area, geocoder=None, strict=False):
    """Update the fields present in ``record``; a changed address without coordinates is geocoded."""
    resource = _locked(Resource, resource_id)
    if resource is None:
        raise NotFound("Ressource introuvable.")
    clean = clean_resource(record, area=area, strict=strict, partial=True)
    if "categories" in clean and not clean["categories"]:
        raise ValidationFailed.field("categories", "Indiquez au moins une catégorie.")
    point, note = _resolve_point(clean, geocoder=geocoder, area=area, current=resource,
                                 cleared="point" in clean and clean["point"] is None)
    if clean.get("structure_id") or clean.get("structure_name"):
        resource.structure = _structure_for(clean, point=point)
    _apply_resource(resource, clean, point)
    _commit()
    return Saved(resource, False, note)


def set_resource_active(resource_id, active):
    """Deactivate (hidden from searches and matching, kept for history) or reactivate."""
    resource = _locked(Resource, resource_id)
    if resource is None:
        raise NotFound("Ressource introuvable.")
    resource.active = bool(active)
    db.session.commit()
    return resource


def get_resource(resource_id, *, include_inactive=False):
    """Return a resource; an inactive one only to those allowed to manage it (else 404)."""
    resource = db.session.get(Resource, parse_uuid(resource_id))
    if resource is None or (not resource.active and not include_inactive):
        raise NotFound("Ressource introuvable.")
    return resource


def list_resources(*, search=None, inactive=False, limit=200):
    """Resources for the management list: by name, structure or address; active or inactive."""
    statement = select(Resource).join(Structure).where(Resource.active.is_(not inactive))
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Resource.name.ilike(pattern), Structure.name.ilike(pattern),
                                        Resource.address.ilike(pattern)))
    return db.session.scalars(statement.order_by(Resource.name, Resource.id).limit(limit)).unique().all()


def list_structures(*, search=None, limit=200):
    statement = select(Structure)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Structure.name.ilike(pattern), Structure.address.ilike(pattern)))
    return db.session.scalars(statement.order_by(Structure.name, Structure.id).limit(limit)).all()


def resources_in_bbox(bbox, *, categories=(), limit=1000):
    """Active located resources in a (minlon, minlat, maxlon, maxlat) box, nearest the centre first.

    Returns (rows, truncated). Each row is (Resource, structure name, lon, lat).
    """
    from geo.queries import geog_point, in_bbox, nearest
    centre = geog_point((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    statement = (select(Resource, Structure.name, func.ST_X(func.geometry(Resource.point)),
                        func.ST_Y(func.geometry(Resource.point)))
                 .join(Structure, Structure.id == Resource.structure_id)
                 .where(Resource.active.is_(True), Resource.point.isnot(None),
                        in_bbox(Resource.point, bbox)))
    if categories:
        statement = statement.where(Resource.categories.overlap(list(categories)))
    rows = db.session.execute(statement.order_by(nearest(Resource.point, centre), Resource.id)
                              .limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


# --- relays ------------------------------------------------------------------------------

def clean_relay(record, *, area, max_radius_m, strict=False, partial=False):
    """Validate a relay record; return the clean values (only those present with ``partial``)."""
    if not isinstance(record, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    check = _Checker(record, strict=strict)
    clean = {}
    def required(name):
        return not partial or name in record

    clean["display_name"] = check.text("display_name", label="Le nom affiché", max_length=120,
                                       required=required("display_name"))
    # The point may come from the address (geocoded by the caller's use case).
    clean["point"] = check.point(area=area, required=False)
    clean["address"] = check.text("address", label="L'adresse", max_length=300)
    if not partial and clean["point"] is None and not clean["address"] and not (
            check.has("lat") or check.has("lon")):
        check.missing("lat", "La latitude est obligatoire.")
        check.missing("lon", "La longitude est obligatoire.")
    radius = check.integer("radius_m", label="Le rayon d'action", required=required("radius_m"),
                           minimum=1)
    if radius is not None and radius > max_radius_m:
        check.fail("radius_m", f"Le rayon d'action ne peut pas dépasser {max_radius_m} mètres.")
        radius = None
    clean["radius_m"] = radius
    clean["capacity"] = check.integer("capacity", label="La capacité", required=required("capacity"),
                                      minimum=0, maximum=1000)
    clean["languages"] = _languages(check)
    skills = check.string_list("skills", label="Les compétences")
    if skills is not None and any(len(s) > 100 for s in skills):
        check.fail("skills", "Chaque compétence doit faire au plus 100 caractères.")
    clean["skills"] = list(dict.fromkeys(skills)) if skills is not None else None
    clean["availability"] = _hours(check, "availability", label="Les disponibilités")
    email = check.text("email", label="L'adresse e-mail du compte", max_length=254)
    clean["email"] = email.lower() if email else None
    check.raise_if_any()
    present = set(record) | ({"point"} if {"lat", "lon"} & set(record) else set())
    if partial:
        return {k: v for k, v in clean.items() if k in present}
    for name, default in (("languages", []), ("skills", []), ("capacity", 3)):
        if clean[name] is None:
            clean[name] = default
    return clean


def _account_for(email, *, relay=None):
    user = db.session.scalar(select(User).where(User.email == email).with_for_update())
    if user is None:
        raise ValidationFailed.field("email", f"Aucun compte n'existe pour {email}.")
    if user.role != Role.RELAY.value:
        raise ValidationFailed.field("email", f"Le compte {email} n'est pas un compte de bienveilleur.")
    linked = db.session.scalar(select(Relay.id).where(Relay.user_id == user.id))
    if linked is not None and (relay is None or linked != relay.id):
        raise ValidationFailed.field("email", f"Le compte {email} est déjà rattaché à un autre bienveilleur.")
    return user


def _relay_point(clean, *, geocoder, area, required):
    if clean.get("point"):
        return clean["point"]
    if clean.get("address"):
        location = locate_address(clean["address"], geocoder=geocoder, area=area)
        if location.point is None:
            raise ValidationFailed.field(
                "address", f"Position du bienveilleur impossible à déterminer : {location.note}. "
                "Indiquez la latitude et la longitude, ou placez le point sur la carte.")
        return location.point
    if required:
        raise BadRequest("La latitude et la longitude sont obligatoires.",
                         details=[{"field": "lat", "message": "Obligatoire."},
                                  {"field": "lon", "message": "Obligatoire."}])
    return None


def _apply_relay(relay, clean):
    for name in ("display_name", "radius_m", "capacity", "languages", "skills", "availability"):
        if name in clean and clean[name] is not None:
            setattr(relay, name, clean[name])
    if "availability" in clean and clean["availability"] is None:
        relay.availability = None


def register_relay(record, *, area, max_radius_m, geocoder=None, strict=False):
    """Register a relay (POST /api/v1/relays and the coordinators' page).

    ``email`` optionally links an existing account of role relay not yet linked (422
    otherwise). The point comes from lat/lon, or from the address through the geocoder;
    a relay needs a point, so an address that cannot be located is a 422.
    """
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict)
    point = _relay_point(clean, geocoder=geocoder, area=area, required=True)
    relay = Relay(display_name=clean["display_name"], point=_geography(point), status="active",
                  active_referrals=0)
    _apply_relay(relay, clean)
    if clean["email"]:
        relay.user_id = _account_for(clean["email"]).id
    db.session.add(relay)
    _commit_relay()
    return relay


def _commit_relay():
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed.field("email", "Ce compte est déjà rattaché à un autre bienveilleur.") from None


def update_relay(relay_id, record, *, area, max_radius_m, geocoder=None, strict=False):
    """Update the fields of a relay present in ``record``; ``email`` "" unlinks the account."""
    relay = _locked(Relay, relay_id)
    if relay is None:
        raise NotFound("Bienveilleur introuvable.")
    clean = clean_relay(record, area=area, max_radius_m=max_radius_m, strict=strict, partial=True)
    if clean.get("point") or clean.get("address"):
        relay.point = _geography(_relay_point(clean, geocoder=geocoder, area=area, required=True))
    _apply_relay(relay, clean)
    if "email" in clean:
        relay.user_id = _account_for(clean["email"], relay=relay).id if clean["email"] else None
    _commit_relay()
    return relay


def update_own_profile(user, record, *, max_radius_m, strict=False):
    """Let a relay change their own availability and action radius (and nothing else)."""
    relay = db.session.scalar(select(Relay).where(Relay.user_id == user.id).with_for_update(of=Relay))
    if relay is None:
        raise NotFound("Aucune fiche de bienveilleur n'est rattachée à votre compte.")
    check = _Checker(record, strict=strict)
    radius = check.integer("radius_m", label="Le rayon d'action", minimum=1, required=True)
    if radius is not None and radius > max_radius_m:
        check.fail("radius_m", f"Le rayon d'action ne peut pas dépasser {max_radius_m} mètres.")
    availability = _hours(check, "availability", label="Les disponibilités")
    check.raise_if_any()
    relay.radius_m = radius
    relay.availability = availability
    db.session.commit()
    return relay


def set_relay_status(relay_id, status):
    """Pause (no new people proposed; current ones stay) or resume a relay."""
    if status not in ("active", "paused"):
        raise ValidationFailed.field("status", "Statut inconnu : active ou paused.")
    relay = _locked(Relay, relay_id)
    if relay is None or relay.status == "ended":
        raise NotFound("Bienveilleur introuvable.")
    relay.status = status
    db.session.commit()
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
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.outerjoin(User, User.id == Relay.user_id).where(
            or_(Relay.display_name.ilike(pattern), User.email.ilike(pattern)))
    return db.session.scalars(statement.order_by(Relay.display_name, Relay.id).limit(limit)).unique().all()
