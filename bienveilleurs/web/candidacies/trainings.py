"""Training sessions: create one, invite candidates and relays, mark attendance
(coordinators and admins; a session is placed by its point, scoped in the query)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from ...errors import BadRequest, Conflict, ValidationFailed
from ...services import paging
from ...services.candidacies import scope, trainings
from ..forms import DECIMAL, CheckboxesField, EmptyForm, SearchForm
from ..pages import (
    MANAGERS,
    errors_on_form,
    form_center,
    locate_into,
    roles_required,
    service_area,
)

bp = Blueprint("trainings", __name__, url_prefix="/reseau/formations")


class SessionForm(FlaskForm):
    topic = StringField("Thème (il deviendra une compétence des bienveilleurs formés)")
    starts_at = StringField("Date et heure", render_kw={"type": "datetime-local"})
    place_name = StringField("Lieu (nom et adresse)")
    address = StringField("Adresse à placer sur la carte (facultatif, elle n'est pas gardée)")
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    capacity = StringField("Nombre de places", render_kw={"inputmode": "numeric"})

    def record(self):
        return {name: getattr(self, name).data for name in (
            "topic", "starts_at", "place_name", "lat", "lon", "capacity")}


class InviteForm(FlaskForm):
    candidacy_ids = CheckboxesField("Candidatures", choices=[])
    relay_ids = CheckboxesField("Bienveilleurs", choices=[])


@bp.before_request
@roles_required(*MANAGERS)
def _only_coordination():
    return None


def _index(form, *, status=200, summary=None, located=None):
    return render_template("candidacies/trainings.html", form=form, summary=summary,
                           sessions=trainings.list_sessions(current_user), located=located,
                           map_center_point=form_center(form)), status


@bp.route("/", methods=["GET", "POST"])
def index():
    form = SessionForm()
    if request.method == "GET":
        form.capacity.data = form.capacity.data or "12"
        return _index(form)
    if not form.validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    if "locate" in request.form:
        return _index(form, located=locate_into(form))
    try:
        session = trainings.create_session(current_user, form.record(), area=service_area())
    except (BadRequest, ValidationFailed) as error:
        return _index(form, status=422, summary=errors_on_form(form, error))
    flash(f"Session « {session.topic} » créée : invitez maintenant les participants.", "success")
    return redirect(url_for(".show", session_id=session.id), code=303)


def _invitable_args(args):
    """(among, search, page key) of the « Inviter » list, from a query string or a form."""
    among = args.get("parmi", "")
    among = among if among in trainings.AMONG else trainings.AMONG[0]
    search = SearchForm(args)
    return among, (search.q.data or "").strip()[:200], paging.read_name_key(args)


def _show(session, *, status=200, summary=None, args=None):
    args = request.args if args is None else args
    among, query, key = _invitable_args(args)
    found = trainings.invitable(current_user, session, among=among, search=query or None,
                                after=key)
    kept = {"parmi": among, **({"q": query} if query else {})}
    link = {"session_id": session.id, **kept}  # the pager's links (`_pager.html`)
    return render_template("candidacies/training.html", session=session,
                           participants=trainings.participants(session),
                           among=among, query=query, invitable=found, kept=kept, link=link,
                           next_args={**link, **found.after.query_args()} if found.after
                           else None, here_args=key.query_args() if key else {},
                           invite_form=InviteForm(), form=EmptyForm(), summary=summary,
                           point=trainings.session_point(session)), status


@bp.get("/<session_id>")
def show(session_id):
    return _show(scope.get_session(current_user, session_id))


@bp.post("/<session_id>/invitations")
def invite(session_id):
    session = scope.get_session(current_user, session_id)
    form = InviteForm()
    if not form.validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    try:
        trainings.invite(current_user, session.id, {"candidacy_ids": form.candidacy_ids.data,
                                                    "relay_ids": form.relay_ids.data})
    except (ValidationFailed, Conflict) as error:
        return _show(session, status=error.status, summary=error.message, args=request.form)
    flash("Invitations envoyées.", "success")
    among, query, _ = _invitable_args(request.form)  # back to the same list, from its start
    return redirect(url_for(".show", session_id=session.id, parmi=among,
                            **({"q": query} if query else {})), code=303)


@bp.post("/<session_id>/presence/<participant_id>")
def attendance(session_id, participant_id):
    if not EmptyForm().validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    present = request.form.get("present") == "1"
    trainings.mark_attendance(current_user, session_id, participant_id, present)
    flash("Présence enregistrée." if present else "Absence enregistrée.", "success")
    return redirect(url_for(".show", session_id=session_id), code=303)
