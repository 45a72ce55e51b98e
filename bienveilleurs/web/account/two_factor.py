"""One's own second factor: enrolment (QR code drawn here), recovery codes, turning it off."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from ...errors import Conflict, Throttled, ValidationFailed
from ...services import two_factor
from ..forms import CodeForm
from ..pages import (
    errors_on_form,
    known_devices,
    login_required_any,
    remember_device,
    start_session,
)

bp = Blueprint("two_factor", __name__, url_prefix="/compte/double-authentification")


class DisableForm(CodeForm):
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Indiquez votre mot de passe."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})


def _no_store(response):
    # Secrets on the page (the key, recovery codes): never in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template, status=200, **context):
    return _no_store(current_app.make_response((render_template(template, **context), status)))


@bp.get("/")
@login_required_any
def index():
    left = two_factor.recovery_codes_left(current_user) if current_user.two_factor_enabled else 0
    return _render("two_factor/index.html", codes_left=left, renew_form=CodeForm(prefix="renew"),
                   disable_form=DisableForm(prefix="disable"))


def _spaced(secret):
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@bp.route("/activer", methods=["GET", "POST"])
@login_required_any
def enrol():
    if current_user.two_factor_enabled:
        return redirect(url_for("two_factor.index"), code=303)
    secret = two_factor.start_enrolment(current_user)
    form = CodeForm()
    status, error = 200, None
    if form.validate_on_submit():
        try:
            user, codes = two_factor.confirm_enrolment(
                current_user, form.code.data, address=request.remote_addr, devices=known_devices())
        except ValidationFailed as exc:
            status, error = 422, errors_on_form(form, exc, fallback="code")
        except Throttled as exc:
            status, error = 429, exc.message
        else:
            # Every other session ended; this browser goes on, with its second factor.
            start_session(user, second_factor=True)
            response = _render("two_factor/codes.html", status=201, codes=codes, first=True)
            return remember_device(response, user)
    elif request.method == "POST":
        status = 422
    uri = two_factor.provisioning_uri(current_user, secret)
    return _render("two_factor/enrol.html", status, form=form, error=error,
                   qr=two_factor.qr_svg(uri), secret=_spaced(secret),
                   required=current_user.two_factor_required)


@bp.post("/codes-de-secours")
@login_required_any
def renew():
    form = CodeForm(prefix="renew")
    if form.validate_on_submit():
        try:
            codes = two_factor.renew_recovery_codes(
                current_user, form.code.data, address=request.remote_addr,
                devices=known_devices())
        except (ValidationFailed, Conflict, Throttled) as exc:
            flash(_message(exc), "error")
        else:
            return _render("two_factor/codes.html", status=201, codes=codes, first=False)
    else:
        flash("Saisissez un code de votre application.", "error")
    return redirect(url_for("two_factor.index"), code=303)


@bp.post("/desactiver")
@login_required_any
def disable():
    form = DisableForm(prefix="disable")
    if form.validate_on_submit():
        try:
            user = two_factor.disable(current_user, form.password.data, form.code.data,
                                      address=request.remote_addr, devices=known_devices())
        except (ValidationFailed, Conflict, Throttled) as exc:
            flash(_message(exc), "error")
        else:
            start_session(user)
            flash("La double authentification est désactivée. Vos autres sessions ont été "
                  "fermées.", "success")
    else:
        flash("Indiquez votre mot de passe et un code de votre application.", "error")
    return redirect(url_for("two_factor.index"), code=303)


def _message(error):
    details = [d.get("message") for d in getattr(error, "details", None) or []]
    return " ".join(d for d in details if d) or error.message
