"""data·inclusion `structures` and `services` (JSON lists or CSV), checked with its models."""

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
            warnings.append((name, "fichier ignoré : ni des services ni des structures "
                             "data·inclusion"))
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
        raise FileProblem(name, "Le fichier JSON doit contenir une liste de services ou de "
                          "structures.")
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
        row.problem(None, f"la ligne a {record['__cells__']} cellules au lieu du nombre de "
                    "colonnes")
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


def _checked_row(model, fields, name, position, record):
    """Return (row, the record checked by ``model`` or None when the model refused it)."""
    row = Row(name, position, {"name": record.get("nom") if isinstance(record, dict) else None},
              fields=fields)
    return row, _validate(model, row, record)


def _place(item):
    """The values a service and a structure share: name, address, point and phone."""
    return {
        "name": item.nom,
        "address": _join(item.adresse, item.complement_adresse),
        "lat": item.latitude,
        "lon": item.longitude,
        "phone": item.telephone,
        "source": item.source,
        "source_id": item.id,
    }


def _service_row(name, position, record):
    row, service = _checked_row(Service, SERVICE_FIELDS, name, position, record)
    if service is None:
        return row
    row.values = {
        **_place(service),
        "description": service.description,
        "categories": sorted(t.value for t in service.thematiques or ()),
        "audiences": sorted(p.value for p in service.publics or ()),
        "postal_code": service.code_postal,
        "city": service.commune,
        # The original text, not pydantic's normalised URL (which adds a trailing slash).
        "email": _raw(record, "courriel"),
        "website": _raw(record, "lien_source"),
        "opening_hours": service.horaires_accueil,
    }
    row.structure_key = (service.source, service.structure_id)
    return row


def _structure_row(name, position, record):
    row, structure = _checked_row(Structure, STRUCTURE_FIELDS, name, position, record)
    if structure is None:
        return row
    row.values = {
        **_place(structure),
        "siret": structure.siret,
        "email": _raw(record, "courriel"),
        "website": _raw(record, "site_web"),
    }
    return row


def _raw(record, key):
    value = record.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _join(*parts):
    text = ", ".join(p.strip() for p in parts if p and p.strip())
    return text or None


# pydantic error type → French sentence; "{shown}" is the refused value, "{n}" a bound.
_MESSAGES = {
    "missing": "champ obligatoire absent",
    "string_too_short": "trop court (au moins {min_length} caractères)",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "too_short": "au moins {min_length} valeur(s) attendue(s)",
    "enum": "code inconnu{shown} (codes des référentiels data·inclusion attendus)",
    "literal_error": "valeur inconnue{shown}",
    "string_pattern_mismatch": "format invalide{shown}",
    **dict.fromkeys(("float_parsing", "float_type", "int_parsing", "int_type", "finite_number"),
                    "nombre attendu{shown}"),
    **dict.fromkeys(("greater_than_equal", "greater_than", "less_than_equal", "less_than"),
                    "valeur hors limites{shown} (limite : {bound})"),
    **dict.fromkeys(("date_parsing", "date_from_datetime_parsing", "date_type",
                     "date_from_datetime_inexact"),
                    "date invalide{shown} (format AAAA-MM-JJ attendu)"),
    **dict.fromkeys(("string_type", "str_type"), "texte attendu"),
    **dict.fromkeys(("list_type", "set_type", "iterable_type"), "liste attendue"),
    **dict.fromkeys(("model_type", "dict_type", "model_attributes_type"), "objet JSON attendu"),
}


def french_error(error):
    """Say in French what a pydantic error of the data·inclusion models means."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    shown = f" « {value} »" if isinstance(value, (str, int, float)) and len(str(value)) <= 80 \
        else ""
    if kind in _MESSAGES:
        bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        return _MESSAGES[kind].format(shown=shown, bound=bound,
                                      min_length=ctx.get("min_length"),
                                      max_length=ctx.get("max_length"))
    if kind.startswith("url"):
        return f"adresse web invalide{shown}"
    if kind == "value_error":
        message = str(error.get("msg", ""))
        if "email" in message:
            return f"adresse e-mail invalide{shown}"
        return message.removeprefix("Value error, ")
    if kind == "avertissement":
        return str(error.get("msg", ""))
    return f"valeur invalide{shown}"
