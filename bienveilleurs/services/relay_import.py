"""The network's existing relays, imported from a spreadsheet (CSV).

Columns (any case or accents, French or English names): name, e-mail, phone, address or
lat/lon, languages, radius. The file is read by the directory imports' CSV reader
(encoding, separator, line numbers as the spreadsheet shows them, formula escapes undone);
each line is checked with the relay's own rules (services/directory) and registered through
`relays_admin.register_relay`, as the page « Enregistrer un bienveilleur » does: an e-mail
without an account gets an invitation. A line refused is reported with its number and its
reason; the others are imported. A preview does the whole work and rolls it back (nothing
written, nothing sent); the confirmation does it for real.
"""

from dataclasses import dataclass, field

from ..errors import BadRequest, Conflict, ValidationFailed
from ..extensions import db
from . import audit, relays_admin
from .accounts import normalise_email
from .fields import Fields
from .imports.files import FileProblem, plain_key, read_csv
from .imports.records import cell
from .transaction import in_use_case, use_case

ALIASES = {
    "display_name": ("name", "nom", "prenom", "nom_affiche", "display_name"),
    "email": ("email", "e_mail", "courriel", "mail", "adresse_e_mail"),
    "phone": ("phone", "telephone", "tel", "portable"),
    "address": ("address", "adresse"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "languages": ("languages", "langues", "langue"),
    "radius_m": ("radius", "radius_m", "rayon", "rayon_m", "rayon_d_action"),
    "capacity": ("capacity", "capacite"),
}
_LOOKUP = {plain_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
DEFAULT_RADIUS_M = "1000"
DEFAULT_CAPACITY = "3"
MAX_LINES = 2000


@dataclass
class RelayImportReport:
    total: int = 0
    created: int = 0
    invited: int = 0
    rejected: list = field(default_factory=list)  # (line, field or None, message)
    ignored_columns: list = field(default_factory=list)
    dry_run: bool = True
    applied: bool = False

    @property
    def stopped(self):
        """A problem with the whole file (line None): nothing can be imported."""
        return any(line is None for line, _, _ in self.rejected)


class _Preview(Exception):
    def __init__(self, report):
        super().__init__("preview")
        self.report = report


def _columns(header):
    mapping, unknown = {}, []
    for column in header:
        name = _LOOKUP.get(plain_key(column))
        if name is None:
            unknown.append(column)
        else:
            mapping.setdefault(name, column)
    return mapping, unknown


def _record(values, mapping):
    record = {name: cell(values.get(column), spreadsheet=True) for name, column in mapping.items()}
    record = {name: value for name, value in record.items() if value is not None}
    record.setdefault("radius_m", DEFAULT_RADIUS_M)
    record.setdefault("capacity", DEFAULT_CAPACITY)
    return record


def _problems(error):
    return [(d.get("field"), d.get("message") or error.message)
            for d in (error.details or [{"field": None, "message": error.message}])]


def _import_line(actor, record, *, seen, places):
    """Register one relay (inside a savepoint); return whether an invitation went out."""
    fields = Fields(record, strict=False)
    phone = fields.phone()
    fields.done()
    email = normalise_email(record.get("email") or "")
    if email and email in seen:
        raise ValidationFailed.field("email", f"adresse en double dans le fichier (déjà ligne "
                                              f"{seen[email]})")
    relay, invited = relays_admin.register_relay(actor, record, **places)
    relay.phone = phone
    return email, invited


@use_case
def _run(actor, data, report, *, places):
    try:
        header, rows = read_csv(data, "fichier")
    except FileProblem as problem:
        report.rejected.append((None, None, problem.message))
        return report
    mapping, report.ignored_columns = _columns(header)
    if "display_name" not in mapping:
        report.rejected.append((None, None, "Colonne obligatoire absente : name (ou nom). "
                                "Colonnes trouvées : " + ", ".join(header[:20]) + "."))
        return report
    seen = {}
    for line, values in rows:
        report.total += 1
        if report.total > MAX_LINES:
            report.rejected.append((None, None, f"Au plus {MAX_LINES} lignes par fichier."))
            break
        if "__cells__" in values:
            report.rejected.append((line, None, f"la ligne a {values['__cells__']} cellules "
                                    f"pour {len(header)} colonnes"))
            continue
        try:
            with db.session.begin_nested():
                email, invited = _import_line(actor, _record(values, mapping), seen=seen,
                                              places=places)
        except (BadRequest, ValidationFailed, Conflict) as error:
            report.rejected.extend((line, f, m) for f, m in _problems(error))
            continue
        if email:
            seen[email] = line
        report.created += 1
        report.invited += int(invited)
    if report.stopped:
        raise _Preview(report)  # a broken file writes nothing
    audit.record(actor, "relays.imported", target_type="relay",
                 summary=f"Import de {report.created} bienveilleur(s), {report.invited} "
                         f"invitation(s), {len({r[0] for r in report.rejected})} ligne(s) "
                         "rejetée(s)", created=report.created, invited=report.invited)
    if report.dry_run:
        raise _Preview(report)
    report.applied = True
    return report


def import_relays(actor, data, *, area, max_radius_m, geocoder=None, dry_run=True):
    """Import relays from the bytes of a CSV file; return the report (see the module).

    A preview (`dry_run`) ends by rolling back: call it outside any other use case.
    """
    if dry_run and in_use_case():
        raise RuntimeError("a preview rolls back: call it outside any other use case")
    report = RelayImportReport(dry_run=dry_run)
    places = {"area": area, "max_radius_m": max_radius_m, "geocoder": geocoder}
    try:
        return _run(actor, data, report, places=places)
    except _Preview as preview:
        return preview.report
