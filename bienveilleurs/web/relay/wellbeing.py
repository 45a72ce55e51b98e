"""The relay's measure page: the three questions and the networks, at the first contact
(baseline) or at the call-back after the closure (follow_up); kept in the phone's outbox
when the network is gone (data-outbox="wellbeing", POST /api/v1/referrals/{id}/wellbeing).
"""

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from ... import clock
from ...errors import DomainError, NotFound, ResidentErased
from ...models import NETWORK_LABELS, NETWORKS, UCLA3_ANSWERS, UCLA3_QUESTIONS, Role
from ...services import referrals as service
from ...services.evaluation import measures
from ..pages import errors_on_form, roles_required
from ..referrals.forms import category_choices

bp = Blueprint("relay_wellbeing", __name__)

MOMENTS = {"baseline": "Premier contact", "follow_up": "Rappel après la clôture"}
_ANSWERS = [(str(value), label) for value, label in UCLA3_ANSWERS.items()]


class MeasureForm(FlaskForm):
    id = HiddenField()  # client UUID filled by the phone's outbox
    referral_id = HiddenField()
    moment = HiddenField()
    at = HiddenField()
    answered = RadioField("La personne accepte-t-elle de répondre ?", validate_choice=False,
                          choices=[("true", "Oui"), ("false", "Ne souhaite pas répondre")])
    lacks_company = RadioField(UCLA3_QUESTIONS["lacks_company"], choices=_ANSWERS,
                               validate_choice=False)
    left_out = RadioField(UCLA3_QUESTIONS["left_out"], choices=_ANSWERS, validate_choice=False)
    isolated = RadioField(UCLA3_QUESTIONS["isolated"], choices=_ANSWERS, validate_choice=False)
    networks = SelectMultipleField("Qui voit-elle régulièrement ?", validate_choice=False,
                                   choices=[(n, NETWORK_LABELS[n]) for n in NETWORKS],
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())

    def payload(self, moment):
        answered = {"true": True, "false": False}.get(self.answered.data or "")
        body = {"id": (self.id.data or "").strip() or str(uuid.uuid4()),
                "at": self.at.data or clock.now().isoformat(), "moment": moment,
                "answered": answered}
        if answered:
            for name in measures.SCORES:
                value = getattr(self, name).data
                body[name] = int(value) if value and value.isdigit() else None
            body["networks"] = list(self.networks.data or [])
        return body


def _page(referral, form, moment, *, summary=None, status=200):
    form.referral_id.data, form.moment.data = str(referral.id), moment
    return render_template("evaluation/measure.html", referral=referral, form=form,
                           moment=moment, moment_label=MOMENTS[moment],
                           summary=summary), status


@bp.route("/orientations/<uuid:referral_id>/mesure/<moment>", methods=["GET", "POST"])
@roles_required(Role.RELAY, Role.COORDINATOR)
def measure(referral_id, moment):
    if moment not in MOMENTS:
        raise NotFound()
    referral = service.get_referral(current_user, referral_id)
    form = MeasureForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _page(referral, form, moment, status=200 if request.method == "GET" else 422)
    try:
        _, created = measures.record_measure(current_user, referral_id, form.payload(moment))
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        summary = errors_on_form(form, error, fallback="answered")
        return _page(referral, form, moment, summary=summary, status=error.status)
    flash("Réponses notées. Merci." if created else "Ces réponses étaient déjà notées.",
          "success")
    if moment == "follow_up":
        return redirect(url_for("relay.my_people"), 303)
    return redirect(url_for("relay.referral", referral_id=referral_id), 303)


class NewNeedForm(FlaskForm):
    category = SelectField("Nouveau besoin", choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()


@bp.route("/orientations/<uuid:referral_id>/nouveau-besoin", methods=["GET", "POST"])
@roles_required(Role.RELAY)
def new_need(referral_id):
    """A new need found by the call-back: a new referral for the same person, in one step."""
    referral = service.get_referral(current_user, referral_id)
    form = NewNeedForm()
    summary, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.report(current_user, {"resident_id": str(referral.resident_id),
                                          "category": form.category.data or None,
                                          "consent": True})
        except (NotFound, ResidentErased):
            raise
        except DomainError as error:
            summary, status = errors_on_form(form, error, fallback="category"), error.status
        else:
            flash("Nouveau besoin signalé. La coordination va l'attribuer.", "success")
            return redirect(url_for("relay.my_people"), 303)
    return render_template("evaluation/new_need.html", referral=referral, form=form,
                           summary=summary), status
