"""What every reader produces: rows in the directory's record shape, and their problems."""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field

from ..csv_safe import unescape_cell
from .files import plain_key

# Records exported by this application carry this source and their own UUID as source_id:
# importing them back updates the same rows (by id) instead of creating copies.
LOCAL_SOURCE = "bienveilleurs"


@dataclass
class Problem:
    """One reason a record (or a whole file) is refused, in French."""

    file: str
    position: str | None  # "ligne 12", "élément 3"; None for the whole file
    field: str | None
    message: str
    name: str | None = None  # the record's name, when known, to help find it

    def as_dict(self):
        return {"file": self.file, "position": self.position, "field": self.field,
                "message": self.message, "name": self.name}

    def __str__(self):
        where = self.file + (f", {self.position}" if self.position else "")
        what = f"{self.field} : " if self.field else ""
        return f"{where} — {what}{self.message}"


@dataclass
class Row:
    """One record read from a file, in the shape `directory.clean_resource` expects."""

    file: str
    position: str
    values: dict
    problems: list = field(default_factory=list)  # [(field, message)] found while reading
    structure_key: tuple | None = None  # (source, source_id) of the structure it belongs to
    fields: dict = field(default_factory=dict)  # our field name → the file's own name

    @property
    def name(self):
        value = self.values.get("name")
        return value if isinstance(value, str) else None

    def problem(self, field_name, message):
        self.problems.append((field_name, message))


@dataclass
class Raw:
    """A record not yet turned into a Row (built where it is checked, maybe in a worker)."""

    kind: str  # "structure" or "resource"
    file: str
    position: str
    record: object
    fields: dict = field(default_factory=dict)


def local_id(source, source_id):
    """Return the UUID a record of this application's own export refers to, or None."""
    if source != LOCAL_SOURCE or not source_id:
        return None
    try:
        return uuid.UUID(str(source_id))
    except ValueError:
        return None


# Column or property names accepted for each field (compared without case or accents).
ALIASES = {
    "name": ("name", "nom"),
    "description": ("description", "presentation_resume"),
    "categories": ("categories", "categorie", "thematiques", "thematique", "category"),
    "audiences": ("audiences", "publics", "public"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "address": ("address", "adresse"),
    "postal_code": ("postal_code", "code_postal", "cp", "postcode"),
    "city": ("city", "commune", "ville"),
    "phone": ("phone", "telephone", "tel"),
    "email": ("email", "courriel", "e_mail", "mail"),
    "website": ("website", "site_web", "url", "site", "lien_source"),
    "opening_hours": ("opening_hours", "horaires_accueil", "horaires"),
    "languages": ("languages", "langues"),
    "accessible": ("accessible", "accessibilite"),
    "structure_name": ("structure", "structure_name", "structure_nom"),
    "structure_id": ("structure_id",),
    "source": ("source",),
    "source_id": ("source_id", "id"),
}
LIST_FIELDS = ("categories", "audiences", "languages")
_LOOKUP = {plain_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}


def match_columns(columns):
    """Map our field names to the given column names; return (mapping, unknown columns)."""
    mapping, unknown = {}, []
    for column in columns:
        name = _LOOKUP.get(plain_key(column))
        if name is None:
            unknown.append(column)
        elif name not in mapping or (name == "source_id" and plain_key(column) == "source_id"):
            mapping[name] = column
    return mapping, unknown


def split_list(value):
    """Read a list cell: a JSON array, a PostgreSQL array {a,b}, or values split by | , or ;."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if v is not None and str(v).strip()]
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    for separator in ("|", ",", ";"):
        if separator in text:
            return [part.strip().strip('"') for part in text.split(separator) if part.strip()]
    return [text]


def cell(value, *, spreadsheet=False):
    """Clean one value: blank → None; for CSV, the spreadsheet escape (see csv_safe) undone."""
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    if spreadsheet:
        value = unescape_cell(value)
    return value if value.strip() else None


def values_from(record, mapping, *, spreadsheet=False):
    """Build the directory record from a flat record using a column mapping."""
    values = {}
    for name, column in mapping.items():
        raw = cell(record.get(column), spreadsheet=spreadsheet)
        values[name] = split_list(raw) if name in LIST_FIELDS else raw
    return values


def automatic_source_id(values):
    """A stable identifier for a record that has none: its name and its place.

    Re-importing the same file then updates the same resources instead of duplicating them.
    """
    name = " ".join(str(values.get("name") or "").split()).casefold()
    place = "|".join(str(values.get(k) or "").strip().casefold()
                     for k in ("lat", "lon", "address", "postal_code", "city"))
    return "auto-" + hashlib.sha1(f"{name}|{place}".encode()).hexdigest()[:20]


_SPACE = re.compile(r"\s+")


def name_key(name):
    """Compare structure names without case or repeated spaces."""
    return _SPACE.sub(" ", name.strip()).lower()
