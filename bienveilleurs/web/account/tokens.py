"""One's own API tokens: list, create (shown once), revoke."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...errors import ValidationFailed
from ...services import administration
from ..forms import EmptyForm
from ..pages import errors_on_form, login_required_any

bp = Blueprint("tokens", __name__, url_prefix="/compte/jetons")


class TokenForm(FlaskForm):
    label = StringField("Nom du jeton (l'outil qui l'utilisera)", validators=[
        DataRequired("Donnez un nom au jeton."),
        Length(max=120, message="120 caractères au plus.")])


@bp.route("/", methods=["GET", "POST"])
@login_required_any
def index():
    form = TokenForm()
    status, created = 200, None
    if form.validate_on_submit():
        try:
            created = administration.create_my_token(current_user, form.label.data)
        except ValidationFailed as exc:
            status = 422
            errors_on_form(form, exc, fallback="label")
        else:
            status = 201
            form = TokenForm(formdata=None)
    elif request.method == "POST":
        status = 422
    return render_template("tokens/index.html", form=form, created=created,
                           tokens=administration.my_tokens(current_user),
                           revoke_form=EmptyForm()), status


@bp.route("/<token_id>/revoquer", methods=["POST"])
@login_required_any
def revoke(token_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    administration.revoke_my_token(current_user, token_id)
    flash("Le jeton est révoqué : il ne fonctionne plus.", "success")
    return redirect(url_for("tokens.index"), code=303)
