"""A relay's own page, on the phone: weekly availability and action radius."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from ...config import setting
from ...errors import BadRequest, ValidationFailed
from ...models import Role
from ...services import directory
from ...services.weekly_hours import french_lines
from ..forms import WeeklyMixin, with_weekly_fields
from ..pages import errors_on_form, roles_required

bp = Blueprint("profile", __name__, url_prefix="/mes-disponibilites")


@with_weekly_fields
class ProfileForm(WeeklyMixin, FlaskForm):
    radius_m = StringField("Rayon d'action (mètres)", render_kw={"inputmode": "numeric"})


def _page(form, relay, status=200, summary=None):
    return render_template("profile/edit.html", form=form, relay=relay, summary=summary,
                           max_radius=setting("RELAY_MAX_RADIUS_M"),
                           french_lines=french_lines), status


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.RELAY)
def edit():
    relay = directory.relay_for_user(current_user)
    if relay is None:
        return render_template("profile/edit.html", relay=None, form=None)
    if request.method == "GET":
        form = ProfileForm(data={"radius_m": str(relay.radius_m)})
        form.load_availability(relay.availability)
        return _page(form, relay)
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(form, relay, 422)
    try:
        expression = form.availability_expression()
        directory.update_own_profile(current_user, {"radius_m": form.radius_m.data,
                                                    "availability": expression},
                                     max_radius_m=setting("RELAY_MAX_RADIUS_M"))
    except (BadRequest, ValidationFailed) as error:
        return _page(form, relay, 422, errors_on_form(form, error))
    flash("Vos disponibilités sont enregistrées.", "success")
    return redirect(url_for(".edit"), 303)
