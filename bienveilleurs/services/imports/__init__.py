"""Import resources (and their structures) from the sector's file formats.

Formats: data·inclusion `structures`/`services` (JSON or CSV, checked with the
`data-inclusion-schema` models), an Open Referral HSDS 3.0 CSV datapackage, GeoJSON, and a
simple CSV. Each reader turns its files into rows in the directory's record shape; every
row is then checked with `directory.clean_resource` / `clean_structure` (the same rules as
the API and the pages), and the valid ones are upserted in bulk on (source, source_id).

One call is one use case and one transaction, committed once, never in batches: the
bulk writer (COPY then INSERT … ON CONFLICT) writes a whole file in a few statements, so
an import is all-or-nothing at no cost. Without ``skip_invalid`` a single rejected record
stops the run and nothing is written; with it, the valid records are written and the
report lists the others. ``dry_run`` does all the work, reports it, and rolls back: the
upload page's preview.
"""

import os
from dataclasses import dataclass, field

from geo.geocoding import NullGeocoder

from ... import clock
from ...errors import ValidationFailed
from ..directory import locate_address, one_line_address
from ..transaction import in_use_case, use_case
from . import data_inclusion, geojson, hsds, simple_csv
from .checking import check_all
from .files import FileProblem, FileSet
from .records import LOCAL_SOURCE, Problem, local_id, name_key
from .writer import write

FORMATS = {
    "data-inclusion": ("data·inclusion (JSON ou CSV)", data_inclusion.read),
    "hsds": ("Open Referral HSDS 3.0 (datapackage)", hsds.read),
    "geojson": ("GeoJSON", geojson.read),
    "csv": ("CSV simple", simple_csv.read),
}
DEFAULT_SOURCES = {"data-inclusion": "data-inclusion", "hsds": "hsds", "geojson": "import-geojson",
                   "csv": "import-csv"}

__all__ = ["FORMATS", "FileProblem", "FileSet", "ImportReport", "LOCAL_SOURCE", "Problem",
           "import_files", "import_path"]


@dataclass
class ImportReport:
    """What an import did (or, for a preview or a stopped run, would have done)."""

    format: str
    label: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    structures_created: int = 0
    structures_updated: int = 0
    rejected: list = field(default_factory=list)   # Problem, one per reason
    unlocated: list = field(default_factory=list)  # {file, position, name, note}
    warnings: list = field(default_factory=list)   # French sentences
    dry_run: bool = False
    skip_invalid: bool = False
    applied: bool = False  # committed (never for a dry run)

    @property
    def rejected_count(self):
        """Number of records refused (a record may have several reasons)."""
        return len({(p.file, p.position) for p in self.rejected})

    @property
    def stopped(self):
        """True when errors stopped the run: nothing was (or would be) written."""
        return bool(self.rejected) and (not self.skip_invalid or any(p.position is None
                                                                     for p in self.rejected))

    def summary_lines(self):
        verb = "seraient" if self.dry_run else "ont été"
        lines = []
        if self.stopped:
            lines.append("Import interrompu : rien n'a été enregistré. Corrigez les erreurs "
                         "ci-dessous, ou relancez avec l'option d'ignorer les enregistrements "
                         "invalides.")
        else:
            lines.append(f"{self.created} ressource(s) {verb} créée(s), {self.updated} mise(s) "
                         f"à jour, {self.unchanged} inchangée(s).")
            if self.structures_created or self.structures_updated:
                lines.append(f"Structures : {self.structures_created} créée(s), "
                             f"{self.structures_updated} mise(s) à jour.")
        if self.rejected:
            lines.append(f"{self.rejected_count} enregistrement(s) rejeté(s).")
        if self.unlocated:
            lines.append(f"{len(self.unlocated)} ressource(s) non localisée(s) (sans position, "
                         "absentes des recherches de proximité).")
        return lines

    def as_dict(self):
        return {
            "format": self.format, "total": self.total, "created": self.created,
            "updated": self.updated, "unchanged": self.unchanged,
            "structures_created": self.structures_created,
            "structures_updated": self.structures_updated,
            "rejected": [p.as_dict() for p in self.rejected], "unlocated": list(self.unlocated),
            "warnings": list(self.warnings), "applied": self.applied, "dry_run": self.dry_run,
        }


class _NoProgress:
    def start(self, total):
        pass

    def advance(self, count):
        pass


class _Preview(Exception):
    """End of a dry run: leaving the use case this way rolls everything back."""

    def __init__(self, report):
        super().__init__("dry run")
        self.report = report


def import_path(path, fmt, **options):
    """Import a file, a folder or a zip archive (see `import_files`)."""
    if fmt == "hsds" and os.path.isfile(path) and \
            os.path.basename(path).lower() == "datapackage.json":
        path = os.path.dirname(os.path.abspath(path))  # the datapackage is the folder around it
    max_expanded = options.pop("max_expanded", None)
    try:
        files = FileSet.from_path(path, **({"max_expanded": max_expanded} if max_expanded else {}))
    except FileProblem as problem:
        report = ImportReport(fmt, str(path), skip_invalid=options.get("skip_invalid", False),
                              dry_run=options.get("dry_run", False))
        report.rejected.append(Problem(problem.file, None, problem.field, problem.message))
        return report
    return import_files(files, fmt, **options)


