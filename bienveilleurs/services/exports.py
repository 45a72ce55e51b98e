"""Export the directory's active resources: data·inclusion JSON, GeoJSON (RFC 7946), safe CSV.

Every record names its origin: resources imported from elsewhere keep their (source,
source_id); those created here carry the source `bienveilleurs` and their own id, so that
an export imported back updates the same resources (see `imports`).
"""

import json
from datetime import date

import pydantic
from data_inclusion.schema.v1 import Categorie, Service, Thematique
from data_inclusion.schema.v1 import Structure as DiStructure
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from geo.queries import lon_lat_of

from .. import clock
from ..extensions import db
from ..models import Resource, Structure
from .access_log import record_access
from .csv_safe import csv_chunks, csv_text
from .imports.records import LOCAL_SOURCE
from .transaction import use_case

FORMATS = {"data-inclusion": "data·inclusion (JSON)", "geojson": "GeoJSON", "csv": "CSV"}
CSV_COLUMNS = ("source", "source_id", "name", "description", "structure", "structure_id",
               "categories", "audiences", "lat", "lon", "address", "postal_code", "city", "phone",
               "email", "website", "opening_hours", "languages", "accessible")
_THEMATIQUES = {t.value for t in Thematique}
_SUB_CODES = {c.value: sorted(t for t in _THEMATIQUES if t.startswith(c.value + "--"))
              for c in Categorie}


def _rows():
    statement = (select(Resource, Structure, *lon_lat_of(Resource.point))
                 .join(Structure, Structure.id == Resource.structure_id)
                 .where(Resource.active.is_(True))
                 .order_by(Resource.name, Resource.id)
                 .options(lazyload(Resource.structure))  # selected above; no second join
                 .execution_options(yield_per=2000))
    yield from db.session.execute(statement)  # rows of (resource, structure, lon, lat)


def identity(item):
    """(source, source_id) under which a resource or a structure is exported."""
    if item.source and item.source_id:
        return item.source, item.source_id
    return LOCAL_SOURCE, str(item.id)


def structure_reference(resource, structure):
    """The structure id a record gives: the structure's source id when the sources agree."""
    source, _ = identity(resource)
    structure_source, structure_id = identity(structure)
    return structure_id if structure_source == source else str(structure.id)


# --- data·inclusion -------------------------------------------------------------------------

def _date(moment):
    return min(clock.local(moment).date() if moment else date.today(), date.today())


def _thematiques(categories):
    """data·inclusion services carry sub-codes only: a whole category stands for all of its own."""
    codes = set()
    for code in categories or ():
        if code in _THEMATIQUES:
            codes.add(code)
        else:
            codes.update(_SUB_CODES.get(code, ()))
    return sorted(codes) or None


def _publics(audiences):
    audiences = sorted(set(audiences or ()))
    if "tous-publics" in audiences and len(audiences) > 1:
        audiences.remove("tous-publics")  # the schema forbids mixing it with other publics
    return audiences or None


def _valid(model, record):
    """Return the record, without the optional fields the model refuses; None if still invalid."""
    for _ in range(3):
        try:
            model.model_validate(record)
            return record
        except pydantic.ValidationError as exc:
            fields = {error["loc"][0] for error in exc.errors() if error["loc"]}
            required = {name for name, info in model.model_fields.items() if info.is_required()}
            if fields & required or not fields:
                return None
            record = {k: (None if k in fields else v) for k, v in record.items()}
    return None


def data_inclusion_service(resource, structure, lon, lat):
    source, source_id = identity(resource)
    name = resource.name if len(resource.name) >= 3 else f"{resource.name} ({structure.name})"
    description = resource.description if len((resource.description or "").strip()) >= 5 else \
        f"Service proposé par {structure.name}."
    record = {
        "source": source,
        "structure_id": structure_reference(resource, structure),
        "id": source_id,
        "nom": name[:150],
        "description": description[:10000],
        "lien_source": resource.website,
        "date_maj": _date(resource.updated_at).isoformat(),
        "thematiques": _thematiques(resource.categories),
        "publics": _publics(resource.audiences),
        "commune": resource.city,
        "code_postal": resource.postal_code,
        "adresse": resource.address,
        "longitude": lon,
        "latitude": lat,
        "telephone": resource.phone,
        "courriel": resource.email,
        "horaires_accueil": resource.opening_hours,
    }
    return _valid(Service, record)


