"""A relay's follow-up page (load, history) and the end of their engagement (coordinators,
admins)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...models import STATUS_LABELS
from ...services import audit, relays_admin
from ...services.candidacies import relay_file
from ...services.directory import RELAY_STATUSES
from ..forms import EmptyForm
from ..pages import MANAGERS, roles_required

bp = Blueprint("relays_admin", __name__, url_prefix="/reseau/bienveilleurs")


@bp.route("/<relay_id>/suivi")
@roles_required(*MANAGERS)
def show(relay_id):
    data = relays_admin.load_and_history(current_user, relay_id)
    return render_template("relays_admin/show.html", **data, form=EmptyForm(),
                           file=relay_file.relay_file(data["relay"]),
                           STATUS_LABELS=STATUS_LABELS, RELAY_STATUSES=RELAY_STATUSES,
                           ACTION_LABELS=audit.ACTION_LABELS)


@bp.route("/<relay_id>/fin", methods=["POST"])
@roles_required(*MANAGERS)
def end(relay_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    relay, count = relays_admin.end_relay(current_user, relay_id)
    flash(f"Fin d'engagement de « {relay.display_name} » enregistrée. "
          + (f"{count} orientation(s) reviennent à la coordination pour être attribuées à "
             "quelqu'un d'autre." if count else "Aucune orientation n'était en cours."),
          "success")
    return redirect(url_for("relays_admin.show", relay_id=relay.id), code=303)
