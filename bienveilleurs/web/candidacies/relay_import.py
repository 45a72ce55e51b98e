"""Import the network's existing relays from a CSV file: upload, preview, confirm (admins).

The file waits server-side between the preview and the confirmation (web/uploads); the
preview runs the whole import and rolls it back, so its counts and rejected lines are
exact; invitations go out on confirmation only.
"""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ...config import setting
from ...models import Role
from ...services.relay_import import import_relays
from .. import uploads
from ..forms import EmptyForm
from ..pages import geocoder, roles_required, service_area

bp = Blueprint("relay_import", __name__, url_prefix="/admin/import-bienveilleurs")

SESSION_KEY = "pending_relay_import"


class UploadForm(FlaskForm):
    file = FileField("Fichier CSV des bienveilleurs",
                     validators=[FileRequired("Choisissez un fichier CSV.")])


def _run(pending, *, dry_run):
    path = uploads.pending_path(pending)
    if path is None:
        return None
    with open(path, "rb") as handle:
        data = handle.read()
    return import_relays(current_user, data, area=service_area(),
                         max_radius_m=setting("RELAY_MAX_RADIUS_M"), geocoder=geocoder(),
                         dry_run=dry_run)


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    form = UploadForm()
    if form.validate_on_submit():
        uploads.discard(session.pop(SESSION_KEY, None))
        session[SESSION_KEY] = uploads.keep(form.file.data)
        return redirect(url_for(".preview"), code=303)
    return render_template("candidacies/relay_import.html", form=form,
                           max_mb=setting("MAX_UPLOAD_MB"))


@bp.get("/apercu")
@roles_required(Role.ADMIN)
def preview():
    pending = session.get(SESSION_KEY)
    report = _run(pending, dry_run=True) if pending else None
    if report is None:
        session.pop(SESSION_KEY, None)
        flash("Aucun fichier en attente : envoyez d'abord un fichier.", "warning")
        return redirect(url_for(".index"), code=303)
    return render_template("candidacies/relay_import_preview.html", report=report,
                           pending=pending, form=EmptyForm())


@bp.post("/confirmer")
@roles_required(Role.ADMIN)
def confirm():
    pending = session.get(SESSION_KEY)
    if not EmptyForm().validate_on_submit() or pending is None:
        flash("Aucun import en attente de confirmation.", "warning")
        return redirect(url_for(".index"), code=303)
    report = _run(pending, dry_run=False)
    session.pop(SESSION_KEY, None)
    uploads.discard(pending)
    if report is None or report.stopped:
        flash("Le fichier n'a pas pu être importé : rien n'a été enregistré.", "error")
        return redirect(url_for(".index"), code=303)
    flash(f"{report.created} bienveilleur(s) importé(s), {report.invited} invitation(s) "
          f"envoyée(s), {len({r[0] for r in report.rejected})} ligne(s) rejetée(s).", "success")
    return redirect(url_for("network.relays"), code=303)


@bp.post("/annuler")
@roles_required(Role.ADMIN)
def cancel():
    if EmptyForm().validate_on_submit():
        uploads.discard(session.pop(SESSION_KEY, None))
        flash("Import annulé : le fichier a été supprimé.", "info")
    return redirect(url_for(".index"), code=303)
