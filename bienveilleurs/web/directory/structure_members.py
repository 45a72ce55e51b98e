"""A structure's members and contact e-mail (admins and coordinators)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...errors import Conflict, ValidationFailed
from ...services import structure_members as service
from ..forms import EmptyForm
from ..pages import MANAGERS, errors_on_form, roles_required

bp = Blueprint("structure_members", __name__, url_prefix="/gestion/structures")

EMAIL = {"type": "email", "inputmode": "email", "autocomplete": "off", "autocapitalize": "none"}


class MemberForm(FlaskForm):
    email = StringField("Adresse e-mail du travailleur social", validators=[
        DataRequired("Indiquez une adresse e-mail."), Length(max=254)], render_kw=EMAIL)
    display_name = StringField("Nom affiché", validators=[Length(max=120)])


class ContactForm(FlaskForm):
    contact_email = StringField("Adresse de contact pour les notifications",
                                validators=[Length(max=254)], render_kw=EMAIL)


def _page(structure, *, member_form=None, contact_form=None, status=200):
    return render_template(
        "structure_members/index.html", structure=structure, members=service.members(structure),
        member_form=member_form or MemberForm(formdata=None),
        contact_form=contact_form or ContactForm(
            formdata=None, data={"contact_email": structure.contact_email or ""}),
        form=EmptyForm()), status


@bp.route("/<structure_id>/membres", methods=["GET"])
@roles_required(*MANAGERS)
def index(structure_id):
    return _page(service.get_structure(current_user, structure_id))


@bp.route("/<structure_id>/membres", methods=["POST"])
@roles_required(*MANAGERS)
def add(structure_id):
    structure = service.get_structure(current_user, structure_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _page(structure, member_form=form, status=422)
    try:
        user, invited = service.add_member(current_user, structure.id, email=form.email.data,
                                           display_name=form.display_name.data)
    except (ValidationFailed, Conflict) as exc:
        errors_on_form(form, exc, fallback="email")
        return _page(structure, member_form=form, status=exc.status)
    flash(f"Invitation envoyée à {user.email} : une fois son mot de passe choisi, cette personne "
          "verra les orientations adressées à la structure." if invited else
          f"{user.email} est maintenant membre de la structure.", "success")
    return redirect(url_for("structure_members.index", structure_id=structure.id), code=303)


@bp.route("/<structure_id>/membres/<user_id>/retirer", methods=["POST"])
@roles_required(*MANAGERS)
def remove(structure_id, user_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = service.remove_member(current_user, structure_id, user_id)
    flash(f"{user.email} ne fait plus partie de la structure.", "success")
    return redirect(url_for("structure_members.index", structure_id=structure_id), code=303)


@bp.route("/<structure_id>/contact", methods=["POST"])
@roles_required(*MANAGERS)
def contact(structure_id):
    structure = service.get_structure(current_user, structure_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _page(structure, contact_form=form, status=422)
    try:
        service.set_contact_email(current_user, structure.id, form.contact_email.data)
    except ValidationFailed as exc:
        errors_on_form(form, exc, fallback="contact_email")
        return _page(structure, contact_form=form, status=422)
    flash("Adresse de contact enregistrée.", "success")
    return redirect(url_for("structure_members.index", structure_id=structure.id), code=303)
