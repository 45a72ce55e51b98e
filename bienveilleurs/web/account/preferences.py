"""The signed-in user's notification preferences."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice

from ...models import Role
from ...services import notifications
from ..pages import login_required_any

bp = Blueprint("preferences", __name__, url_prefix="/preferences")

# What each role receives by e-mail, in words (shown on the page).
RECEIVES = {
    Role.RELAY: ["quand la coordination vous confie une personne"],
    Role.COORDINATOR: ["quand une orientation revient (refusée, sans réponse ou expirée) "
                             "ou ne peut pas être reçue par une structure",
                             "un résumé quotidien de ce qui attend la coordination"],
    Role.SOCIAL_WORKER: ["quand une personne est orientée vers votre structure"],
    Role.ADMIN: [],
}


class RelayPreferencesForm(FlaskForm):
    channel = RadioField("Quand la coordination vous confie une personne", choices=[
        SelectChoice("email", "Me prévenir par e-mail"),
        SelectChoice("none", "Ne pas me prévenir (je consulte l'application)")],
        validate_choice=True)


class CoordinatorPreferencesForm(FlaskForm):
    digest = BooleanField("Recevoir le résumé quotidien (orientations à attribuer, en attente, "
                          "zones non couvertes)")


@bp.route("/notifications", methods=["GET", "POST"])
@login_required_any
def edit():
    role = current_user.role
    prefs = notifications.preferences(current_user)
    form = None
    if role == Role.RELAY:
        form = RelayPreferencesForm(data={"channel": "email" if prefs.email else "none"})
    elif role == Role.COORDINATOR:
        form = CoordinatorPreferencesForm(data={"digest": prefs.digest})
    status = 200
    if form is not None and form.validate_on_submit():
        if role == Role.RELAY:
            notifications.save_preferences(current_user, email=form.channel.data == "email")
        else:
            notifications.save_preferences(current_user, digest=form.digest.data)
        flash("Vos préférences de notification sont enregistrées.", "success")
        return redirect(url_for("preferences.edit"), code=303)
    if request.method == "POST":
        status = 422 if form is not None else 405
    return render_template("preferences/edit.html", form=form,
                           receives=RECEIVES.get(role, [])), status
