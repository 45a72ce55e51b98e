"""Check-in campaigns, the coordinators' pages: launching (preview first), the board,
assigning a check, opening a referral for a person in one step, closing, the outcome CSV."""

import uuid
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice

from geo.points import lon_lat

from ... import clock
from ...config import setting
from ...errors import DomainError
from ...extensions import db
from ...models import CAMPAIGN_KIND_LABELS, CAMPAIGN_KINDS, CHECK_STATUS_LABELS, Role, Territory
from ...services import campaigns as service
from ...services import matching, paging
from ...services import referrals as referrals_service
from ..pages import (
    csv_response,
    errors_on_form,
    feature_collection,
    point_feature,
    roles_required,
)
from ..referrals.forms import category_choices

bp = Blueprint("campaigns", __name__)
SUGGESTED = 30
KIND_CHOICES = {**CAMPAIGN_KIND_LABELS, "other": "Autre veille"}  # "Veille : 4 personnes…"


class LaunchForm(FlaskForm):
    id = HiddenField()
    kind = RadioField("Type de veille", choices=[SelectChoice(k, KIND_CHOICES[k])
                                                  for k in CAMPAIGN_KINDS],
                      default="heatwave", validate_choice=False)
    title = StringField("Titre", render_kw={"maxlength": 200})
    deadline = StringField("Toutes les personnes jointes avant le",
                           render_kw={"type": "datetime-local"})
    territory_ids = SelectMultipleField(
        "Territoires", widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(), validate_choice=False)

    def payload(self):
        deadline = (self.deadline.data or "").strip()
        try:
            moment = datetime.fromisoformat(deadline)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=clock.PARIS)
            deadline = moment.isoformat()
        except ValueError:
            pass  # the service says what is expected
        return {"id": (self.id.data or "").strip() or None, "kind": self.kind.data or None,
                "title": self.title.data or None, "deadline": deadline or None,
                "territory_ids": list(self.territory_ids.data or []) or None}


class ActionForm(FlaskForm):
    pass


class AssignForm(FlaskForm):
    relay_id = SelectField("Bienveilleur", validate_choice=False)


class ReferForm(FlaskForm):
    category = SelectField("Besoin", validate_choice=False)
    consent = BooleanField("La personne a demandé de l'aide et ne s'oppose pas à l'orientation")


def _territory_choices():
    if current_user.territories:
        territories = current_user.territories
    else:
        territories = db.session.scalars(select(Territory).order_by(Territory.name)).all()
    return [SelectChoice(str(t.id), t.name) for t in territories]


def _index_page(form, *, preview=None, summary=None, status=200):
    form.territory_ids.choices = _territory_choices()
    return render_template("campaigns/index.html", form=form, preview=preview, summary=summary,
                           campaigns=service.list_campaigns(current_user),
                           kinds=CAMPAIGN_KIND_LABELS), status


