"""Development without a mail server: the kept e-mails, readable by administrators, their
links clickable (an invitation can be followed without any mail leaving the machine)."""

from flask import Blueprint, abort, render_template

from ...models import Role
from ...services import notifications
from ..pages import roles_required

bp = Blueprint("dev_mail", __name__, url_prefix="/admin/e-mails-de-developpement")


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    if not notifications.kept_for_development():
        abort(404)
    return render_template("notifications_admin/development.html",
                           messages=notifications.development_mailbox())
