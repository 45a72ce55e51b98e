"""The coordinators' pipeline: candidacies by stage, a candidacy's file, its moves, the
charter at the meeting, and the activation (coordinators and admins, scoped in the query)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ...config import setting
from ...errors import BadRequest, Conflict, InvalidTransition, ValidationFailed
from ...models import PROFILES, STAGE_LABELS
from ...services import paging
from ...services.candidacies import activation, charter, pipeline, scope, trainings
from ...services.candidacies.table import MOVE_LABELS, PIPELINE_STAGES
from ...services.weekly_hours import french_lines
from ..forms import DECIMAL, EmptyForm, WeeklyMixin, with_weekly_fields
from ..pages import (
    MANAGERS,
    errors_on_form,
    form_center,
    geocoder,
    point_text,
    roles_required,
    service_area,
)

bp = Blueprint("candidacies", __name__, url_prefix="/reseau/candidatures")


class MoveForm(FlaskForm):
    reason = StringField("Raison (gardée dans le dossier)")
    note = TextAreaField("Note (visible de la coordination seulement)", render_kw={"rows": 3})


class NoteForm(FlaskForm):
    note = TextAreaField("Notes de rencontre (visibles de la coordination seulement)",
                         render_kw={"rows": 4})


@with_weekly_fields
class ActivationForm(WeeklyMixin, FlaskForm):
    display_name = StringField("Nom affiché")
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    radius_m = StringField("Rayon d'action (mètres)", render_kw={"inputmode": "numeric"})
    capacity = StringField("Nombre maximal de personnes suivies en même temps",
                           render_kw={"inputmode": "numeric"})
    languages = StringField("Langues parlées (codes à deux lettres, séparés par des virgules)")
    skills = StringField("Compétences (séparées par des virgules)")

    def record(self):
        return {name: getattr(self, name).data for name in (
            "display_name", "lat", "lon", "radius_m", "capacity", "languages", "skills")}


@bp.before_request
@roles_required(*MANAGERS)
def _only_coordination():
    return None


@bp.get("/")
def index():
    stage = request.args.get("etape", "")
    if stage not in STAGE_LABELS or stage == "submitted":
        stage = ""
    key = paging.read_key(request.args)
    rows, counts = pipeline.pipeline(current_user, stage=stage or None, after=key)
    here = {"etape": stage} if stage else {}
    return render_template("candidacies/pipeline.html", rows=rows, counts=counts, stage=stage,
                           STAGE_LABELS=STAGE_LABELS, PIPELINE_STAGES=PIPELINE_STAGES,
                           PROFILES=PROFILES, first_args=here,
                           next_args={**here, **rows.after.query_args()} if rows.after else None,
                           here_args=key.query_args() if key else {})


def _file(candidacy, *, status=200, move_form=None, note_form=None, summary=None):
    version = charter.current_version()
    moves = pipeline.available_moves(candidacy)
    # One form per move, each with its own field ids.
    move_forms = {target: MoveForm(prefix=target, formdata=None) for target, _, _ in moves}
    if move_form is not None:
        move_forms[move_form._prefix.rstrip("-")] = move_form
    return render_template(
        "candidacies/file.html", candidacy=candidacy, events=pipeline.history(candidacy),
        moves=moves, move_forms=move_forms,
        note_form=note_form or NoteForm(prefix="notes"), form=EmptyForm(), summary=summary,
        version=version,
        charter_html=charter.render(version.text_md) if version else None,
        trainings=trainings.trainings_of(candidacy_id=candidacy.id), STAGE_LABELS=STAGE_LABELS,
        PROFILES=PROFILES, MOVE_LABELS=MOVE_LABELS), status


@bp.get("/<candidacy_id>")
def show(candidacy_id):
    return _file(scope.get_candidacy(current_user, candidacy_id))


def _checked(form):
    if not form.validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")


def _back(candidacy_id):
    return redirect(url_for(".show", candidacy_id=candidacy_id), code=303)


@bp.post("/<candidacy_id>/etape/<to>")
def move(candidacy_id, to):
    candidacy = scope.get_candidacy(current_user, candidacy_id)
    form = MoveForm(prefix=to)
    _checked(form)
    try:
        pipeline.move(current_user, candidacy.id, to,
                      {"reason": form.reason.data, "note": form.note.data})
    except (ValidationFailed, InvalidTransition) as error:
        return _file(candidacy, status=error.status, move_form=form,
                     summary=errors_on_form(form, error))
    flash(f"Candidature de {candidacy.first_name} : {STAGE_LABELS[to]}.", "success")
    return _back(candidacy.id)


@bp.post("/<candidacy_id>/note")
def note(candidacy_id):
    candidacy = scope.get_candidacy(current_user, candidacy_id)
    form = NoteForm(prefix="notes")
    _checked(form)
    try:
        pipeline.add_note(current_user, candidacy.id, {"note": form.note.data})
    except ValidationFailed as error:
        return _file(candidacy, status=422, note_form=form, summary=errors_on_form(form, error))
    flash("Note ajoutée.", "success")
    return _back(candidacy.id)


@bp.post("/<candidacy_id>/charte")
def sign_charter(candidacy_id):
    _checked(EmptyForm())
    try:
        candidacy = charter.sign_at_meeting(current_user, candidacy_id)
    except (Conflict, InvalidTransition) as error:
        flash(error.message, "error")
        return _back(candidacy_id)
    flash(f"Charte signée par {candidacy.first_name}.", "success")
    return _back(candidacy.id)


@bp.post("/<candidacy_id>/lien-charte")
def charter_link(candidacy_id):
    _checked(EmptyForm())
    try:
        candidacy = charter.send_signing_link(current_user, candidacy_id)
    except Conflict as error:
        flash(error.message, "error")
        return _back(candidacy_id)
    flash(f"Un lien pour lire et signer la charte a été envoyé à {candidacy.email} "
          "(valable 14 jours).", "success")
    return _back(candidacy.id)


def _activation_page(candidacy, form, *, status=200, summary=None):
    return render_template("candidacies/activation.html", candidacy=candidacy, form=form,
                           summary=summary, map_center_point=form_center(form),
                           max_radius=setting("RELAY_MAX_RADIUS_M"),
                           french_lines=french_lines), status


@bp.route("/<candidacy_id>/activation", methods=["GET", "POST"])
def activate(candidacy_id):
    candidacy = scope.get_candidacy(current_user, candidacy_id)
    if request.method == "GET":
        form = ActivationForm(data=activation.proposed_profile(candidacy))
        lat, lon = point_text(candidacy)
        form.lat.data, form.lon.data = lat, lon
        form.mode.data = "weekly"
        return _activation_page(candidacy, form)
    form = ActivationForm()
    _checked(form)
    try:
        record = {**form.record(), "availability": form.availability_expression()}
        _, relay, invited = activation.activate(
            current_user, candidacy.id, record, area=service_area(),
            max_radius_m=setting("RELAY_MAX_RADIUS_M"), geocoder=geocoder())
    except (BadRequest, ValidationFailed, Conflict, InvalidTransition) as error:
        status = 422 if isinstance(error, (BadRequest, ValidationFailed)) else error.status
        return _activation_page(candidacy, form, status=status,
                                summary=errors_on_form(form, error))
    flash(f"« {relay.display_name} » est maintenant bienveilleur"
          + (f" : une invitation a été envoyée à {candidacy.email}." if invited else "."),
          "success")
    return redirect(url_for("relays_admin.show", relay_id=relay.id), code=303)
