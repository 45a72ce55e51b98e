"""« Mes données »: what the app holds about the signed-in person, as a page and a JSON file."""

import json

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from ... import clock
from ...models import ACCESS_ACTIONS, NOTIFICATION_KINDS, ROLE_LABELS, STATUS_LABELS
from ...models.notifications import NOTIFICATION_STATE_LABELS
from ...services import audit
from ...services.own_data import own_data
from ..pages import login_required_any

bp = Blueprint("my_data", __name__, url_prefix="/compte/mes-donnees")


@bp.get("/")
@login_required_any
def show():
    return render_template("account/my_data.html", data=own_data(current_user), labels={
        "role": ROLE_LABELS, "status": STATUS_LABELS, "kind": NOTIFICATION_KINDS,
        "access": ACCESS_ACTIONS, "audit": audit.ACTION_LABELS,
        "state": NOTIFICATION_STATE_LABELS})


@bp.get("/export.json")
@login_required_any
def export():
    stamp = clock.now().strftime("%Y%m%d")
    response = current_app.response_class(
        json.dumps(own_data(current_user), ensure_ascii=False, indent=2),
        mimetype="application/json")
    # The file name carries no personal data: the date only.
    response.headers["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.json"'
    return response
