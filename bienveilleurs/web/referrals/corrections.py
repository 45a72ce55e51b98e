"""« Corriger les informations » of a referral: the person's details and the need.

One form page for the coordinators (their scope) and the relay the referral is assigned
to; services.referrals.correct_details decides everything (scope 404, 403, closed 409,
stale version 409, erased 410, values 422) and its per-field errors are put back on the
fields. The position is not on the form: it does not change here.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from ...errors import DomainError, Forbidden, NotFound, ResidentErased, StaleVersion
from ...extensions import db
from ...models import Referral, Role
from ...services import referrals as service
from ...services.codes import publics
from ..pages import errors_on_form, roles_required
from .forms import MISSING, REPORT_FIELDS, PersonDetailsForm, version_value

bp = Blueprint("referral_corrections", __name__)

# Where the referral page of each role lives.
REFERRAL_PAGES = {Role.COORDINATOR: "coordination.referral", Role.RELAY: "relay.referral"}

STALE_MESSAGE = ("Ces informations ont été modifiées entre-temps par quelqu'un d'autre : rien n'a "
                 "été enregistré. Vos saisies sont conservées ci-dessous ; vérifiez-les, puis "
                 "enregistrez à nouveau.")


class CorrectionForm(PersonDetailsForm):
    version = HiddenField()

    def fill(self, referral):
        """Prefill with what is stored (on a GET)."""
        resident = referral.resident
        self.version.data = str(referral.version)
        self.first_name.data = resident.first_name or ""
        self.pseudonym.data = resident.pseudonym or ""
        self.category.data = referral.category
        self.languages.data = ", ".join(resident.languages or [])
        self.phone.data = resident.phone or ""
        self.audiences.data = list(resident.audiences or [])
        self.newcomer.data = bool(resident.newcomer)

    def payload(self):
        """The `data` of services.referrals.correct_details for these values."""
        return {"resident": self.person_payload(), "category": self.category.data or None}


def _referral_page(referral_id):
    return url_for(REFERRAL_PAGES[current_user.role], referral_id=referral_id)


def _page(referral, form, *, summary=None, status=200):
    return render_template("referrals/correct.html", referral=referral, form=form,
                           summary=summary, publics=publics(),
                           back=_referral_page(referral.id)), status


@bp.route("/orientations/<uuid:referral_id>/corriger", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.RELAY)
def correct(referral_id):
    referral = service.get_referral(current_user, referral_id)  # out of scope: 404
    if referral.resident is None or referral.resident.erased_at is not None:
        raise ResidentErased()
    if not service.may_correct(current_user, referral):
        raise Forbidden("Seuls la coordination et le bienveilleur qui accompagne la personne "
                        "corrigent ses informations, tant que l'orientation est ouverte.")
    form = CorrectionForm()
    if request.method == "GET":
        form.fill(referral)
        return _page(referral, form)
    if not form.validate_on_submit():  # lengths (CSRF is checked before the view)
        return _page(referral, form, status=422)
    try:
        changed = service.correct_details(current_user, referral_id, form.payload(),
                                          version=version_value(form))
    except (NotFound, ResidentErased):
        raise
    except StaleVersion as error:
        # Someone saved meanwhile: keep what the user typed, take the version now stored,
        # and ask them to check before saving again (nothing was written).
        referral = db.session.get(Referral, referral.id, populate_existing=True)
        form.version.data = str(referral.version)
        return _page(referral, form, summary=STALE_MESSAGE, status=error.status)
    except DomainError as error:
        summary = errors_on_form(form, error, aliases=REPORT_FIELDS, missing=MISSING)
        return _page(referral, form, summary=summary, status=error.status)
    if changed:
        flash("Informations corrigées.", "success")
    else:
        flash("Aucune information n'a changé.", "info")
    return redirect(_referral_page(referral_id), 303)