def import_files(files, fmt, *, area, skip_invalid=False, dry_run=False, geocoder=None,
                 source=None, progress=None, workers=None, max_records=None, max_geocoded=None):
    """Read, check and upsert the records of ``files`` in one transaction; return an ImportReport.

    ``workers``: processes checking the records of big files (default 1: in this process).
    A dry run must be a use case of its own (never inside another one), since it ends by
    rolling back. The web page bounds the work of one request: ``max_records`` (more stops
    the import, nothing written) and ``max_geocoded`` (addresses looked up; the others are
    imported without a position, and listed); the command line has neither.
    """
    if fmt not in FORMATS:
        raise ValidationFailed.field("format", "Format inconnu : " + ", ".join(FORMATS) +
                                     " attendus.")
    if dry_run and in_use_case():
        raise RuntimeError("a dry run rolls back: call it outside any other use case")
    report = ImportReport(fmt, files.label, skip_invalid=skip_invalid, dry_run=dry_run)
    try:
        return _import(files, report, area=area, geocoder=geocoder, source=source,
                       progress=progress or _NoProgress(), workers=workers,
                       limits=(max_records, max_geocoded))
    except _Preview as preview:
        return preview.report


@use_case
def _import(files, report, *, area, geocoder, source, progress, workers, limits):
    fmt = report.format
    max_records, max_geocoded = limits
    try:
        structure_rows, resource_rows, warnings = FORMATS[fmt][1](files, source=source)
    except FileProblem as problem:
        report.rejected.append(Problem(problem.file, None, problem.field, problem.message))
        return report
    count = len(structure_rows) + len(resource_rows)
    if max_records is not None and count > max_records:
        report.rejected.append(Problem(files.label, None, None, (
            f"{count} enregistrements : au plus {max_records} par import depuis le navigateur "
            "(réglage IMPORT_WEB_MAX_RECORDS). Découpez le fichier, ou importez-le en ligne de "
            "commande (flask --app wsgi resources import).")))
        return report
    report.warnings.extend(f"{name} : {message}" for name, message in warnings)
    report.total = len(resource_rows)
    progress.start(len(structure_rows) + len(resource_rows))

    checks = {"area": area, "progress": progress, "workers": workers}
    structures = _check_structures(structure_rows, report, **checks)
    resources = _check_resources(resource_rows, report, default_source=source or
                                 DEFAULT_SOURCES[fmt], geocoder=geocoder or NullGeocoder(),
                                 max_geocoded=max_geocoded, **checks)
    if report.stopped or (not structures and not resources):
        return report
    counts = write(structures, resources, now=clock.now())
    for key, value in counts.items():
        setattr(report, key, value)
    if report.dry_run:
        raise _Preview(report)
    report.applied = True
    return report


def _reject(report, item, details, name):
    fields = item.fields or {}
    for field_name, message in details:
        shown = fields.get(field_name, field_name) if field_name else None
        report.rejected.append(Problem(item.file, item.position, shown, message, name))


def _valid_records(items, results, report):
    """Yield (item, check result, clean values) of the records that passed, once per key.

    A refused record, or a second record with the same (source, source_id) in the files,
    is put in the report instead.
    """
    seen = {}
    for item, result in zip(items, results, strict=True):
        name, _, clean, problems, _ = result
        if problems:
            _reject(report, item, problems, name)
            continue
        key = (clean["source"], clean["source_id"])
        if key in seen:
            duplicate = (f"identifiant « {key[1]} » en double dans le fichier "
                         f"(déjà vu : {seen[key]})")
            _reject(report, item, [("source_id", duplicate)], name)
            continue
        seen[key] = item.position
        clean["local_id"] = local_id(*key)
        yield item, result, clean


def _check_structures(items, report, *, area, progress, workers):
    """Return {(source, source_id): clean values} of the valid structure records."""
    results = check_all(items, kind="structure", area=area, default_source=None,
                        progress=progress, workers=workers)
    return {(clean["source"], clean["source_id"]): clean
            for _, _, clean in _valid_records(items, results, report)}


def _check_resources(items, report, *, area, default_source, geocoder, max_geocoded, progress,
                     workers):
    """Return the clean values of the valid resource records, each with its structure reference."""
    valid, geocoded = [], {}
    results = check_all(items, kind="resource", area=area, default_source=default_source,
                        progress=progress, workers=workers)
    for item, result, clean in _valid_records(items, results, report):
        _, structure_key, _, _, structure_id = result
        clean["structure_ref"] = _structure_ref(structure_key, clean, structure_id)
        if clean["point"] is None:
            _locate(clean, item, report, area=area, geocoder=geocoder, cache=geocoded,
                    budget=max_geocoded)
        valid.append(clean)
    return valid


def _structure_ref(structure_key, clean, structure_id):
    """("id", uuid, name) | ("key", (source, source_id), name) | ("name", key, name)."""
    name = clean.get("structure_name")
    key = structure_key or ((clean["source"], str(structure_id)) if structure_id else None)
    if key and key[1]:
        own = local_id(*key)
        if own is not None:
            return ("id", own, name)
        return ("key", key, name)
    name = name or clean["name"]
    return ("name", name_key(name), name)


def _locate(clean, row, report, *, area, geocoder, cache, budget=None):
    address = one_line_address(clean.get("address"), clean.get("postal_code"), clean.get("city"))
    if not address:
        note = "ni coordonnées ni adresse"
    elif isinstance(geocoder, NullGeocoder):
        note = "pas de coordonnées, et aucun service de géocodage n'est configuré"
    elif address not in cache and budget is not None and len(cache) >= budget:
        note = (f"plus de {budget} adresses à localiser en un import depuis le navigateur "
                "(IMPORT_WEB_MAX_GEOCODED) : ajoutez les coordonnées, ou importez en ligne de "
                "commande")
    else:
        if address not in cache:
            cache[address] = locate_address(address, geocoder=geocoder, area=area)
        location = cache[address]
        if location.point is not None:
            clean["point"] = location.point
            return
        note = location.note
    report.unlocated.append({"file": row.file, "position": row.position, "name": clean["name"],
                             "note": note})