@bp.route("/coordination/veilles", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def index():
    form = LaunchForm()
    if request.method == "GET":
        form.id.data = str(uuid.uuid4())
        return _index_page(form)
    if not form.validate_on_submit():
        return _index_page(form, status=422)
    try:
        if request.form.get("action") != "launch":
            return _index_page(form, preview=service.preview(current_user, form.payload()))
        launched = service.launch(current_user, form.payload())
    except DomainError as error:
        summary = errors_on_form(form, error)
        return _index_page(form, summary=summary, status=error.status)
    counts = launched.counts
    flash(f"Veille lancée : {counts['people']} personne(s) à joindre, dont "
          f"{counts['unassigned']} à attribuer." if launched.created
          else "Cette veille était déjà lancée.", "success")
    return redirect(url_for(".board", campaign_id=launched.campaign.id), 303)


def _suggestions(check):
    point = lon_lat(check.resident.point) if check.resident.point is not None else None
    if point is None:
        return []
    query = matching.MatchQuery(lon=point[0], lat=point[1], limit=5)
    return matching.match_relays(query, max_radius_m=setting("RELAY_MAX_RADIUS_M"))


def _board_features(checks):
    features = []
    for number, check in enumerate(checks, 1):
        point = lon_lat(check.resident.point) if check.resident.point is not None else None
        if point:
            features.append(point_feature(point[0], point[1], kind="person", label=str(number),
                                          name=check.resident.name))
    return feature_collection(features)


def _board(campaign_id, key, *, summary=None, status=200):
    campaign, checks = service.board_page(current_user, campaign_id, after=key)
    # Relays to give the call to, or to hand it over to, for the people of the page still to
    # be reached (the board's order puts those who need help or were not reached first).
    open_ones = [c for c in checks if c.status != "ok"][:SUGGESTED]
    suggestions = {c.id: _suggestions(c) for c in open_ones}
    here = {"campaign_id": campaign.id}
    return render_template(
        "campaigns/board.html", campaign=campaign, checks=checks, summary=summary,
        totals=service.counts(current_user, campaign), labels=CHECK_STATUS_LABELS,
        kinds=CAMPAIGN_KIND_LABELS, minutes_left=service.time_left(campaign),
        features=_board_features(checks), suggestions=suggestions, action_form=ActionForm(),
        refer_form=_refer_form(), first_args=here, page_args=key.query_args() if key else {},
        next_args={**here, **checks.after.query_args()} if checks.after else None), status


def _board_key(values):
    return paging.read_status_key(values, service.BOARD_ORDER)


def _back_to_board(campaign_id, key, anchor=""):
    """The board's page the form was sent from (`key`), at the row (`anchor`)."""
    return redirect(url_for(".board", campaign_id=campaign_id,
                            **(key.query_args() if key else {})) + anchor, 303)


def _refer_form():
    form = ReferForm()
    form.category.choices = category_choices()
    return form


@bp.get("/coordination/veilles/<uuid:campaign_id>")
@roles_required(Role.COORDINATOR)
def board(campaign_id):
    return _board(campaign_id, _board_key(request.args))


@bp.post("/coordination/veilles/<uuid:campaign_id>/appels/<uuid:check_id>/attribuer")
@roles_required(Role.COORDINATOR)
def assign(campaign_id, check_id):
    form = AssignForm()
    form.validate_on_submit()
    key = _board_key(request.form)
    try:
        service.assign(current_user, campaign_id, check_id,
                       {"relay_id": form.relay_id.data or None})
    except DomainError as error:
        return _board(campaign_id, key, summary=error.message, status=error.status)
    flash("Appel attribué.", "success")
    return _back_to_board(campaign_id, key, f"#check-{check_id}")


@bp.post("/coordination/veilles/<uuid:campaign_id>/appels/<uuid:check_id>/orientation")
@roles_required(Role.COORDINATOR)
def refer(campaign_id, check_id):
    """Open a referral for the person of a check, in one step (their need, their consent)."""
    form = _refer_form()
    form.validate_on_submit()
    check = service.get_check(current_user, campaign_id, check_id)
    try:
        referral, _ = referrals_service.report(current_user, {
            "resident_id": str(check.resident_id), "category": form.category.data or None,
            "consent": bool(form.consent.data)})
    except DomainError as error:
        return _board(campaign_id, _board_key(request.form), summary=error.message,
                      status=error.status)
    flash("Orientation ouverte pour la personne.", "success")
    return redirect(url_for("coordination.referral", referral_id=referral.id), 303)


@bp.post("/coordination/veilles/<uuid:campaign_id>/cloturer")
@roles_required(Role.COORDINATOR)
def close(campaign_id):
    ActionForm().validate_on_submit()
    service.close(current_user, campaign_id)
    flash("Veille close. Les appels notés en retard par les téléphones sont encore reçus.",
          "success")
    return redirect(url_for(".board", campaign_id=campaign_id), 303)


@bp.post("/coordination/veilles/<uuid:campaign_id>/ajouter")
@roles_required(Role.COORDINATOR)
def add_registered(campaign_id):
    """Add the people registered since the launch (the same rules as the launch)."""
    ActionForm().validate_on_submit()
    try:
        counts = service.add_registered(current_user, campaign_id)
    except DomainError as error:
        return _board(campaign_id, None, summary=error.message, status=error.status)
    flash(f"{counts['people']} personne(s) ajoutée(s) à la veille.", "success")
    return redirect(url_for(".board", campaign_id=campaign_id), 303)


@bp.get("/coordination/veilles/<uuid:campaign_id>.csv")
@roles_required(Role.COORDINATOR)
def outcome_csv(campaign_id):
    campaign, text = service.outcome_csv(current_user, campaign_id)
    return csv_response(text, f"veille-{campaign.id}.csv")
