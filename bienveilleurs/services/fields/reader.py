"""The generic part of `Fields`: collecting problems, and readers of plain JSON types.

Text, choices, lists, booleans, whole numbers, identifiers, date-times and nested objects;
the readers of particular values (phone, e-mail, codes, a point…) are in `values.py`.
"""

import re
import uuid
from datetime import UTC, datetime

from ...errors import BadRequest, ValidationFailed
from .rules import (
    FALSE_WORDS,
    INTEGER_MAX,
    TRUE_WORDS,
    clean_text,
    one_of,
    parse_uuid,
    whole_number,
)

NOT_AN_OBJECT = "Le corps de la requête doit être un objet JSON."


def require_object(record):
    """Raise BadRequest unless `record` is a JSON object (a dict)."""
    if not isinstance(record, dict):
        raise BadRequest(NOT_AN_OBJECT)
    return record


def default_label(name):
    return f"Le champ {name}"


def agree(label, singular, plural):
    """Return the words that agree with a label: « Les langues » is plural."""
    return plural if label.startswith("Les ") else singular


def must(label):
    return agree(label, "doit", "doivent")


class FieldReader:
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
            required_words = agree(label, "est obligatoire", "sont obligatoires")
            self.missing(name, message or f"{label} {required_words}.")
        return None

    # --- readers -----------------------------------------------------------------------

    def text(self, name, *, label=None, max_length, required=False, multiline=False,
             missing_message=None):
        """Trimmed text of at most `max_length` characters (None when absent or blank)."""
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return self._absent(name, required=required, label=label, message=missing_message)
        if not isinstance(value, str):
            self.bad_type(name, f"{label} {must(label)} être du texte.")
            return None
        # The length is the one sent, before trimming: what a schema's maxLength says too.
        too_long = len(value) > max_length
        try:
            value = clean_text(value, multiline=multiline)
        except ValueError:
            self.fail(name, f"{label} contient des caractères invalides "
                            "(caractères de contrôle ou mal encodés).")
            return None
        if not value:
            return self._absent(name, required=required, label=label, message=missing_message)
        if too_long:
            self.fail(name, f"{label} ne {must(label)} pas dépasser {max_length} caractères.")
            return None
        return value

    def choice(self, name, choices, *, label=None, required=False, missing_message=None):
        """One of `choices` (a mapping or a sequence of codes)."""
        label = label or default_label(self._name(name))
        value = self.text(name, label=label, max_length=100, required=required,
                          missing_message=missing_message)
        if value is not None and value not in choices:
            self.fail(name, f"{label} {must(label)} valoir {one_of(choices)}.")
            return None
        return value

    def string_list(self, name, *, label=None, max_items=100, max_length=100):
        """A list of trimmed texts (a comma- or semicolon-separated text when not strict)."""
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if isinstance(value, str) and not self.strict:
            value = re.split(r"[,;]", value)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.bad_type(name, f"{label} {must(label)} être une liste de textes.")
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
        label = label or default_label(self._name(name))
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
        self.bad_type(name, f"{label} {must(label)} valoir true ou false.")
        return None

    def integer(self, name, *, label=None, minimum=None, maximum=INTEGER_MAX, required=False):
        """A whole number within [minimum, maximum] (at most PostgreSQL's integer by default)."""
        label = label or default_label(self._name(name))
        minimum = -INTEGER_MAX if minimum is None else minimum
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self._absent(name, required=required, label=label)
        number = whole_number(value, strict=self.strict)
        if number is None:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.fail(name, f"{label} {must(label)} être un nombre entier.")
            else:
                self.bad_type(name, f"{label} {must(label)} être un nombre entier.")
            return None
        if number < minimum:
            self.fail(name, f"{label} {must(label)} être au moins {minimum}.")
            return None
        if number > maximum:
            self.fail(name, f"{label} {must(label)} être au plus {maximum}.")
            return None
        return number

    def uuid(self, name, *, label=None, required=False, missing_message=None):
        """An identifier (UUID)."""
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return self._absent(name, required=required, label=label, message=missing_message)
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str):
            self.bad_type(name, f"{label} {must(label)} être un identifiant (UUID) "
                                "sous forme de texte.")
            return None
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            self.fail(name, f"{label} n'est pas un identifiant valide (UUID attendu).")
            return None

    def datetime(self, name, *, label=None, required=False):
        """An ISO 8601 date-time with its UTC offset, returned in UTC (an optional one left
        blank is absent)."""
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None or (not required and isinstance(value, str) and not value.strip()):
            return self._absent(name, required=required, label=label)
        if not isinstance(value, str):
            self.bad_type(name, f"{label} {must(label)} être une date ISO 8601 (texte).")
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(name, f"{label} {must(label)} être une date ISO 8601, "
                            "par exemple 2025-03-14T10:30:00+01:00.")
            return None
        if moment.tzinfo is None:
            self.fail(name, f"{label} {must(label)} préciser son décalage horaire "
                            "(par exemple +01:00 ou Z).")
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 shifted by the offset
            self.fail(name, f"{label} n'est pas une date plausible.")
            return None

    def uuids(self, name, *, label=None):
        """Identifiers (UUID, as text or UUID objects) in a list, without duplicates."""
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            self.bad_type(name, f"{label} {must(label)} être une liste d'identifiants.")
            return None
        ids = [parse_uuid(v) for v in value]
        if None in ids:
            self.fail(name, f"{label} : identifiant invalide (UUID attendu).")
            return None
        return list(dict.fromkeys(ids))

    def nested(self, name, *, label=None):
        """Return a `Fields` for the JSON object under `name`, collecting its problems here.

        Its field names are prefixed ("resident.lat"). None when the value is absent; a
        value that is not an object is a type problem.
        """
        label = label or default_label(self._name(name))
        value = self.record.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.bad_type(name, f"{label} {must(label)} être un objet.")
            return None
        inner = type(self)(value, strict=self.strict, prefix=self._name(name) + ".")
        inner.malformed, inner.invalid = self.malformed, self.invalid
        return inner

