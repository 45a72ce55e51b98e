"""Login and logout pages."""

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

from ...config import setting
from ...errors import Throttled, Unauthorized
from ...services import accounts
from ..forms import EmptyForm
from ..pages import start_session

bp = Blueprint("auth", __name__)


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


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    error = retry_after = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data, form.password.data, address=request.remote_addr,
                free_attempts=setting("LOGIN_FREE_ATTEMPTS"),
                max_delay=setting("LOGIN_MAX_DELAY_S"))
        except Throttled as exc:
            error, status, retry_after = exc.message, 429, exc.retry_after
        except Unauthorized as exc:
            error, status = exc.message, 401
        else:
            # A fresh session on login: nothing from before survives (session fixation).
            start_session(user)
            flash(f"Bienvenue, {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"),
                            code=303)
    elif request.method == "POST":
        status = 422
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, error=error), status))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


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
