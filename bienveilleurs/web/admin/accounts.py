"""Accounts (list, search, invite, role, deactivate, reactivate) and the audit log."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...errors import Conflict, ValidationFailed
from ...models import Role
from ...services import administration, audit, invitations
from ...services.territories import list_territories
from ..forms import EmptyForm
from ..pages import errors_on_form, invitation_sent, roles_required
from . import bp
from .forms import InviteForm, RoleForm, SearchForm, TerritoriesForm


def _territory_choices():
    # (value, label) pairs: the templates lay these checkboxes out themselves.
    return [(str(t.id), t.name) for t in list_territories()]


@bp.route("/comptes")
@roles_required(Role.ADMIN)
def accounts():
    form = SearchForm(request.args)
    rows = administration.list_accounts(search=form.q.data, role=form.role.data or None,
                                        status=form.status.data or None)
    return render_template("admin/accounts.html", rows=rows, form=form)


@bp.route("/comptes/inviter", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def invite():
    form = InviteForm()
    form.territories.choices = _territory_choices()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            user = invitations.invite(current_user, email=form.email.data, role=form.role.data,
                                      display_name=form.display_name.data,
                                      territory_ids=form.territories.data or ())
        except (ValidationFailed, Conflict) as exc:
            status = exc.status
            message = errors_on_form(form, exc, fallback="email")
        else:
            flash(invitation_sent(user.email, "lien valable 72 heures"), "success")
            return redirect(url_for("admin.account", user_id=user.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/invite.html", form=form, error=message), status


@bp.route("/comptes/<user_id>")
@roles_required(Role.ADMIN)
def account(user_id):
    user = administration.get_account(user_id)
    role_form = RoleForm(data={"role": user.role})
    territories_form = TerritoriesForm(data={"territories": [str(t.id) for t in user.territories]})
    territories_form.territories.choices = _territory_choices()
    history = audit.entries(search=str(user.id), limit=50)
    return render_template("admin/account.html", user=user, role_form=role_form,
                           territories_form=territories_form, form=EmptyForm(), history=history)


def _back(user_id, message, category="success"):
    flash(message, category)
    return redirect(url_for("admin.account", user_id=user_id), code=303)


def _checked(form):
    if not form.validate_on_submit():
        abort(400)


@bp.route("/comptes/<user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def change_role(user_id):
    form = RoleForm()
    _checked(form)
    user = administration.change_role(current_user, user_id, form.role.data)
    return _back(user.id, f"Rôle de {user.email} : {user.role_enum.label}.")


@bp.route("/comptes/<user_id>/territoires", methods=["POST"])
@roles_required(Role.ADMIN)
def account_territories(user_id):
    form = TerritoriesForm()
    form.territories.choices = _territory_choices()
    _checked(form)
    user = administration.set_territories(current_user, user_id, form.territories.data or ())
    return _back(user.id, "Territoires enregistrés.")


@bp.route("/comptes/<user_id>/desactiver", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate(user_id):
    _checked(EmptyForm())
    user = administration.set_active(current_user, user_id, False)
    return _back(user.id, f"{user.email} est désactivé : ses sessions et jetons d'API ne "
                          "fonctionnent plus.")


@bp.route("/comptes/<user_id>/reactiver", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(user_id):
    _checked(EmptyForm())
    user = administration.set_active(current_user, user_id, True)
    return _back(user.id, f"{user.email} est réactivé.")


@bp.route("/comptes/<user_id>/reinviter", methods=["POST"])
@roles_required(Role.ADMIN)
def resend(user_id):
    _checked(EmptyForm())
    user = invitations.resend_invitation(current_user, administration.get_account(user_id).id)
    return _back(user.id, f"Nouvelle invitation envoyée à {user.email} ; l'ancien lien ne "
                          "fonctionne plus.")


@bp.route("/journal")
@roles_required(Role.ADMIN)
def audit_log():
    search = (request.args.get("q") or "").strip()[:100]
    action = request.args.get("action") or None
    if action and action not in audit.ACTION_LABELS:
        abort(400)
    return render_template("admin/audit.html",
                           rows=audit.entries(search=search or None, action=action),
                           search=search, action=action, labels=audit.ACTION_LABELS)
