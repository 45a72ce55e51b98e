"""The directory in Open Referral HSDS 3.0 shape (the public /hsds read API).

Resources are HSDS services, their structures HSDS organizations, each resource's point one
location (with its address), its phone one phone, its weekly opening hours HSDS schedules
(hours that are not plain weekly ones are kept as a description), and its data·inclusion
categories and audiences HSDS attributes pointing at taxonomy terms. Ids of the objects
this application does not store (locations, phones, schedules, terms…) are UUIDv5 derived
from the resource or the code, so they stay the same from one call to the next.
"""

import math
import re
import threading
import time
import uuid
from urllib.parse import quote, urlsplit

from data_inclusion.schema.v1 import Categorie, Public, Thematique
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, contains_eager

from geo.queries import lon_lat_of

from ..config import setting
from ..errors import NotFound
from ..extensions import db
from ..models import Resource, Structure
from .fields import QueryFields
from .weekly_hours import hsds_schedules

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_PAGE = 100_000  # 50 million services at the largest page size: beyond any directory
NAMESPACE = uuid.UUID("7d0f4c1e-3f0b-5a55-9a1c-6b1e2c3d4f50")
THEMATIQUES_URI = "https://data-inclusion-schema.readthedocs.io/latest/referentiels/thematiques/"
PUBLICS_URI = "https://data-inclusion-schema.readthedocs.io/latest/referentiels/publics/"
TAXONOMIES = {
    "thematiques": {"id": str(uuid.uuid5(NAMESPACE, "taxonomy:thematiques")),
                    "name": "data·inclusion — thématiques",
                    "description": "Référentiel national des thématiques de l'insertion "
                                   "(catégories et sous-catégories), paquet data-inclusion-schema.",
                    "uri": THEMATIQUES_URI},
    "publics": {"id": str(uuid.uuid5(NAMESPACE, "taxonomy:publics")),
                "name": "data·inclusion — publics",
                "description": "Référentiel national des publics visés, "
                               "paquet data-inclusion-schema.",
                "uri": PUBLICS_URI},
}


def _id(*parts):
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


# What the HSDS schemas' formats accept (JSON Schema "uri" is RFC 3986, "email" RFC 5321):
# a stored value outside them is left out rather than published malformed.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


