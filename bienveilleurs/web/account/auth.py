"""Sign-in (password, then the code of the second factor when the account has one), logout."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ... import clock
from ...config import setting
from ...errors import Throttled, Unauthorized
from ...services import accounts, two_factor
from ...services.candidacies import charter
from ..forms import CodeForm, EmptyForm
from ..pages import known_devices, remember_device, start_session

bp = Blueprint("auth", __name__)

# Time to give the code after the password.
CODE_STEP_SECONDS = 300


class LoginForm(FlaskForm):
    email = StringField("Adresse e-mail", validators=[
        DataRequired("Indiquez votre adresse e-mail."), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none"})
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Indiquez votre mot de passe."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})


def safe_next(target):
    """Return `target` only when it is a local path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _page(template, status, error=None, retry_after=None, **context):
    response = current_app.make_response(
        (render_template(template, error=error, **context), status))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _signed_in(user, *, second_factor, target):
    """Open the session; a complete sign-in makes this browser known for the account."""
    start_session(user, second_factor=second_factor)
    flash(f"Bienvenue, {user.name}.", "success")
    if charter.ask_at_sign_in(user):  # a new version of the charter: read it once, then on
        target = url_for("charter.read", next=target or url_for("main.home"))
    response = redirect(target or url_for("main.home"), code=303)
    if second_factor or not user.two_factor_required:
        remember_device(response, user)
    return response


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status, error, retry_after = 200, None, None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data, form.password.data, address=request.remote_addr,
                devices=known_devices(), free_attempts=setting("LOGIN_FREE_ATTEMPTS"),
                max_delay=setting("LOGIN_MAX_DELAY_S"))
        except Throttled as exc:
            error, status, retry_after = exc.message, 429, exc.retry_after
        except Unauthorized as exc:
            error, status = exc.message, 401
        else:
            target = safe_next(request.args.get("next"))
            if not user.two_factor_enabled:
                # A fresh session on login: nothing from before survives (session fixation).
                return _signed_in(user, second_factor=False, target=target)
            session.clear()
            session["pending_sign_in"] = {"user": user.get_id(), "next": target,
                                          "at": clock.now().timestamp()}
            return redirect(url_for("auth.code"), code=303)
    elif request.method == "POST":
        status = 422
    return _page("auth/login.html", status, error, retry_after, form=form)


def _pending():
    pending = session.get("pending_sign_in")
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - float(pending.get("at", 0)) > CODE_STEP_SECONDS:
        session.pop("pending_sign_in", None)
        return None
    return pending


@bp.route("/connexion/code", methods=["GET", "POST"])
def code():
    """The second step: the code of the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        flash("Saisissez d'abord votre adresse e-mail et votre mot de passe.", "info")
        return redirect(url_for("auth.login"), code=303)
    form = CodeForm()
    status, error, retry_after = 200, None, None
    if form.validate_on_submit():
        try:
            user = two_factor.verify_sign_in(pending["user"], form.code.data,
                                             address=request.remote_addr, devices=known_devices())
        except Throttled as exc:
            error, status, retry_after = exc.message, 429, exc.retry_after
        except Unauthorized as exc:
            error, status = exc.message, 401
        else:
            return _signed_in(user, second_factor=True, target=pending.get("next"))
    elif request.method == "POST":
        status = 422
    return _page("auth/code.html", status, error, retry_after, form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("La déconnexion a échoué : rechargez la page et réessayez.", "error")
        return redirect(url_for("main.home"), code=303)
    if current_user.is_authenticated:
        accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté·e.", "success")
    response = redirect(url_for("auth.login"), code=303)
    # The phone keeps an offline copy and an outbox: nothing may survive a logout.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
