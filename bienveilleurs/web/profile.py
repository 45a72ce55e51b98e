"""A relay's own page, on the phone: weekly availability and action radius."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import BadRequest, ValidationFailed
from ..services import directory
from ..services.weekly_hours import french_lines
from .common import roles_required
from .directory_forms import ProfileForm, show_errors

bp = Blueprint("profile", __name__, url_prefix="/mes-disponibilites")


def _page(form, relay, status=200, summary=None):
    return render_template("profile/edit.html", form=form, relay=relay, summary=summary,
                           max_radius=current_app.config["RELAY_MAX_RADIUS_M"],
                           french_lines=french_lines), status


@bp.route("/", methods=["GET", "POST"])
@roles_required("relay")
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
    expression, errors = form.availability_expression()
    if errors:
        for name, message in errors.items():
            form._fields[name].errors = list(form._fields[name].errors) + [message]
        return _page(form, relay, 422)
    try:
        directory.update_own_profile(current_user, {"radius_m": form.radius_m.data,
                                                    "availability": expression},
                                     max_radius_m=current_app.config["RELAY_MAX_RADIUS_M"])
    except (BadRequest, ValidationFailed) as error:
        return _page(form, relay, 422, show_errors(form, error))
    flash("Vos disponibilités sont enregistrées.", "success")
    return redirect(url_for(".edit"), 303)
