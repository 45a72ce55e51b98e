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
    needs_name = table in ("services", "organizations")
    if (needs_name or table == "locations") and \
            ("id" not in header or (needs_name and "name" not in header)):
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


class _Joins:
    """The HSDS tables around services, indexed by the ids they point at."""

    def __init__(self, tables):
        self.locations = {r["id"]: r for _, r in tables["locations"] if r.get("id")}
        self.addresses = _by(tables["addresses"], "location_id")
        self.links = _by(tables["service_at_locations"], "service_id")
        self.phones = {key: _by(tables["phones"], key) for key in ("service_id", "location_id")}
        self.schedules = {key: _by(tables["schedules"], key)
                          for key in ("service_at_location_id", "service_id", "location_id")}
        self.languages = _by(tables["languages"], "service_id")
        self.terms = {r["id"]: r for _, r in tables["taxonomy_terms"] if r.get("id")}
        self.attributes = _by(tables["attributes"], "link_id")
        self.known_categories, self.known_publics = thematiques(), publics()

    def taxonomy(self, service_id):
        """(categories, audiences, unknown codes) of a service's attributes."""
        codes = [(self.terms.get(a.get("taxonomy_term_id")) or {}).get("code") or a.get("value")
                 for a in self.attributes.get(service_id, [])]
        categories = sorted({c for c in codes if c in self.known_categories})
        audiences = sorted({c for c in codes if c in self.known_publics})
        unknown = sorted({c for c in codes if c and c not in self.known_categories
                          and c not in self.known_publics})
        return categories, audiences, unknown

    def _of_location(self, table, location):
        return table["location_id"].get(location["id"], []) if location else []

    def address(self, location):
        return (self.addresses.get(location["id"], [None])[0] if location else None) or {}

    def phone(self, service_id, location):
        """The first number of the service, else of its location."""
        phones = self.phones["service_id"].get(service_id, []) + \
            self._of_location(self.phones, location)
        return next((p.get("number") for p in phones if p.get("number")), None)

    def schedules_of(self, service_id, link, location):
        """The schedules of the service at this location, else of the service, else of the place."""
        at_link = self.schedules["service_at_location_id"].get(link["id"], []) \
            if link and link.get("id") else []
        return at_link or self.schedules["service_id"].get(service_id, []) \
            or self._of_location(self.schedules, location)

    def language_codes(self, service_id):
        return sorted({lang.get("code", "").lower() for lang in self.languages.get(service_id, [])
                       if lang.get("code")})


def _resources(tables, source, warnings):
    joins = _Joins(tables)
    rows = []
    for line, service in tables["services"]:
        taxonomy = joins.taxonomy(service.get("id"))
        links = joins.links.get(service.get("id"), []) or [None]
        for link in links:
            rows.append(_resource_row(joins, line, service, link, single=len(links) == 1,
                                      taxonomy=taxonomy, source=source, warnings=warnings))
    return rows


def _resource_row(joins, line, service, link, *, single, taxonomy, source, warnings):
    """One resource: a service at one of its locations (a service with one keeps its id)."""
    service_id = service.get("id")
    location = joins.locations.get(link["location_id"]) if link else None
    schedules = joins.schedules_of(service_id, link, location)
    hours = osm_from_hsds(schedules) if schedules else None
    categories, audiences, unknown = taxonomy
    values = {
        "name": service.get("name") or None,
        "description": service.get("description") or "",
        "categories": categories,
        "audiences": audiences,
        **_place(joins.address(location), location),
        "phone": joins.phone(service_id, location),
        "email": service.get("email") or None,
        "website": service.get("url") or None,
        "opening_hours": hours,
        "languages": joins.language_codes(service_id),
        "active": (service.get("status") or "active").lower() == "active",
        "source": source,
        "source_id": service_id if single else f"{service_id}@{link['location_id']}",
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
    organization = service.get("organization_id")
    row.structure_key = (source, organization) if organization else None
    return row


def _place(address, location):
    street = " ".join(p for p in (address.get("address_1"), address.get("address_2")) if p)
    return {"lat": (location or {}).get("latitude") or None,
            "lon": (location or {}).get("longitude") or None,
            "address": street or None,
            "postal_code": address.get("postal_code") or None,
            "city": address.get("city") or None}
