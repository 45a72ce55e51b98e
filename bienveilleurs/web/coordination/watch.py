"""The watch register's pages: a person's entry (coordinator or their relay), the register
per territory (coordinators; admins with approximate points) and its CSV (admins)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice

from ...errors import DomainError
from ...extensions import db
from ...models import WATCH_REASON_LABELS, WATCH_REASONS, Role, Territory
from ...services import campaigns as service
from ...services.fields import QueryFields
from ..pages import (
    csv_response,
    errors_on_form,
    feature_collection,
    point_feature,
    roles_required,
)

bp = Blueprint("watch", __name__)


class WatchForm(FlaskForm):
    consent = BooleanField("La personne a demandé elle-même à être appelée pendant les alertes "
                           "(canicule, grand froid)")
    reasons = SelectMultipleField(
        "Pourquoi (facultatif, jamais de détail de santé)",
        choices=[SelectChoice(r, WATCH_REASON_LABELS[r]) for r in WATCH_REASONS],
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        validate_choice=False)
    phone = StringField("Téléphone pour l'appel (facultatif)", render_kw={"type": "tel"})

    def payload(self):
        return {"consent": bool(self.consent.data), "reasons": list(self.reasons.data or []),
                "phone": (self.phone.data or "").strip() or None}


class RemoveForm(FlaskForm):
    pass


def _watch_page(resident_id, form, *, summary=None, status=200):
    entry = service.entry_of(current_user, resident_id)
    return render_template("campaigns/watch.html", entry=entry, form=form, summary=summary,
                           remove_form=RemoveForm(), resident_id=resident_id,
                           reasons=service.reason_labels(entry) if entry else ""), status


@bp.route("/personnes/<uuid:resident_id>/veille", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.RELAY)
def person(resident_id):
    form = WatchForm()
    if request.method == "GET":
        return _watch_page(resident_id, form)
    if not form.validate_on_submit():
        return _watch_page(resident_id, form, status=422)
    try:
        service.add_to_register(current_user, resident_id, form.payload())
    except DomainError as error:
        summary = errors_on_form(form, error, fallback="consent")
        return _watch_page(resident_id, form, summary=summary, status=error.status)
    flash("La personne est inscrite au registre de veille : elle sera appelée pendant les "
          "alertes.", "success")
    return redirect(url_for(".person", resident_id=resident_id), 303)


@bp.post("/personnes/<uuid:resident_id>/veille/retirer")
@roles_required(Role.COORDINATOR, Role.RELAY)
def remove(resident_id):
    RemoveForm().validate_on_submit()
    service.remove_from_register(current_user, resident_id)
    flash("La personne est retirée du registre de veille.", "success")
    return redirect(url_for(".person", resident_id=resident_id), 303)


@bp.get("/coordination/registre-de-veille")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def register():
    fields = QueryFields(request.args)
    territory_id = fields.uuid("territoire", label="Le territoire")
    fields.done()
    rows = service.register_rows(current_user, territory_id)
    territories = current_user.territories if current_user.role == Role.COORDINATOR and \
        current_user.territories else db.session.scalars(
            select(Territory).order_by(Territory.name)).all()
    features = feature_collection([
        point_feature(r["point"][0], r["point"][1], name=r["resident"].name)
        for r in rows if r["point"]])
    return render_template("campaigns/register.html", rows=rows, territories=territories,
                           territory_id=territory_id, features=features,
                           due=sum(1 for r in rows if r["due"]),
                           reason_labels=service.reason_labels)


@bp.get("/coordination/registre-de-veille.csv")
@roles_required(Role.ADMIN)
def register_csv():
    return csv_response(service.register_csv(current_user), "registre-de-veille.csv")