def data_inclusion_structure(structure, lon=None, lat=None):
    source, source_id = identity(structure)
    name = structure.name if len(structure.name) >= 3 else f"Structure {structure.name}"
    record = {
        "source": source,
        "id": source_id,
        "nom": name[:150],
        "date_maj": _date(structure.updated_at).isoformat(),
        "siret": structure.siret,
        "adresse": structure.address,
        "longitude": lon,
        "latitude": lat,
        "telephone": structure.phone,
        "courriel": structure.email,
        "site_web": structure.website,
    }
    return _valid(DiStructure, record)


def data_inclusion_services():
    """Return the list of data·inclusion services (each valid for the package's Service model)."""
    services = []
    for row in _rows():
        record = data_inclusion_service(*row)
        if record is not None:
            services.append(record)
    return services


def data_inclusion_structures():
    """Return the data·inclusion structures of the active resources."""
    offering = select(Resource.structure_id).where(Resource.active.is_(True))
    statement = (select(Structure, *lon_lat_of(Structure.point))
                 .where(Structure.id.in_(offering))
                 .order_by(Structure.name, Structure.id))
    records = (data_inclusion_structure(*row) for row in db.session.execute(statement))
    return [r for r in records if r is not None]


# --- GeoJSON and CSV ------------------------------------------------------------------------

def flat_record(resource, structure, lon, lat):
    source, source_id = identity(resource)
    return {
        "source": source, "source_id": source_id, "name": resource.name,
        "description": resource.description or "", "structure": structure.name,
        "structure_id": structure_reference(resource, structure),
        "categories": list(resource.categories or []), "audiences": list(resource.audiences or []),
        "lat": lat, "lon": lon, "address": resource.address, "postal_code": resource.postal_code,
        "city": resource.city, "phone": resource.phone, "email": resource.email,
        "website": resource.website, "opening_hours": resource.opening_hours,
        "languages": list(resource.languages or []), "accessible": resource.accessible,
    }


def _features():
    for resource, structure, lon, lat in _rows():
        properties = flat_record(resource, structure, lon, lat)
        properties.pop("lat")
        properties.pop("lon")
        yield {"type": "Feature", "id": str(resource.id),
               "geometry": ({"type": "Point", "coordinates": [lon, lat]} if lon is not None
                            else None),
               "properties": properties}


def geojson_collection():
    """Return a FeatureCollection; resources without a position have a null geometry."""
    return {"type": "FeatureCollection", "features": list(_features())}


def _csv_rows():
    for row in _rows():
        record = flat_record(*row)
        yield [("|".join(record[c]) if isinstance(record[c], list) else record[c])
               for c in CSV_COLUMNS]


def csv_export(*, separator=","):
    """Return the spreadsheet-safe CSV text (UTF-8 BOM; lists joined by "|")."""
    return csv_text(CSV_COLUMNS, _csv_rows(), separator=separator)


def _json_list(items, *, indent=None, before="", after=""):
    """The JSON text of a list, item by item: a whole directory is never held in memory."""
    yield before + "["
    for index, item in enumerate(items):
        yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False, indent=indent)
    yield "\n]" + after + "\n"


def _services():
    return (r for r in (data_inclusion_service(*row) for row in _rows()) if r is not None)


@use_case
def export(fmt, *, separator=",", kind="services"):
    """Return (chunks of text, media type, file name) of the whole export in ``fmt``.

    The chunks are made as they are written (rows fetched 2,000 at a time, see `_rows`),
    so an export of a national directory is streamed, never held in memory whole. The read
    is logged when the export is asked for.
    """
    record_access(None, "export", "resources", None)  # privacy: every export is logged
    stamp = clock.local(clock.now()).strftime("%Y-%m-%d")
    if fmt == "data-inclusion":
        records = iter(data_inclusion_structures()) if kind == "structures" else _services()
        return _json_list(records, indent=1), "application/json", f"{kind}-{stamp}.json"
    if fmt == "geojson":
        chunks = _json_list(_features(), before='{"type": "FeatureCollection", "features": ',
                            after="}")
        return chunks, "application/geo+json", f"ressources-{stamp}.geojson"
    if fmt == "csv":
        chunks = csv_chunks(CSV_COLUMNS, _csv_rows(), separator=separator)
        return chunks, "text/csv; charset=utf-8", f"ressources-{stamp}.csv"
    raise ValueError(f"unknown export format {fmt!r}")
