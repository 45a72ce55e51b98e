"""Public pages of one-time links: accept an invitation, forgotten password, reset."""

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
from wtforms.validators import DataRequired, EqualTo, Length

from ...errors import NotFound, Throttled, ValidationFailed
from ...security import MIN_PASSWORD_LENGTH
from ...services import invitations
from ..pages import errors_on_form

bp = Blueprint("invitations", __name__)

SAME_ANSWER = ("Si un compte actif correspond à cette adresse, un e-mail contenant un lien de "
               "réinitialisation vient de lui être envoyé. Pensez à vérifier les courriers "
               "indésirables.")


class SetPasswordForm(FlaskForm):
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Choisissez un mot de passe."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Confirmez le mot de passe", validators=[
        DataRequired("Saisissez à nouveau le mot de passe."),
        EqualTo("password", "Les deux saisies diffèrent.")],
        render_kw={"autocomplete": "new-password"})


class ForgotForm(FlaskForm):
    email = StringField("Adresse e-mail", validators=[
        DataRequired("Indiquez votre adresse e-mail."), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none",
                   "type": "email"})


def _open_link(token, purpose, endpoint):
    """Check a link's secret, hold the link's row id in the session, show the page without it.

    The secret then stays out of the browser history (a shared computer in a social centre)
    and of any Referer header, and out of the session cookie too (signed, not encrypted):
    only the row id is kept, useless without this very cookie.
    """
    try:
        link_id = invitations.open_link(token, purpose)
    except NotFound as exc:
        return render_template("invitations/invalid.html", message=exc.message), 404
    session["account_link"] = {"purpose": purpose, "id": str(link_id)}
    return redirect(url_for(endpoint), code=303)


def _held_link(purpose):
    held = session.get("account_link") or {}
    return held.get("id") if held.get("purpose") == purpose else None


def _link_page(purpose, template, use):
    link_id = _held_link(purpose)
    try:
        if link_id is None:
            raise NotFound(invitations.INVALID_LINK)
        user = invitations.check_link(None, purpose, link_id=link_id)
    except NotFound as exc:
        return render_template("invitations/invalid.html", message=exc.message), 404
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            use(None, form.password.data, link_id=link_id)
        except ValidationFailed as exc:
            status = 422
            errors_on_form(form, exc, fallback="password")
        except NotFound as exc:
            return render_template("invitations/invalid.html", message=exc.message), 404
        else:
            session.pop("account_link", None)
            if current_user.is_authenticated:
                logout_user()
            flash("Votre mot de passe est enregistré. Connectez-vous avec votre adresse e-mail.",
                  "success")
            return redirect(url_for("auth.login"), code=303)
    elif request.method == "POST":
        status = 422
    response = current_app.make_response((render_template(
        template, form=form, user=user, min_length=MIN_PASSWORD_LENGTH), status))
    # The secret is in this page's address: never keep it in a cache (the app-wide
    # Referrer-Policy same-origin keeps it from other sites).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/invitation/<token>")
def accept_link(token):
    return _open_link(token, "invitation", "invitations.accept")


@bp.route("/invitation", methods=["GET", "POST"])
def accept():
    return _link_page("invitation", "invitations/accept.html", invitations.accept_invitation)


@bp.get("/reinitialisation/<token>")
def reset_link(token):
    return _open_link(token, "password_reset", "invitations.reset")


@bp.route("/reinitialisation", methods=["GET", "POST"])
def reset():
    return _link_page("password_reset", "invitations/reset.html", invitations.reset_password)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    status, error, sent = 200, None, False
    if form.validate_on_submit():
        try:
            invitations.request_password_reset(form.email.data, address=request.remote_addr)
        except Throttled as exc:
            status, error = 429, exc.message
        else:
            sent = True
    elif request.method == "POST":
        status = 422
    response = current_app.make_response(
        (render_template("invitations/forgot.html", form=form, error=error, sent=sent,
                         message=SAME_ANSWER), status))
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response
