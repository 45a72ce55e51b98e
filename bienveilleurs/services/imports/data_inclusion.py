"""data·inclusion `structures` and `services` (JSON lists or CSV), checked with the package's models."""

import json

import pydantic
from data_inclusion.schema.v1 import Service, Structure

from .files import FileProblem, load_json, read_csv
from .records import Raw, Row

SERVICE_FIELDS = {"name": "nom", "description": "description", "categories": "thematiques",
                  "audiences": "publics", "lat": "latitude", "lon": "longitude",
                  "address": "adresse", "postal_code": "code_postal", "city": "commune",
                  "phone": "telephone", "email": "courriel", "website": "lien_source",
                  "opening_hours": "horaires_accueil", "source": "source", "source_id": "id",
                  "lat,lon": "latitude,longitude"}
STRUCTURE_FIELDS = {**SERVICE_FIELDS, "siret": "siret", "website": "site_web"}

LIST_COLUMNS = {"thematiques", "publics", "modes_accueil", "zone_eligibilite", "modes_mobilisation",
                "mobilisable_par", "reseaux_porteurs"}


def read(files, *, source=None):
    """Return (structures, services, warnings) from the data·inclusion files, as Raw records
    that `build` checks with the package's models (possibly in worker processes)."""
    structures, services, warnings = [], [], []
    names = files.names()
    if not names:
        raise FileProblem(files.label, "Aucun fichier à importer.")
    for name in names:
        lowered = name.lower()
        if not lowered.endswith((".json", ".csv")):
            warnings.append((name, "fichier ignoré (ni .json ni .csv)"))
            continue
        records = list(_records(files.read(name), name))
        kind = _kind(name, records, single=len(names) == 1)
        if kind is None:
            warnings.append((name, "fichier ignoré : ni des services ni des structures data·inclusion"))
            continue
        for position, record in records:
            if kind == "structures":
                structures.append(Raw("structure", name, position, record, STRUCTURE_FIELDS))
            else:
                services.append(Raw("resource", name, position, record, SERVICE_FIELDS))
    return structures, services, warnings


def build(raw):
    """Check a raw record with the package's model and turn it into a Row."""
    if raw.kind == "structure":
        return _structure_row(raw.file, raw.position, raw.record)
    return _service_row(raw.file, raw.position, raw.record)


def _kind(name, records, *, single):
    lowered = name.lower()
    if "structure" in lowered:
        return "structures"
    if "service" in lowered:
        return "services"
    for _, record in records[:20]:
        if isinstance(record, dict) and record:
            return "services" if "structure_id" in record else "structures"
    return "services" if single else None


def _records(data, name):
    """Yield (position, record) from a JSON list (or {"items": […]}) or a CSV file."""
    if name.lower().endswith(".csv"):
        header, rows = read_csv(data, name)
        if "id" not in header or "nom" not in header:
            missing = [c for c in ("id", "nom", "source") if c not in header]
            raise FileProblem(name, "Colonnes data·inclusion manquantes : " + ", ".join(missing) +
                              ". Colonnes trouvées : " + ", ".join(header[:15]) + ".")
        for line, row in rows:
            yield f"ligne {line}", row
        return
    document = load_json(data, name)
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    if not isinstance(document, list):
        raise FileProblem(name, "Le fichier JSON doit contenir une liste de services ou de structures.")
    for index, record in enumerate(document, start=1):
        yield f"élément {index}", record


def _prepare(record):
    """CSV cells are text: blanks become absent, list columns become lists."""
    if not isinstance(record, dict):
        return record
    prepared = {}
    for key, value in record.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            if key in LIST_COLUMNS:
                value = _list_cell(value)
        prepared[key] = value
    return prepared


def _list_cell(text):
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return parsed
        except json.JSONDecodeError:
            pass
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    for separator in ("|", ",", ";"):
        if separator in text:
            return [part.strip().strip('"') for part in text.split(separator) if part.strip()]
    return [text]


def _validate(model, row, record):
    if isinstance(record, dict) and "__cells__" in record:
        row.problem(None, f"la ligne a {record['__cells__']} cellules au lieu du nombre de colonnes")
        return None
    if not isinstance(record, dict):
        row.problem(None, "l'élément n'est pas un objet JSON")
        return None
    try:
        return model.model_validate(_prepare(record))
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            row.problem(".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or None,
                        french_error(error))
        return None


def _service_row(name, position, record):
    row = Row(name, position, {"name": record.get("nom") if isinstance(record, dict) else None},
              fields=SERVICE_FIELDS)
    service = _validate(Service, row, record)
    if service is None:
        return row
    row.values = {
        "name": service.nom,
        "description": service.description,
        "categories": sorted(t.value for t in service.thematiques or ()),
        "audiences": sorted(p.value for p in service.publics or ()),
        "lat": service.latitude,
        "lon": service.longitude,
        "address": _join(service.adresse, service.complement_adresse),
        "postal_code": service.code_postal,
        "city": service.commune,
        "phone": service.telephone,
        # The original text, not pydantic's normalised URL (which adds a trailing slash).
        "email": _raw(record, "courriel"),
        "website": _raw(record, "lien_source"),
        "opening_hours": service.horaires_accueil,
        "source": service.source,
        "source_id": service.id,
    }
    row.structure_key = (service.source, service.structure_id)
    return row


def _structure_row(name, position, record):
    row = Row(name, position, {"name": record.get("nom") if isinstance(record, dict) else None},
              fields=STRUCTURE_FIELDS)
    structure = _validate(Structure, row, record)
    if structure is None:
        return row
    row.values = {
        "name": structure.nom,
        "siret": structure.siret,
        "address": _join(structure.adresse, structure.complement_adresse),
        "lat": structure.latitude,
        "lon": structure.longitude,
        "phone": structure.telephone,
        "email": _raw(record, "courriel"),
        "website": _raw(record, "site_web"),
        "source": structure.source,
        "source_id": structure.id,
    }
    return row


def _raw(record, key):
    value = record.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _join(*parts):
    text = ", ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def french_error(error):
    """Say in French what a pydantic error of the data·inclusion models means."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    shown = f" « {value} »" if isinstance(value, (str, int, float)) and len(str(value)) <= 80 else ""
    if kind == "missing":
        return "champ obligatoire absent"
    if kind == "string_too_short":
        return f"trop court (au moins {ctx.get('min_length')} caractères)"
    if kind == "string_too_long":
        return f"trop long (au plus {ctx.get('max_length')} caractères)"
    if kind == "too_short":
        return f"au moins {ctx.get('min_length')} valeur(s) attendue(s)"
    if kind == "enum":
        return f"code inconnu{shown} (codes des référentiels data·inclusion attendus)"
    if kind == "literal_error":
        return f"valeur inconnue{shown}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "finite_number"):
        return f"nombre attendu{shown}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        return f"valeur hors limites{shown} (limite : {bound})"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"):
        return f"date invalide{shown} (format AAAA-MM-JJ attendu)"
    if kind.startswith("url"):
        return f"adresse web invalide{shown}"
    if kind == "string_pattern_mismatch":
        return f"format invalide{shown}"
    if kind in ("string_type", "str_type"):
        return "texte attendu"
    if kind in ("list_type", "set_type", "iterable_type"):
        return "liste attendue"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "objet JSON attendu"
    if kind == "value_error":
        message = str(error.get("msg", ""))
        if "email" in message:
            return f"adresse e-mail invalide{shown}"
        return message.removeprefix("Value error, ")
    if kind == "avertissement":
        return str(error.get("msg", ""))
    return f"valeur invalide{shown}"
