"""The charter: admins publish versions; a relay reads and signs the current one (asked once
at sign-in after a new version); coordinators see which active relays have not signed."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from ...errors import BadRequest, Conflict, NotFound, ValidationFailed
from ...models import Role
from ...services import paging
from ...services.candidacies import charter
from ..pages import MANAGERS, errors_on_form, roles_required

bp = Blueprint("charter", __name__)


class PublishForm(FlaskForm):
    text_md = TextAreaField("Texte de la charte (Markdown : titres #, listes -, **gras**)",
                            render_kw={"rows": 18})


class SignForm(FlaskForm):
    version_id = HiddenField()


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/admin/charte", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def publish():
    form = PublishForm()
    status, summary = 200, None
    if request.method == "GET":
        current = charter.current_version()
        form.text_md.data = current.text_md if current else ""
    elif not form.validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    else:
        try:
            version = charter.publish(current_user, {"text_md": form.text_md.data})
        except (BadRequest, ValidationFailed) as error:
            status, summary = 422, errors_on_form(form, error)
        else:
            flash(f"Version {version.number} publiée : chaque bienveilleur actif sera invité à "
                  "la signer à sa prochaine connexion.", "success")
            return redirect(url_for(".publish"), code=303)
    versions = charter.versions()
    return render_template("candidacies/charter_admin.html", form=form, summary=summary,
                           versions=versions, render=charter.render), status


@bp.get("/reseau/charte")
@roles_required(*MANAGERS)
def unsigned():
    key = paging.read_name_key(request.args)
    version, relays = charter.unsigned_relays(current_user, after=key)
    return render_template("candidacies/charter_unsigned.html", version=version, relays=relays,
                           next_args=relays.after.query_args() if relays.after else None,
                           here_args=key.query_args() if key else {})


@bp.route("/charte", methods=["GET", "POST"])
@roles_required(Role.RELAY)
def read():
    target = _safe_next(request.args.get("next")) or url_for("relay.my_people")
    version, relay, signed = charter.relay_status(current_user)
    form = SignForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
        try:
            version = charter.sign_as_relay(current_user, form.version_id.data)
        except (Conflict, NotFound) as error:
            flash(error.message, "error")
            return redirect(url_for(".read", next=target), code=303)
        flash(f"Merci : la charte (version {version.number}) est signée.", "success")
        return redirect(target, code=303)
    if version is not None:
        form.version_id.data = str(version.id)
    return render_template("candidacies/charter_relay.html", version=version, signed=signed,
                           relay=relay, form=form, target=target,
                           text=charter.render(version.text_md) if version else None)
