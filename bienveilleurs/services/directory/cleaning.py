"""The field rules of a structure or a resource record, read through `services.fields`.

Pure functions: no database, so the importers run them record by record, possibly in
worker processes. Every problem of a record is collected and raised at once, each on its
field: `BadRequest` (400) when a required value is missing or of the wrong JSON type,
`ValidationFailed` (422) when values are well-formed but invalid.
"""

from ..fields import whole_record

SATURATIONS = {"available": "Places disponibles", "limited": "Places limitées",
               "full": "Complet"}
NO_CATEGORY = "Indiquez au moins une catégorie."


def present(clean, record):
    """Keep the clean values of the fields ``record`` carries (an update); lat/lon → point."""
    names = set(record)
    if {"lat", "lon"} & names:
        names.add("point")
    return {name: value for name, value in clean.items() if name in names}


def contact_fields(fields):
    """Phone, e-mail and website, shared by structures and resources."""
    return {"phone": fields.phone(), "email": fields.email(), "website": fields.url()}


def source_fields(fields, *, paired):
    """Where a record comes from: (source, source_id); with ``paired``, both or neither."""
    source = fields.text("source", label="La source", max_length=100)
    source_id = fields.text("source_id", label="L'identifiant dans la source", max_length=200)
    if paired and bool(source) != bool(source_id):
        fields.fail("source_id" if source else "source",
                    "La source et l'identifiant dans la source vont ensemble.")
    return {"source": source, "source_id": source_id}


def clean_structure(record, *, area, strict=False, partial=False):
    """Validate a structure record; return its clean values (those present with ``partial``)."""
    fields = whole_record(record, strict=strict)
    clean = {
        "name": fields.text("name", label="Le nom", max_length=200,
                            required=not partial or "name" in record),
        "siret": fields.siret(),
        "address": fields.text("address", label="L'adresse", max_length=300),
        **contact_fields(fields),
        "point": fields.point(area=area, required=False),
        **source_fields(fields, paired=False),
    }
    fields.done()
    return present(clean, record) if partial else clean


def clean_resource(record, *, area, strict=False, partial=False, require_position=True):
    """Validate one resource record (a JSON object, a form or an imported row).

    Returns a dict of clean values: name, description, categories, audiences, point
    ((lon, lat) or None), address, postal_code, city, phone, email, website, opening_hours,
    languages, accessible, capacity, saturation, structure_id, structure_name, active (only
    when given), source, source_id. With ``partial`` only the fields present in ``record``
    are returned (for updates).

    Categories are data·inclusion `thematiques` codes (at least one); audiences are
    `publics` codes; the point must lie inside ``area`` (a point with latitude and
    longitude swapped is recognised and the message says so). A new resource needs
    coordinates or an address to geocode, unless ``require_position`` is False (imports of
    records that have neither).
    """
    fields = whole_record(record, strict=strict)

    def required(name):
        return not partial or name in record

    clean = {
        "name": fields.text("name", label="Le nom", max_length=200, required=required("name")),
        "description": fields.text("description", label="La description", max_length=10_000,
                                   multiline=True) or "",
        "categories": _categories(fields, required=required("categories")),
        "audiences": fields.audiences() or [],
        **_place(fields, area=area, position_required=require_position and not partial),
        **contact_fields(fields),
        **_offer(fields),
        "structure_id": fields.uuid("structure_id", label="La structure"),
        "structure_name": fields.text("structure_name", label="Le nom de la structure",
                                      max_length=200),
    }
    active = fields.boolean("active", label="L'état actif")
    if active is not None:
        # Only when given: re-sending a record must not reactivate what a coordinator deactivated.
        clean["active"] = active
    clean.update(source_fields(fields, paired=True))
    fields.done()
    return present(clean, record) if partial else clean


def _categories(fields, *, required):
    """At least one data·inclusion category when the record must (or does) carry them."""
    categories = fields.categories()
    if categories == []:
        fields.fail("categories", NO_CATEGORY)
        return None
    if categories is None and required and fields.record.get("categories") is None:
        fields.missing("categories", "Indiquez au moins une catégorie "
                       "(codes « thematiques » de data·inclusion).")
    return categories


def _place(fields, *, area, position_required):
    """The point, and the address that may stand for it (a new resource needs one of them)."""
    point = fields.point(area=area, required=False)
    address = fields.text("address", label="L'adresse", max_length=300)
    if (position_required and point is None and not address
            and not fields.has("lat") and not fields.has("lon")):
        fields.missing("lat", "La latitude et la longitude sont obligatoires "
                       "(ou une adresse à localiser).")
        fields.missing("lon", "La longitude est obligatoire (ou une adresse à localiser).")
    return {"point": point, "address": address, "postal_code": fields.postal_code(),
            "city": fields.text("city", label="La commune", max_length=100)}


def _offer(fields):
    """When, in which languages and for how many the resource receives people."""
    return {
        "opening_hours": fields.opening_hours(),
        "languages": fields.languages() or [],
        "accessible": fields.boolean("accessible", label="L'accessibilité"),
        "capacity": fields.integer("capacity", label="La capacité", minimum=0,
                                   maximum=1_000_000),
        "saturation": fields.choice("saturation", SATURATIONS, label="La saturation"),
    }
