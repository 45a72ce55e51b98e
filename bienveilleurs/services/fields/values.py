"""`Fields`: the readers of particular values, on top of the generic `FieldReader`."""

from datetime import UTC, datetime, timedelta

from geo.errors import GeoError
from geo.hours import validate_opening_hours
from geo.points import parse_point
from geo.viewport import parse_box

from ... import clock
from ...errors import ValidationFailed
from ..codes import check_audiences, check_categories, expand_categories
from .reader import FieldReader, must, require_object
from .rules import (
    EMAIL_MAX,
    EMAIL_RE,
    LANGUAGE_RE,
    LOCAL_DATETIME_RE,
    PHONE_MAX,
    PHONE_RE,
    POSTAL_CODE_RE,
    SIRET_RE,
    URL_MAX,
    is_web_address,
)

# How far ahead of the server a phone's clock may be before its « at » is refused.
PHONE_CLOCK_SKEW = timedelta(minutes=10)


class Fields(FieldReader):
    """Read one record: every reader of `FieldReader`, and the rules for particular values."""

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
        # At most URL_MAX characters once https:// is added.
        website = self.text(name, label=label, max_length=URL_MAX - len("https://"),
                            required=required)
        if website is None:
            return None
        if "://" not in website:
            website = "https://" + website
        if not is_web_address(website):
            self.fail(name, f"{label} {must(label)} être une adresse web "
                            "(exemple : https://exemple.fr).")
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

    def local_datetime(self, name, *, label, required=False):
        """A date and time: ISO 8601 with its offset, or without one (a `datetime-local`
        field: 2026-03-14T10:30) in the city's time zone; returned in UTC."""
        value = self.record.get(name)
        if isinstance(value, str) and value.strip() and LOCAL_DATETIME_RE.fullmatch(value.strip()):
            try:
                moment = datetime.fromisoformat(value.strip()).replace(tzinfo=clock.PARIS)
            except ValueError:
                self.fail(name, f"{label} n'est pas une date valide (jj/mm/aaaa hh:mm).")
                return None
            return moment.astimezone(UTC)
        return self.datetime(name, label=label, required=required)

    def phone_write(self, *, of=None):
        """(client id, time, in UTC) of something written on a phone, perhaps offline: the
        UUID the phone chose (`id`, what makes a retry harmless) and when it happened (`at`,
        never later than now, give or take the phones' clocks). `of`: « du contact »…"""
        write_id = self.uuid("id", required=True, missing_message=(
            "Le champ id (identifiant UUID choisi par le téléphone) est obligatoire."))
        label = f"La date {of}" if of else "La date"
        at = self.datetime("at", label=label, required=True)
        if at is not None and at > clock.now() + PHONE_CLOCK_SKEW:
            self.fail("at", f"{label} est dans le futur.")
        return write_id, at

    def zone(self, name="zone", *, label="La zone", required=False):
        """A map's box: (west, south, east, north) from "ouest,sud,est,nord", or None."""
        value = self.text(name, label=label, max_length=120, required=required)
        if value is None:
            return None
        try:
            return parse_box(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

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

