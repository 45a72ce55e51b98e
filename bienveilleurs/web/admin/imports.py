"""Admin page: upload a directory file, preview what it would change, then confirm.

The uploaded file waits server-side between the preview and the confirmation, in a folder
named by a random token that only the session knows (never a path in a form field). The
preview runs the whole import and rolls it back, so its counts are exact.
"""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ...config import setting
from ...models import Role
from ...services.imports import FORMATS, import_path
from .. import uploads
from ..forms import EmptyForm
from ..pages import geocoder, roles_required, service_area

bp = Blueprint("imports", __name__, url_prefix="/admin/imports")

SESSION_KEY = "pending_import"
SHOWN_PROBLEMS = 500
FORMAT_HINTS = {
    "data-inclusion": "Un fichier services.json / structures.json (ou .csv), ou une archive zip "
                      "des deux.",
    "hsds": "Une archive zip contenant datapackage.json et les fichiers CSV (services.csv, "
            "organizations.csv…).",
    "geojson": "Une FeatureCollection de points (propriétés name, categories, address, phone…).",
    "csv": "Colonnes name, lat, lon, categories (séparées par | ou ,), address, phone… ; "
           "séparateur ; ou ,.",
}


class UploadForm(FlaskForm):
    file = FileField("Fichier à importer",
                     validators=[FileRequired("Choisissez un fichier à importer.")])
    format = SelectField("Format", choices=[SelectChoice(key, label)
                                            for key, (label, _) in FORMATS.items()])
    source = StringField("Nom de la source (facultatif)", validators=[Optional(), Length(max=100)],
                         description="Utilisé quand le fichier n'indique pas sa source.")
    skip_invalid = BooleanField("Importer les enregistrements valides même si certains sont "
                                "rejetés")


def _run(pending, *, dry_run):
    path = uploads.pending_path(pending)
    if path is None:
        return None
    return import_path(path, pending["format"], area=service_area(),
                       skip_invalid=pending["skip_invalid"], dry_run=dry_run,
                       source=pending.get("source") or None, geocoder=geocoder(),
                       max_expanded=10 * setting("MAX_UPLOAD_MB") * 1024 * 1024,
                       max_records=setting("IMPORT_WEB_MAX_RECORDS"),
                       max_geocoded=setting("IMPORT_WEB_MAX_GEOCODED"))


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    form = UploadForm()
    if form.validate_on_submit():
        uploads.discard(session.pop(SESSION_KEY, None))
        session[SESSION_KEY] = uploads.keep(form.file.data, format=form.format.data,
                                            skip_invalid=bool(form.skip_invalid.data),
                                            source=(form.source.data or "").strip())
        return redirect(url_for("imports.preview"), 303)
    return render_template("imports/index.html", form=form, hints=FORMAT_HINTS, formats=FORMATS,
                           max_mb=setting("MAX_UPLOAD_MB"),
                           pending=session.get(SESSION_KEY))


@bp.get("/apercu")
@roles_required(Role.ADMIN)
def preview():
    pending = session.get(SESSION_KEY)
    report = _run(pending, dry_run=True) if pending else None
    if report is None:
        session.pop(SESSION_KEY, None)
        flash("Aucun fichier en attente : envoyez d'abord un fichier.", "warning")
        return redirect(url_for("imports.index"), 303)
    return render_template("imports/preview.html", report=report, pending=pending,
                           form=EmptyForm(), label=FORMATS[pending["format"]][0],
                           shown=SHOWN_PROBLEMS)


@bp.post("/confirmer")
@roles_required(Role.ADMIN)
def confirm():
    form = EmptyForm()
    pending = session.get(SESSION_KEY)
    if not form.validate_on_submit() or pending is None:
        flash("Aucun import en attente de confirmation.", "warning")
        return redirect(url_for("imports.index"), 303)
    report = _run(pending, dry_run=False)
    if report is None:
        session.pop(SESSION_KEY, None)
        flash("Le fichier en attente a expiré : envoyez-le de nouveau.", "warning")
        return redirect(url_for("imports.index"), 303)
    if report.stopped:
        flash("Import interrompu : rien n'a été enregistré. "
              + " ".join(report.summary_lines()[1:]), "error")
        return redirect(url_for("imports.preview"), 303)
    session.pop(SESSION_KEY, None)
    uploads.discard(pending)
    flash("Import enregistré. " + " ".join(report.summary_lines()), "success")
    return redirect(url_for("imports.index"), 303)


@bp.post("/annuler")
@roles_required(Role.ADMIN)
def cancel():
    if EmptyForm().validate_on_submit():
        uploads.discard(session.pop(SESSION_KEY, None))
        flash("Import annulé : le fichier a été supprimé.", "info")
    return redirect(url_for("imports.index"), 303)
