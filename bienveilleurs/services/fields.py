"""Field rules: the one way every service and importer reads a value from outside.

A `Fields` reads one record (a JSON body, a form, a query string, an imported row) and
collects every problem instead of stopping at the first; `done()` then raises one error
whose details name each field, in French:

- `BadRequest` (400) when a required value is missing or has the wrong JSON type,
- `ValidationFailed` (422) when values are well-formed but not acceptable.

With ``strict=True`` (JSON bodies) a value of the wrong JSON type is a 400; without it
(form fields, query strings, CSV cells) text is accepted where numbers, booleans or lists
are expected, and a wrong value is a 422. Each reader returns the clean value, or None
when the value is absent or was refused (the problem is recorded).

Text never carries NUL, other control characters or unpaired UTF-16 surrogates: the
database refuses the first, UTF-8 cannot encode the last, and none is ever typed by a
person. No parser exception (URL, date, UUID, number) escapes as anything but a problem
on its field.

    fields = Fields(payload, strict=True)
    name = fields.text("name", label="Le nom", max_length=200, required=True)
    phone = fields.phone("phone")
    point = fields.point(area=area, required=True)
    fields.done()
"""

import re
import uuid
from datetime import UTC, datetime

from geo.errors import GeoError
from geo.hours import validate_opening_hours
from geo.points import parse_point

from ..errors import BadRequest, ValidationFailed
from .codes import check_audiences, check_categories, expand_categories
from .field_rules import (
    EMAIL_MAX,
    EMAIL_RE,
    FALSE_WORDS,
    LANGUAGE_RE,
    PHONE_MAX,
    PHONE_RE,
    POSTAL_CODE_RE,
    SIRET_RE,
    TRUE_WORDS,
    URL_MAX,
    clean_text,
    is_web_address,
    parse_uuid,
    whole_number,
)

NOT_AN_OBJECT = "Le corps de la requête doit être un objet JSON."


def require_object(record):
    """Raise BadRequest unless `record` is a JSON object (a dict)."""
    if not isinstance(record, dict):
        raise BadRequest(NOT_AN_OBJECT)
    return record


def _default_label(name):
    return f"Le champ {name}"


