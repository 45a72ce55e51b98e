"""The relays network for coordinators and admins: list, register, edit, pause and resume."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from ... import clock
from ...config import setting
from ...errors import BadRequest, Conflict, ValidationFailed
from ...services import directory, paging, relays_admin
from ...services.matching import is_open_safely
from ...services.weekly_hours import french_lines
from ..forms import DECIMAL, EmptyForm, SearchForm, WeeklyMixin, with_weekly_fields
from ..pages import (
    MANAGERS,
    errors_on_form,
    form_center,
    geocoder,
    invitation_sent,
    locate_into,
    point_text,
    roles_required,
    service_area,
)

bp = Blueprint("network", __name__, url_prefix="/reseau")

STATUS_FILTERS = {"active": "Actifs", "paused": "En pause", "": "Tous (sauf terminés)"}
# Relays of the list at once, by name; « suivants » for the others.
RELAY_ROWS = 50


@with_weekly_fields
class RelayForm(WeeklyMixin, FlaskForm):
    display_name = StringField("Nom affiché", validators=[Length(max=120)])
    email = StringField("Compte de bienveilleur à rattacher (adresse e-mail, facultatif)",
                        validators=[Length(max=254)],
                        render_kw={"type": "email", "inputmode": "email"})
    address = StringField("Adresse (pour placer le point ; elle n'est pas enregistrée)",
                          validators=[Length(max=300)])
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    radius_m = StringField("Rayon d'action (mètres)", render_kw={"inputmode": "numeric"})
    capacity = StringField("Nombre maximal de personnes suivies en même temps",
                           render_kw={"inputmode": "numeric"})
    languages = StringField("Langues parlées (codes à deux lettres, séparés par des virgules)",
                            validators=[Length(max=200)])
    skills = StringField("Compétences (séparées par des virgules)", validators=[Length(max=1000)])

    def record(self):
        return {name: getattr(self, name).data for name in (
            "display_name", "email", "address", "lat", "lon", "radius_m", "capacity", "languages",
            "skills")}


@bp.before_request
@roles_required(*MANAGERS)
def _only_coordination():
    return None


def max_radius():
    return setting("RELAY_MAX_RADIUS_M")


@bp.get("/bienveilleurs")
def relays():
    search = SearchForm(request.args)
    query = (search.q.data or "").strip()[:200]
    status = request.args.get("statut", "")
    if status not in STATUS_FILTERS:
        status = ""
    key = paging.read_name_key(request.args)
    rows = directory.list_relays(current_user, search=query or None, status=status or None,
                                 limit=RELAY_ROWS, after=key)
    now = clock.now()
    kept = {k: v for k, v in request.args.items() if k not in ("apres", "apres_nom")}
    return render_template("network/relays.html", relays=rows, search=search, query=query,
                           status=status, statuses=STATUS_FILTERS, french_lines=french_lines,
                           available=lambda r: is_open_safely(r.availability, now),
                           status_labels=directory.RELAY_STATUSES, first_args=kept,
                           next_args={**kept, **rows.after.query_args()} if rows.after else None,
                           here_args=key.query_args() if key else {})


def _page(form, *, relay=None, status=200, summary=None, located=None):
    return render_template("network/relay_form.html", form=form, relay=relay,
                           summary=summary, located=located, max_radius=max_radius(),
                           map_center_point=form_center(form), toggle_form=EmptyForm(),
                           status_labels=directory.RELAY_STATUSES,
                           french_lines=french_lines), status


def _save(form, relay=None):
    """Return a page to show again, or None once saved."""
    if not form.validate_on_submit():
        return _page(form, relay=relay, status=422)
    if "locate" in request.form:
        return _page(form, relay=relay, located=locate_into(form))
    places = {"area": service_area(), "max_radius_m": max_radius(), "geocoder": geocoder()}
    try:
        record = {**form.record(), "availability": form.availability_expression()}
        # Through relays_admin: an e-mail without an account gets an invitation, and each
        # change is audited.
        if relay is None:
            relay, invited = relays_admin.register_relay(current_user, record, **places)
            if invited:
                flash(invitation_sent(record["email"].strip(), "pour créer son compte"),
                      "success")
        else:
            relay = relays_admin.update_relay(current_user, relay.id, record, **places)
    except (BadRequest, ValidationFailed, Conflict) as error:
        summary = errors_on_form(form, error)
        status = error.status if isinstance(error, Conflict) else 422
        return _page(form, relay=relay, status=status, summary=summary)
    flash(f"Bienveilleur « {relay.display_name} » enregistré.", "success")
    return None


@bp.route("/bienveilleurs/nouveau", methods=["GET", "POST"])
def new_relay():
    form = RelayForm()
    if request.method == "GET":
        form.capacity.data = "3"
        form.radius_m.data = "1000"
        return _page(form)
    return _save(form) or redirect(url_for(".relays"), 303)


@bp.route("/bienveilleurs/<relay_id>", methods=["GET", "POST"])
def edit_relay(relay_id):
    relay = directory.get_relay(current_user, relay_id)
    if request.method == "GET":
        lat, lon = point_text(relay)
        form = RelayForm(data={
            "display_name": relay.display_name, "email": relay.user.email if relay.user else "",
            "lat": lat, "lon": lon, "radius_m": str(relay.radius_m),
            "capacity": str(relay.capacity), "languages": ", ".join(relay.languages or []),
            "skills": ", ".join(relay.skills or [])})
        form.load_availability(relay.availability)
        return _page(form, relay=relay)
    return (_save(RelayForm(), relay)
            or redirect(url_for(".edit_relay", relay_id=relay.id), 303))


@bp.post("/bienveilleurs/<relay_id>/pause")
def pause(relay_id):
    return _set_status(relay_id, "paused")


@bp.post("/bienveilleurs/<relay_id>/reprise")
def resume(relay_id):
    return _set_status(relay_id, "active")


def _set_status(relay_id, status):
    if not EmptyForm().validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    relay = relays_admin.set_status(current_user, relay_id, status)
    flash(f"« {relay.display_name} » est "
          + ("en pause : aucune nouvelle personne ne lui sera proposée." if status == "paused"
             else "de nouveau actif."), "success")
    return redirect(request.form.get("back") == "list" and url_for(".relays")
                    or url_for(".edit_relay", relay_id=relay.id), 303)