def _uri(value):
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[": never let a stored value break the page
        return None
    web = parts.scheme in ("http", "https") and parts.netloc and " " not in value
    # Letters outside ASCII (an accented path) are written as RFC 3986 asks: %-encoded.
    return quote(value, safe=_URI_SAFE) if web and parts.netloc.isascii() else None


def _email(value):
    return value if value and _EMAIL.fullmatch(value) else None


def _drop_none(record):
    return {k: v for k, v in record.items() if v is not None}


def _version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("data-inclusion-schema")
    except PackageNotFoundError:
        return None


def _term(code):
    """The HSDS taxonomy term of a data·inclusion code (category, sub-category or public)."""
    labels = {c.value: c for c in Categorie}
    labels.update({t.value: t for t in Thematique})
    if code in labels:
        taxonomy = TAXONOMIES["thematiques"]
        parent = code.split("--", 1)[0] if "--" in code else None
        item = labels[code]
    else:
        audiences = {p.value: p for p in Public}
        if code not in audiences:
            return None
        taxonomy, parent, item = TAXONOMIES["publics"], None, audiences[code]
    return _drop_none({
        "id": _id("term", code),
        "code": code,
        "name": item.label,
        "description": item.description or item.label,
        "parent_id": _id("term", parent) if parent else None,
        "taxonomy": taxonomy["name"],
        "taxonomy_id": taxonomy["id"],
        "taxonomy_detail": _drop_none({**taxonomy, "version": _version()}),
        "language": "fr",
    })


def _attributes(resource):
    attributes = []
    for code in list(resource.categories or []) + list(resource.audiences or []):
        term = _term(code)
        if term is None:
            continue
        attributes.append({
            "id": _id("attribute", resource.id, code),
            "link_id": str(resource.id),
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "value": code,
            "taxonomy_term": term,
        })
    return attributes


def organization(structure):
    return _drop_none({
        "id": str(structure.id),
        "name": structure.name,
        "description": "",
        "email": _email(structure.email),
        "website": _uri(structure.website),
    })


def _schedules(resource, *, location_id=None):
    if not resource.opening_hours:
        return []
    base = {"service_id": str(resource.id)}
    weekly = hsds_schedules(resource.opening_hours)
    if not weekly:
        return [{
            "id": _id("schedule", resource.id, "text"), **base,
            "description": resource.opening_hours,
            "notes": "Horaires au format OpenStreetMap (opening_hours), heure de Paris.",
        }]
    return [{
        "id": _id("schedule", resource.id, index), **base, "freq": "WEEKLY", "wkst": "MO",
        "byday": item["byday"], "opens_at": item["opens_at"], "closes_at": item["closes_at"],
        "description": item["description"],
        "notes": f"Heure de Paris. Horaires d'origine (OpenStreetMap) : {resource.opening_hours}",
    } for index, item in enumerate(weekly)]


def _phones(resource):
    if not resource.phone:
        return []
    return [{"id": _id("phone", resource.id), "service_id": str(resource.id),
             "number": resource.phone, "type": "voice", "languages": []}]


def _address(resource, location_id):
    if not (resource.address and resource.city and resource.postal_code):
        return []
    postal = resource.postal_code
    return [{
        "id": _id("address", resource.id), "location_id": location_id,
        "address_1": resource.address, "city": resource.city,
        # A French département is the subdivision the postal code names.
        "state_province": postal[:3] if postal.startswith("97") else postal[:2],
        "postal_code": postal, "country": "FR", "address_type": "physical",
    }]


def _location(resource, structure, lon, lat):
    location_id = _id("location", resource.id)
    return _drop_none({
        "id": location_id,
        "location_type": "physical",
        "organization_id": str(structure.id),
        "name": resource.name,
        "latitude": lat,
        "longitude": lon,
        "addresses": _address(resource, location_id),
        "languages": [],
        "phones": [],
        "schedules": [],
    })


def service_summary(resource, structure):
    """A service in a list (one-to-one fields and its organization)."""
    return _drop_none({
        "id": str(resource.id),
        "organization_id": str(structure.id),
        "name": resource.name,
        "description": resource.description or "",
        "url": _uri(resource.website),
        "email": _email(resource.email),
        "status": "active" if resource.active else "inactive",
        "last_modified": resource.updated_at.isoformat() if resource.updated_at else None,
        "organization": organization(structure),
    })


def service_full(resource, structure, lon, lat):
    """A service fully nested: organization, location, phones, schedules, languages, attributes."""
    service = service_summary(resource, structure)
    link = {"id": _id("service_at_location", resource.id), "service_id": str(resource.id),
            "location_id": _id("location", resource.id), "phones": [], "schedules": []}
    if lon is not None and lat is not None:
        link["location"] = _location(resource, structure, lon, lat)
    elif resource.address:
        link["location"] = _drop_none({"id": link["location_id"], "location_type": "physical",
                                       "organization_id": str(structure.id), "name": resource.name,
                                       "description": "Adresse non localisée sur la carte.",
                                       "addresses": _address(resource, link["location_id"])})
    service.update({
        "phones": _phones(resource),
        "schedules": _schedules(resource),
        "service_at_locations": [link] if "location" in link else [],
        "languages": [{"id": _id("language", resource.id, code), "service_id": str(resource.id),
                       "code": code} for code in resource.languages or []],
        "attributes": _attributes(resource),
        "service_areas": [], "funding": [], "cost_options": [], "required_documents": [],
        "contacts": [],
    })
    return service


def _page_arguments(args):
    fields = QueryFields(args)
    page = fields.integer("page", label="Le paramètre page", minimum=1, maximum=MAX_PAGE)
    per_page = fields.integer("per_page", label="Le paramètre per_page", minimum=1,
                              maximum=MAX_PER_PAGE)
    fields.done()
    return page or 1, per_page or DEFAULT_PER_PAGE


# --- the number of active services, counted once in a while ------------------------------
#
# Counting every active resource for each page read the whole index (40 ms at 140,000
# resources, growing with the directory): the count is kept per process for
# HSDS_COUNT_TTL_S, and forgotten as soon as this process commits a change of resources.
# Another process's change (or one made in SQL) shows within HSDS_COUNT_TTL_S, well inside
# the five minutes public caches may keep a page (Cache-Control). A session that wrote
# resources never keeps what it counts (it sees its own changes, perhaps never committed).
# The tests count every time (0), but the one that tests this.

_counts = {}  # the database's address → (number, monotonic time counted)
_count_lock = threading.Lock()
_WROTE = "bienveilleurs.wrote_resources"


def forget_services_count():
    with _count_lock:
        _counts.clear()


@event.listens_for(Session, "after_flush")
def _resources_flushed(session, _context):
    if any(isinstance(row, Resource)
           for row in (*session.new, *session.dirty, *session.deleted)):
        session.info[_WROTE] = True
        forget_services_count()


@event.listens_for(Session, "after_commit")
def _resources_committed(session):
    if session.info.pop(_WROTE, False):
        forget_services_count()


def active_services_count():
    """The number of active resources, counted at most once per HSDS_COUNT_TTL_S here."""
    now, database = time.monotonic(), str(db.engine.url)
    with _count_lock:
        total, at = _counts.get(database, (None, 0.0))
    if total is not None and now - at < setting("HSDS_COUNT_TTL_S"):
        return total
    # `active`, not `active IS true`: only the bare column proves the partial index's
    # predicate to PostgreSQL (an index-only scan).
    total = db.session.scalar(select(func.count()).select_from(Resource)
                              .where(Resource.active))
    if not db.session.info.get(_WROTE):
        with _count_lock:
            _counts[database] = (total, now)
    return total


def services_page(args):
    """Return the HSDS page object of active services (ordered by name, then id).

    The order is the partial index `ix_resources_active_name`'s: the page's ids are found
    in that index alone (an index-only scan, skipping the pages before it without reading a
    row), then only those rows are read, with their structure joined once (the
    relationship filled from that join); the count is kept a while (`active_services_count`).
    """
    page, per_page = _page_arguments(args)
    total = active_services_count()
    # `active`, not `active IS true`: only the bare column proves the partial index's
    # predicate to PostgreSQL.
    on_page = (select(Resource.id, Resource.name).where(Resource.active)
               .order_by(Resource.name, Resource.id)
               .limit(per_page).offset((page - 1) * per_page).subquery())
    resources = db.session.scalars(
        select(Resource).join(on_page, on_page.c.id == Resource.id)
        .join(Resource.structure).options(contains_eager(Resource.structure))
        .order_by(on_page.c.name, on_page.c.id)).all()
    rows = [(resource, resource.structure) for resource in resources]
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(rows),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": len(rows) == 0,
        "contents": [service_summary(resource, structure) for resource, structure in rows],
    }


def service_detail(service_id):
    """Return one active service fully nested, or raise NotFound."""
    try:
        key = uuid.UUID(str(service_id))
    except ValueError:
        raise NotFound("Service introuvable.") from None
    row = db.session.execute(
        select(Resource, Structure, *lon_lat_of(Resource.point))
        .join(Structure, Structure.id == Resource.structure_id)
        .where(Resource.id == key, Resource.active.is_(True))).first()
    if row is None:
        raise NotFound("Service introuvable.")
    return service_full(*row)