class Fields:
    """Read fields from one record, collecting problems instead of stopping at the first."""

    def __init__(self, record, *, strict, prefix=""):
        self.record = record if record is not None else {}
        self.strict = strict
        self.prefix = prefix  # "resident." for a nested object: the field names say where
        self.malformed = []  # 400: missing or wrong type
        self.invalid = []  # 422: well-formed but not acceptable

    # --- recording problems ------------------------------------------------------------

    def _name(self, name):
        return self.prefix + name

    def has(self, name):
        """Tell whether `name` carries a value (not absent, not None, not blank text)."""
        value = self.record.get(name)
        return not (value is None or (isinstance(value, str) and not value.strip()))

    def missing(self, name, message):
        self.malformed.append({"field": self._name(name), "message": message})

    def bad_type(self, name, message):
        problem = {"field": self._name(name), "message": message}
        (self.malformed if self.strict else self.invalid).append(problem)

    def fail(self, name, message):
        self.invalid.append({"field": self._name(name), "message": message})

    def failed(self, name):
        """Tell whether a problem was recorded for `name`."""
        field = self._name(name)
        return any(p["field"] == field for p in self.malformed + self.invalid)

    @property
    def ok(self):
        return not (self.malformed or self.invalid)

    def done(self):
        """Raise the collected problems as one error (400 before 422); return None if none."""
        if self.malformed:
            first = self.malformed[0]["message"]
            raise BadRequest(first if len(self.malformed) == 1 else
                             "Des champs obligatoires manquent ou sont d'un type incorrect.",
                             details=self.malformed + self.invalid)
        if self.invalid:
            first = self.invalid[0]["message"]
            raise ValidationFailed(first if len(self.invalid) == 1 else
                                   "Certaines valeurs sont invalides.", details=self.invalid)

    def _absent(self, name, *, required, label, message=None):
        if required:
            self.missing(name, message or f"{label} est obligatoire.")
        return None

    # --- readers -----------------------------------------------------------------------

    def text(self, name, *, label=None, max_length, required=False, multiline=False,
             missing_message=None):
        """Trimmed text of at most `max_length` characters (None when absent or blank)."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return self._absent(name, required=required, label=label, message=missing_message)
        if not isinstance(value, str):
            self.bad_type(name, f"{label} doit être du texte.")
            return None
        try:
            value = clean_text(value, multiline=multiline)
        except ValueError:
            self.fail(name, f"{label} contient des caractères invalides "
                            "(caractères de contrôle ou mal encodés).")
            return None
        if not value:
            return self._absent(name, required=required, label=label, message=missing_message)
        if len(value) > max_length:
            self.fail(name, f"{label} ne doit pas dépasser {max_length} caractères.")
            return None
        return value

    def choice(self, name, choices, *, label=None, required=False, missing_message=None):
        """One of `choices` (a mapping or a sequence of codes)."""
        label = label or _default_label(self._name(name))
        value = self.text(name, label=label, max_length=100, required=required,
                          missing_message=missing_message)
        if value is not None and value not in choices:
            self.fail(name, f"{label} doit valoir " + ", ".join(choices) + ".")
            return None
        return value

    def string_list(self, name, *, label=None, max_items=100, max_length=100):
        """A list of trimmed texts (a comma- or semicolon-separated text when not strict)."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if isinstance(value, str) and not self.strict:
            value = re.split(r"[,;]", value)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.bad_type(name, f"{label} doit être une liste de textes.")
            return None
        if len(value) > max_items:
            self.fail(name, f"{label} : au plus {max_items} éléments.")
            return None
        try:
            items = [clean_text(v) for v in value]
        except ValueError:
            self.fail(name, f"{label} contient des caractères invalides.")
            return None
        if any(len(v) > max_length for v in items):
            self.fail(name, f"{label} : chaque élément doit faire au plus {max_length} caractères.")
            return None
        return [v for v in items if v]

    def boolean(self, name, *, label=None, required=False):
        """true or false (and, when not strict, oui/non, 1/0, on/off…)."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        blank = isinstance(value, str) and not value.strip() and not self.strict
        if value is None or blank:
            return self._absent(name, required=required, label=label)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and not self.strict:
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        self.bad_type(name, f"{label} doit valoir true ou false.")
        return None

    def integer(self, name, *, label=None, minimum=None, maximum=None, required=False):
        """A whole number within [minimum, maximum]."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self._absent(name, required=required, label=label)
        number = whole_number(value, strict=self.strict)
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

    def uuid(self, name, *, label=None, required=False, missing_message=None):
        """An identifier (UUID)."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self._absent(name, required=required, label=label, message=missing_message)
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str):
            self.bad_type(name, f"{label} doit être un identifiant (UUID) sous forme de texte.")
            return None
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            self.fail(name, f"{label} n'est pas un identifiant valide (UUID attendu).")
            return None

    def datetime(self, name, *, label=None, required=False):
        """An ISO 8601 date-time with its UTC offset, returned in UTC."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return self._absent(name, required=required, label=label)
        if not isinstance(value, str):
            self.bad_type(name, f"{label} doit être une date ISO 8601 (texte).")
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(name, f"{label} doit être une date ISO 8601, "
                            "par exemple 2025-03-14T10:30:00+01:00.")
            return None
        if moment.tzinfo is None:
            self.fail(name, f"{label} doit préciser son décalage horaire "
                            "(par exemple +01:00 ou Z).")
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 shifted by the offset
            self.fail(name, f"{label} n'est pas une date plausible.")
            return None

    def phone(self, name="phone", *, label="Le numéro de téléphone", required=False):
        """A telephone number: digits, spaces, + . - ( ) /, between 4 and 15 digits."""
        phone = self.text(name, label=label, max_length=PHONE_MAX, required=required)
        if phone is None:
            return None
        digits = sum(c.isdigit() for c in phone)
        if not PHONE_RE.fullmatch(phone) or not 4 <= digits <= 15:
            self.fail(name, f"{label} n'est pas valide (exemple : 02 35 00 00 00).")
            return None
        return phone

    def email(self, name="email", *, label="L'adresse e-mail", required=False):
        """An e-mail address, in lower case."""
        email = self.text(name, label=label, max_length=EMAIL_MAX, required=required)
        if email is None:
            return None
        email = email.lower()
        if not EMAIL_RE.fullmatch(email):
            self.fail(name, f"{label} n'est pas valide (exemple : accueil@exemple.fr).")
            return None
        return email

    def url(self, name="website", *, label="Le site web", required=False):
        """A web address (http or https; https:// is added when no scheme is written)."""
        website = self.text(name, label=label, max_length=URL_MAX, required=required)
        if website is None:
            return None
        if "://" not in website:
            website = "https://" + website
        if not is_web_address(website):
            self.fail(name, f"{label} doit être une adresse web (exemple : https://exemple.fr).")
            return None
        return website

    def languages(self, name="languages", *, label="Les langues"):
        """ISO 639-1 codes (two letters), lower case, without duplicates."""
        values = self.string_list(name, label=label)
        if values is None:
            return None
        languages = list(dict.fromkeys(v.lower() for v in values))
        bad = [v for v in languages if not LANGUAGE_RE.fullmatch(v)]
        if bad:
            self.fail(name, "Langue inconnue : " + ", ".join(bad[:5]) +
                      " (codes ISO 639-1 à deux lettres attendus, par exemple fr, ar, en).")
            return None
        return languages

    def categories(self, name="categories", *, label="Les catégories", expand=False):
        """data·inclusion `thematiques` codes; with `expand`, a category means its sub-codes."""
        values = self.string_list(name, label=label)
        if values is None:
            return None
        try:
            return expand_categories(values) if expand else check_categories(values)
        except ValidationFailed as exc:
            self.fail(name, exc.message)
            return None

    def audiences(self, name="audiences", *, label="Les publics"):
        """data·inclusion `publics` codes."""
        values = self.string_list(name, label=label)
        if values is None:
            return None
        try:
            return check_audiences(values)
        except ValidationFailed as exc:
            self.fail(name, exc.message)
            return None

    def opening_hours(self, name="opening_hours", *, label="Les horaires d'ouverture"):
        """Opening hours in OpenStreetMap syntax."""
        value = self.text(name, label=label, max_length=255)
        if value is None:
            return None
        try:
            validate_opening_hours(value)
        except GeoError as exc:
            self.fail(name, exc.message.replace("Les horaires d'ouverture", label))
            return None
        return value

    def point(self, *, area, required, lat="lat", lon="lon", missing_message=None):
        """Return (lon, lat) or None; both come together or not at all, inside `area`."""
        has_lat, has_lon = self.has(lat), self.has(lon)
        if not has_lat and not has_lon:
            if required:
                self.missing(lat, missing_message or "La latitude est obligatoire.")
                self.missing(lon, missing_message or "La longitude est obligatoire.")
            return None
        if not has_lat or not has_lon:
            name = lat if not has_lat else lon
            axis = "La latitude" if name == lat else "La longitude"
            self.missing(name, f"{axis} est obligatoire quand l'autre coordonnée est donnée.")
            return None
        values = {lat: self.record.get(lat), lon: self.record.get(lon)}
        if self.strict:
            wrong = [n for n, v in values.items()
                     if isinstance(v, bool) or not isinstance(v, (int, float, str))]
            for name in wrong:
                axis = "La latitude" if name == lat else "La longitude"
                self.missing(name, f"{axis} doit être un nombre (degrés décimaux).")
            if wrong:
                return None
        try:
            return parse_point(values[lat], values[lon], area=area, lat_field=self._name(lat),
                               lon_field=self._name(lon))
        except GeoError as exc:
            self.invalid.append({"field": exc.field or f"{self._name(lat)},{self._name(lon)}",
                                 "message": exc.message})
            return None

    def uuids(self, name, *, label=None):
        """Identifiers (UUID, as text or UUID objects) in a list, without duplicates."""
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            self.bad_type(name, f"{label} doit être une liste d'identifiants.")
            return None
        ids = [parse_uuid(v) for v in value]
        if None in ids:
            self.fail(name, f"{label} : identifiant invalide (UUID attendu).")
            return None
        return list(dict.fromkeys(ids))

    def category(self, name="category", *, label="Le besoin", required=False,
                 missing_message=None):
        """One data·inclusion `thematiques` code (a category or a sub-category)."""
        value = self.text(name, label=label, max_length=100, required=required,
                          missing_message=missing_message)
        if value is None:
            return None
        try:
            return check_categories([value], field=self._name(name))[0]
        except ValidationFailed as exc:
            self.fail(name, exc.message)
            return None

    def nested(self, name, *, label=None):
        """Return a `Fields` for the JSON object under `name`, collecting its problems here.

        Its field names are prefixed ("resident.lat"). None when the value is absent; a
        value that is not an object is a type problem.
        """
        label = label or _default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.bad_type(name, f"{label} doit être un objet.")
            return None
        inner = Fields(value, strict=self.strict, prefix=self._name(name) + ".")
        inner.malformed, inner.invalid = self.malformed, self.invalid
        return inner

    def siret(self, name="siret", *, label="Le SIRET"):
        """A SIRET number: 14 digits (spaces between groups dropped)."""
        return self._spaced_code(name, label, 20, SIRET_RE, "doit comporter 14 chiffres")

    def postal_code(self, name="postal_code", *, label="Le code postal"):
        """A French postal code: 5 digits (2A/2B for Corsica), spaces dropped."""
        return self._spaced_code(name, label, 10, POSTAL_CODE_RE, "doit comporter 5 chiffres")

    def _spaced_code(self, name, label, max_length, pattern, rule):
        code = self.text(name, label=label, max_length=max_length)
        code = code.replace(" ", "") if code is not None else None
        if code is not None and not pattern.fullmatch(code):
            self.fail(name, f"{label} {rule}.")
            return None
        return code


def whole_record(record, *, strict=True):
    """Return a `Fields` for a JSON object (BadRequest at once when it is not one)."""
    return Fields(require_object(record), strict=strict)


class QueryFields(Fields):
    """Read a query string: typed text, but a word where a number or a flag is expected makes
    the request malformed (400), as a wrong JSON type does; a value out of range stays a 422."""

    def __init__(self, args, *, prefix=""):
        super().__init__(args, strict=False, prefix=prefix)

    bad_type = Fields.missing  # in a query string, the wrong kind of value is malformed
