"""The relays' phone pages: report a person, my people, a referral, log a contact, orient.

Each view parses the form, calls one function of services.referrals, then renders or
redirects (303). The person's position is only ever posted (never in a URL).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from geo.points import lon_lat

from ... import clock
from ...errors import DomainError, Forbidden, NotFound, ResidentErased
from ...models import Role
from ...services import campaigns
from ...services import referrals as service
from ...services.codes import publics
from ...services.evaluation import follow_ups
from ..pages import (
    distance_text,
    errors_on_form,
    feature_collection,
    form_center,
    point_feature,
    roles_required,
    since,
)
from ..referrals.forms import (
    MISSING,
    REPORT_FIELDS,
    ContactForm,
    ReferForm,
    ReportForm,
    local_input_value,
    version_value,
)
from ..referrals.page import labels, post_move, render_referral

bp = Blueprint("relay", __name__)


# --- report ------------------------------------------------------------------------------------

def _map_start(form):
    """Where the picking map opens: the typed point, else the relay's own area (their
    point is shown to nobody else), else the middle of the service area."""
    typed = form_center(form)
    if typed is not None:
        return typed, 16
    relay = getattr(current_user, "relay", None)
    point = lon_lat(relay.point) if relay is not None else None
    if point is not None:
        return (round(point[1], 3), round(point[0], 3)), 14
    return None, 13


def _report_page(form, *, summary=None, status=200):
    centre, zoom = _map_start(form)
    return render_template("relay/report.html", form=form, summary=summary, publics=publics(),
                           map_center_point=centre, map_zoom=zoom), status


@bp.route("/signaler", methods=["GET", "POST"])
@roles_required(Role.RELAY, Role.COORDINATOR)
def report():
    form = ReportForm()
    if request.method == "GET":
        return _report_page(form)
    if not form.validate_on_submit():  # lengths (CSRF is checked before the view)
        return _report_page(form, status=422)
    try:
        referral, created = service.report(current_user, form.payload())
    except DomainError as error:
        summary = errors_on_form(form, error, aliases=REPORT_FIELDS, missing=MISSING)
        return _report_page(form, summary=summary, status=error.status)
    if created:
        flash("Signalement enregistré. La coordination va attribuer la personne à un "
              "bienveilleur.", "success")
    else:
        flash("Ce signalement était déjà enregistré.", "info")
    if current_user.role == Role.COORDINATOR:
        return redirect(url_for("coordination.referral", referral_id=referral.id), 303)
    return redirect(url_for(".my_people"), 303)


# --- my people ---------------------------------------------------------------------------------

@bp.get("/mes-personnes")
@roles_required(Role.RELAY)
def my_people():
    user = current_user
    mine = service.read_my_people(user)
    open_ones = [r for r in mine if r.status != "closed"]
    closed = [r for r in mine if r.status == "closed"]
    moves = {r.id: {m.name for m in service.available_moves(user, r)} for r in open_ones}
    return render_template("relay/my_people.html", referrals=open_ones, closed=closed, moves=moves,
                           returned=service.returns_to_reorient(user, open_ones),
                           reported=service.reported_by(user), labels=labels(), since=since,
                           follow_ups=follow_ups.read_relay_follow_ups(user),
                           campaign_checks=campaigns.my_open_checks(user))


# --- one referral ------------------------------------------------------------------------------

@bp.get("/orientations/<uuid:referral_id>")
@roles_required(Role.RELAY)
def referral(referral_id):
    return render_referral("relay", referral_id)


@bp.post("/orientations/<uuid:referral_id>/etat/<to>")
@roles_required(Role.RELAY)
def move(referral_id, to):
    return post_move("relay", referral_id, to, list_endpoint="relay.my_people")


def _accompanied(referral_id):
    """Return the referral if the relay accompanies the person (full view); 403 if only reported."""
    referral = service.get_referral(current_user, referral_id)
    if service.visibility(current_user, referral) != "full":
        raise Forbidden("Seul le bienveilleur qui accompagne la personne peut faire cela.")
    return referral


# --- log a contact -----------------------------------------------------------------------------

def _contact_page(referral_id, form, *, summary=None, status=200):
    referral = _accompanied(referral_id)
    form.referral_id.data = str(referral.id)
    return render_template("relay/contact.html", referral=referral, form=form, summary=summary,
                           labels=labels()), status


@bp.route("/orientations/<uuid:referral_id>/contact", methods=["GET", "POST"])
@roles_required(Role.RELAY)
def contact(referral_id):
    form = ContactForm()
    if request.method == "GET":
        form.at.data = local_input_value(clock.now())
        return _contact_page(referral_id, form)
    if not form.validate_on_submit():
        return _contact_page(referral_id, form, status=422)
    try:
        logged, created = service.log_contact(current_user, referral_id, form.payload())
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        summary = errors_on_form(form, error, missing=MISSING)
        return _contact_page(referral_id, form, summary=summary, status=error.status)
    if not created:
        flash("Ce contact était déjà noté.", "info")
    elif logged.referral.status == "contacted" and logged.reached:
        flash("Contact noté. Prochaine étape : orienter la personne vers une ressource.",
              "success")
    else:
        flash("Contact noté.", "success")
    return redirect(url_for(".referral", referral_id=referral_id), 303)


# --- orient to a resource ----------------------------------------------------------------------

def _orient_page(referral_id, form, *, summary=None, status=200):
    user = current_user
    referral = _accompanied(referral_id)
    can_refer = any(m.target == "referred" for m in service.available_moves(user, referral))
    resources = service.proposed_resources(user, referral, limit=8) if can_refer else []
    form.version.data = str(referral.version)
    position = service.resident_position(user, referral)
    features = feature_collection(
        point_feature(r["lon"], r["lat"], kind="resource", label=n, name=r["name"],
                      detail=f"{r['structure_name']} — {distance_text(r['distance_m'])}")
        for n, r in enumerate(resources, start=1))
    if position is not None:
        features["features"].append(point_feature(position["lon"], position["lat"],
                                                  kind="person", name="La personne"))
    return render_template("relay/orient.html", referral=referral, form=form, summary=summary,
                           resources=resources, can_refer=can_refer, features=features,
                           labels=labels()), status


@bp.route("/orientations/<uuid:referral_id>/orienter", methods=["GET", "POST"])
@roles_required(Role.RELAY)
def orient(referral_id):
    form = ReferForm()
    if request.method == "GET":
        return _orient_page(referral_id, form)
    if not form.validate_on_submit():
        return _orient_page(referral_id, form, status=422)
    try:
        referral = service.transition(current_user, referral_id, "referred",
                                      resource_id=form.resource_id.data or None,
                                      version=version_value(form), note=form.note.data,
                                      share_report_note=bool(form.share_report_note.data))
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        summary = errors_on_form(form, error, missing=MISSING)
        return _orient_page(referral_id, form, summary=summary, status=error.status)
    name = referral.resource.name if referral.resource is not None else "la ressource"
    flash(f"Orientation envoyée à « {name} ». La structure est prévenue ; vous serez tenu·e "
          "au courant de sa réponse ici.", "success")
    return redirect(url_for(".referral", referral_id=referral_id), 303)
