"""The values of the OpenAPI document: each field rule said as JSON Schema (texts without
control characters, phones, e-mails, web addresses, codes, coordinates)."""

from ....models import OUTCOMES, STATUSES
from ....services.codes import publics, thematiques
from ....services.fields.rules import EMAIL_MAX, PHONE_MAX, URL_MAX

_CONTROL = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_BLANK = r" \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT = f"^[^{_CONTROL}]*$"
FILLED_TEXT = f"^[^{_CONTROL}]*[^{_BLANK}{_CONTROL}][^{_CONTROL}]*$"
_SPACE = f"[{_BLANK}]*"
PHONE = rf"^{_SPACE}\+?[{_BLANK}.\-()/]*(?:[0-9][{_BLANK}.\-()/]*){{4,15}}$"
_EMAIL_PART = f"[^@{_BLANK}{_CONTROL}]+"
EMAIL = rf"^{_SPACE}{_EMAIL_PART}@{_EMAIL_PART}\.[^@.{_BLANK}{_CONTROL}]+{_SPACE}$"
WEB = (r"^(?:[hH][tT][tT][pP][sS]?://)?[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::[0-9]{1,4})?"
       rf"(?:/[^{_BLANK}{_CONTROL}]*)?$")
UUID = {"type": "string", "format": "uuid"}
NULL_UUID = {"type": ["string", "null"], "format": "uuid"}
NULL_TEXT = {"type": ["string", "null"]}
NULL_NUMBER = {"type": ["number", "null"]}
ANY_TEXT = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
STATUS = {"type": "string", "enum": list(STATUSES)}
OUTCOME = {"type": ["string", "null"], "enum": [*OUTCOMES, None]}


def text(max_length, *, required=False, description=None):
    """A text as `Fields.text` reads it (at most `max_length` characters, trimmed)."""
    schema = {"type": "string", "maxLength": max_length,
              "pattern": FILLED_TEXT if required else TEXT}
    if required:
        schema["minLength"] = 1
    if description:
        schema["description"] = description
    return schema


def codes(values, description, *, max_items=100, min_items=0):
    """A list of codes, each one of `values`; in a list that may be empty, blank items are
    dropped (and so allowed)."""
    item = {"type": "string", "enum": sorted(values)}
    schema = {"type": "array", "maxItems": max_items, "description": description,
              "items": {"anyOf": [item, {"type": "string", "pattern": f"^[{_BLANK}]*$"}]}}
    if min_items:
        schema.update(minItems=min_items, items=item)
    return schema


def _categories(**kwargs):
    return codes(thematiques(), "codes « thematiques » de data·inclusion ; un code de premier "
                 "niveau vaut pour ses sous-codes", **kwargs)


def _audiences():
    return codes(publics(), "codes « publics » de data·inclusion")


LANGUAGES = {"type": "array", "maxItems": 100, "description": "codes ISO 639-1",
             "items": {"type": "string", "pattern": f"^{_SPACE}(?:[a-zA-Z]{{2}})?{_SPACE}$"}}
PHONE_NUMBER = {"type": "string", "maxLength": PHONE_MAX, "pattern": PHONE,
                "description": "de 4 à 15 chiffres ; espaces, + . - ( ) / permis",
                "example": "02 35 00 00 00"}
EMAIL_ADDRESS = {"type": "string", "maxLength": EMAIL_MAX, "pattern": EMAIL,
                 "example": "accueil@exemple.fr"}
WEBSITE = {"type": "string", "maxLength": URL_MAX - len("https://"), "pattern": WEB,
           "description": "http ou https (https:// ajouté sans schéma)",
           "example": "https://exemple.fr"}
OPENING_HOURS = {"type": "string", "maxLength": 255, "pattern": TEXT,
                 "description": "syntaxe OpenStreetMap opening_hours",
                 "example": "Mo-Fr 09:00-17:00"}


def blank_or_absent():
    """A value the field rules read as absent: null, or a text of white space only."""
    return {"type": ["string", "null"], "pattern": f"^[{_BLANK}]*$"}


def paired(first, second, max_lengths):
    """Both texts given (not blank), or neither (absent, null or blank)."""
    return {"anyOf": [
        {"properties": {first: blank_or_absent(), second: blank_or_absent()}},
        {"required": [first, second],
         "properties": {first: text(max_lengths[0], required=True),
                        second: text(max_lengths[1], required=True)}}]}


def absent_when_blank(schema):
    """Say how the field rules read an optional property: null means absent, and so does a
    blank text in place of a text, a number or an identifier."""
    required = set(schema.get("required", ()))
    properties = schema["properties"]
    for name, prop in list(properties.items()):
        if name in required or "type" not in prop:
            continue
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        if {"string", "integer", "number"} & set(kinds):
            properties[name] = {"anyOf": [prop, blank_or_absent()]}
        else:
            properties[name] = {**prop, "type": [*kinds, "null"]}
    return schema


def coordinates(area):
    """lat and lon, inside the service area (SERVICE_AREA)."""
    return {"lat": {"type": "number", "minimum": area.min_lat, "maximum": area.max_lat,
                    "description": "latitude, degrés décimaux (WGS84), dans SERVICE_AREA"},
            "lon": {"type": "number", "minimum": area.min_lon, "maximum": area.max_lon,
                    "description": "longitude, degrés décimaux (WGS84), dans SERVICE_AREA"}}
