"""Administrators: recent notifications, their state, attempts and failures."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...models import NOTIFICATION_KINDS, Role
from ...models.notifications import NOTIFICATION_STATE_LABELS
from ...services import notifications
from ..forms import EmptyForm
from ..pages import roles_required

bp = Blueprint("notifications_admin", __name__, url_prefix="/admin/notifications")


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    state = request.args.get("etat") or None
    kind = request.args.get("type") or None
    if (state not in (None, *NOTIFICATION_STATE_LABELS)
            or kind not in (None, *NOTIFICATION_KINDS)):
        abort(400)
    rows = notifications.recent(state=state, kind=kind, limit=200)
    return render_template("notifications_admin/index.html", rows=rows, state=state, kind=kind,
                           states=NOTIFICATION_STATE_LABELS, kinds=NOTIFICATION_KINDS,
                           counts=notifications.counts_by_state())


@bp.route("/<int:notification_id>")
@roles_required(Role.ADMIN)
def show(notification_id):
    return render_template("notifications_admin/show.html",
                           notification=notifications.get(notification_id), form=EmptyForm())


@bp.route("/<int:notification_id>/reessayer", methods=["POST"])
@roles_required(Role.ADMIN)
def retry(notification_id):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    notifications.get(notification_id)
    if notifications.retry(notification_id, actor=current_user):
        flash("La notification est remise dans la file d'envoi.", "success")
    else:
        flash("Seule une notification en échec peut être renvoyée.", "warning")
    return redirect(url_for("notifications_admin.show", notification_id=notification_id),
                    code=303)
