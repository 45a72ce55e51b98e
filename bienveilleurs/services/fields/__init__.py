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

from .reader import NOT_AN_OBJECT, FieldReader, require_object
from .rules import clean_text, is_web_address, one_of, parse_uuid
from .values import Fields, QueryFields, whole_record

__all__ = [
    "NOT_AN_OBJECT", "FieldReader", "Fields", "QueryFields", "clean_text", "is_web_address",
    "one_of", "parse_uuid", "require_object", "whole_record",
]
