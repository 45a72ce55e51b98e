"""The signed-in user's own account: « Mon compte » and changing one's password."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ...config import setting
from ...errors import Throttled, ValidationFailed
from ...security import MIN_PASSWORD_LENGTH
from ...services import accounts
from ..pages import errors_on_form, known_devices, login_required_any, start_session

bp = Blueprint("account", __name__, url_prefix="/compte")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Mot de passe actuel", validators=[
        DataRequired("Indiquez votre mot de passe actuel."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("Nouveau mot de passe", validators=[
        DataRequired("Choisissez un nouveau mot de passe."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        DataRequired("Saisissez à nouveau le nouveau mot de passe."),
        EqualTo("new_password", "Les deux saisies du nouveau mot de passe diffèrent.")],
        render_kw={"autocomplete": "new-password"})


@bp.get("/")
@login_required_any
def index():
    return render_template("account/index.html")


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required_any
def password():
    form = PasswordForm()
    status, error = 200, None
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_user, form.current_password.data, form.new_password.data,
                address=request.remote_addr, devices=known_devices(),
                free_attempts=setting("LOGIN_FREE_ATTEMPTS"),
                max_delay=setting("LOGIN_MAX_DELAY_S"))
        except ValidationFailed as exc:
            status, error = 422, errors_on_form(form, exc)
        except Throttled as exc:
            status, error = 429, exc.message
        else:
            # The second factor given in this session, if any, goes on in the new one.
            start_session(user, second_factor=bool(session.get("second_factor")))
            flash("Votre mot de passe a été modifié. Vos autres sessions et vos jetons d'API "
                  "ont été fermés.", "success")
            return redirect(url_for("main.home"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("account/password.html", form=form, error=error,
                           min_length=MIN_PASSWORD_LENGTH), status
