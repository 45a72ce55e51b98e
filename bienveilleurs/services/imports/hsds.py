"""Open Referral HSDS 3.0 tabular datapackage: datapackage.json and its CSV files.

organizations → structures; each (service, location) pair → one resource (a service with
one location keeps the service id as source id); phones, schedules (weekly → OpenStreetMap
hours), addresses, languages and taxonomy terms (data·inclusion codes → categories and
audiences) are joined in when present.
"""

from ..codes import publics, thematiques
from ..weekly_hours import osm_from_hsds
from .files import FileProblem, load_json, read_csv
from .records import Row

DEFAULT_SOURCE = "hsds"
FILES = ("organizations", "services", "locations", "addresses", "service_at_locations", "phones",
         "schedules", "taxonomy_terms", "attributes", "languages")
FIELDS = {"name": "name", "description": "description", "lat": "latitude", "lon": "longitude",
          "lat,lon": "latitude,longitude", "address": "address_1", "postal_code": "postal_code",
          "city": "city", "phone": "number", "email": "email", "website": "url",
          "opening_hours": "schedules", "categories": "attributes", "audiences": "attributes"}


def read(files, *, source=None):
    """Return (structure rows, resource rows, warnings) from an HSDS datapackage."""
    package_name = files.find("datapackage.json")
    if package_name is None:
        raise FileProblem(files.label, "datapackage.json est introuvable : indiquez le chemin du "
                          "datapackage.json (ou une archive zip qui le contient).")
    package = load_json(files.read(package_name), package_name)
    if not isinstance(package, dict):
        raise FileProblem(package_name, "datapackage.json doit être un objet JSON.")
    source = source or (package.get("name") if isinstance(package.get("name"), str) else None) \
        or DEFAULT_SOURCE
    paths = _paths(package)
    tables, warnings = {}, []
    for table in FILES:
        name = files.find(paths.get(table, f"{table}.csv").rsplit("/", 1)[-1])
        tables[table] = _table(files, name, table) if name else []
    if not files.find(paths.get("services", "services.csv").rsplit("/", 1)[-1]):
        raise FileProblem(files.label, "services.csv est absent du datapackage.")
    return _structures(tables, source), _resources(tables, source, warnings), warnings


def _paths(package):
    paths = {}
    for resource in package.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("path"), str):
            key = resource.get("name") or resource["path"].rsplit("/", 1)[-1].removesuffix(".csv")
            # HSDS names its resources in the singular ("service") and its files in the plural.
            plural = key if key.endswith("s") else key + "s"
            paths[plural] = resource["path"]
    return paths


def _table(files, name, table):
    header, rows = read_csv(files.read(name), name)
    if table in ("services", "organizations", "locations") and ("id" not in header or
                                                                  (table != "locations" and "name" not in header)):
        raise FileProblem(name, f"Colonnes obligatoires absentes de {name} : id, name. "
                          "Colonnes trouvées : " + ", ".join(header[:20]) + ".")
    out = []
    for line, record in rows:
        if "__cells__" in record:
            raise FileProblem(name, f"La ligne {line} a {record['__cells__']} cellules pour "
                              f"{len(header)} colonnes.")
        out.append((line, {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}))
    return out


def _by(rows, key):
    index = {}
    for _, record in rows:
        if record.get(key):
            index.setdefault(record[key], []).append(record)
    return index


def _structures(tables, source):
    rows = []
    for line, record in tables["organizations"]:
        row = Row("organizations.csv", f"ligne {line}", {
            "name": record.get("name") or None,
            "email": record.get("email") or None,
            "website": record.get("website") or None,
            "source": source, "source_id": record.get("id") or None,
        }, fields={"website": "website"})
        if not record.get("id"):
            row.problem("id", "identifiant absent")
        rows.append(row)
    return rows


def _resources(tables, source, warnings):
    locations = {r["id"]: r for _, r in tables["locations"] if r.get("id")}
    addresses = _by(tables["addresses"], "location_id")
    links = _by(tables["service_at_locations"], "service_id")
    phones_by_service = _by(tables["phones"], "service_id")
    phones_by_location = _by(tables["phones"], "location_id")
    schedules_by_service = _by(tables["schedules"], "service_id")
    schedules_by_location = _by(tables["schedules"], "location_id")
    schedules_by_link = _by(tables["schedules"], "service_at_location_id")
    languages = _by(tables["languages"], "service_id")
    terms = {r["id"]: r for _, r in tables["taxonomy_terms"] if r.get("id")}
    attributes = _by(tables["attributes"], "link_id")
    known_categories, known_publics = thematiques(), publics()

    rows = []
    for line, service in tables["services"]:
        service_id = service.get("id")
        codes = [(terms.get(a.get("taxonomy_term_id")) or {}).get("code") or a.get("value")
                 for a in attributes.get(service_id, [])]
        categories = sorted({c for c in codes if c in known_categories})
        audiences = sorted({c for c in codes if c in known_publics})
        unknown = sorted({c for c in codes if c and c not in known_categories and c not in known_publics})
        service_links = links.get(service_id, []) or [None]
        for link in service_links:
            location = locations.get(link["location_id"]) if link else None
            source_id = service_id if len(service_links) == 1 else f"{service_id}@{link['location_id']}"
            address = (addresses.get(location["id"], [None])[0] if location else None) or {}
            phone = next((p.get("number") for p in phones_by_service.get(service_id, []) +
                          (phones_by_location.get(location["id"], []) if location else [])
                          if p.get("number")), None)
            schedules = (schedules_by_link.get(link["id"], []) if link and link.get("id") else []) \
                or schedules_by_service.get(service_id, []) \
                or (schedules_by_location.get(location["id"], []) if location else [])
            hours = osm_from_hsds(schedules) if schedules else None
            values = {
                "name": service.get("name") or None,
                "description": service.get("description") or "",
                "categories": categories,
                "audiences": audiences,
                "lat": (location or {}).get("latitude") or None,
                "lon": (location or {}).get("longitude") or None,
                "address": " ".join(p for p in (address.get("address_1"), address.get("address_2")) if p)
                or None,
                "postal_code": address.get("postal_code") or None,
                "city": address.get("city") or None,
                "phone": phone,
                "email": service.get("email") or None,
                "website": service.get("url") or None,
                "opening_hours": hours,
                "languages": sorted({lang.get("code", "").lower() for lang in languages.get(service_id, [])
                                     if lang.get("code")}),
                "active": (service.get("status") or "active").lower() == "active",
                "source": source,
                "source_id": source_id,
            }
            row = Row("services.csv", f"ligne {line}", values, fields=FIELDS)
            if not service_id:
                row.problem("id", "identifiant absent")
            if link and location is None:
                row.problem("location_id", f"lieu « {link['location_id']} » absent de locations.csv")
            if unknown and not categories:
                row.problem("attributes", "codes de taxonomie inconnus : " + ", ".join(unknown[:5]) +
                            " (codes « thematiques » de data·inclusion attendus)")
            if schedules and hours is None:
                warnings.append(("services.csv", f"ligne {line} : horaires non hebdomadaires ignorés"))
            row.structure_key = (source, service.get("organization_id")) if service.get("organization_id") \
                else None
            rows.append(row)
    return rows
