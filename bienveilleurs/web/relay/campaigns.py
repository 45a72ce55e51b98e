"""The relay's calls of a campaign, without JavaScript: the three buttons of « Mes personnes »
post here (with JavaScript they go through the phone's outbox and the JSON API instead)."""

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from geo.points import lon_lat

from ... import clock
from ...errors import DomainError, Forbidden, NotFound
from ...models import CAMPAIGN_KIND_LABELS, CHECK_STATUS_LABELS, Role
from ...services import campaigns as service
from ..pages import roles_required

bp = Blueprint("relay_campaigns", __name__)


@bp.app_template_global("campaign_deadline")
def campaign_deadline(campaign):
    """« 18 h », « 18 h 30 », or « le 15/07 à 18 h » when the deadline is not today."""
    local, today = clock.local(campaign.deadline), clock.local(clock.now()).date()
    hour = f"{local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
    return hour if local.date() == today else f"le {local:%d/%m} à {hour}"


@bp.app_template_global("campaign_labels")
def campaign_labels():
    return {"kind": CAMPAIGN_KIND_LABELS, "status": CHECK_STATUS_LABELS}


@bp.app_template_global("check_point")
def check_point(check):
    """(lon, lat) of the person of a check: only its relay's page shows it, while open."""
    return lon_lat(check.resident.point) if check.resident.point is not None else None


@bp.post("/veilles/<uuid:campaign_id>/appels/<uuid:check_id>")
@roles_required(Role.RELAY, Role.COORDINATOR)
def call(campaign_id, check_id):
    form = request.form
    payload = {"id": (form.get("id") or "").strip() or str(uuid.uuid4()),
               "at": clock.now().isoformat(),
               "channel": "visit" if form.get("visit") else "phone",
               "outcome": form.get("outcome") or None}
    try:
        service.record_call(current_user, campaign_id, check_id, payload)
    except (NotFound, Forbidden):
        raise  # not this relay's call: the page of the error, as anywhere else
    except DomainError as error:
        flash(error.message, "warning")
    else:
        flash("Appel noté.", "success")
    return redirect(url_for("relay.my_people") + f"#check-{check_id}", 303)
