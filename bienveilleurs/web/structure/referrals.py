"""Social workers' pages: the referrals sent to their structures; accept, decline, close.

They see what the referral needs (first name or pseudonym, need, languages), the relay in
charge and how to reach them, never the relays' contacts log nor notes they may not read
(services.referrals.visibility "structure"). Moves go through services.referrals.transition.
"""

from flask import Blueprint, render_template
from flask_login import current_user

from ...models import Role
from ...services import referrals as service
from ..pages import roles_required, since
from ..referrals.page import labels, post_move, render_referral

bp = Blueprint("structure", __name__, url_prefix="/structure")


@bp.before_request
@roles_required(Role.SOCIAL_WORKER)
def _only_social_workers():
    return None


@bp.get("/orientations")
def referrals():
    groups = service.read_structure_referrals(current_user)
    return render_template("structure/referrals.html", groups=groups, labels=labels(),
                           since=since, has_structure=bool(current_user.structures))


@bp.get("/orientations/<uuid:referral_id>")
def referral(referral_id):
    return render_referral("structure", referral_id)


@bp.post("/orientations/<uuid:referral_id>/etat/<to>")
def move(referral_id, to):
    return post_move("structure", referral_id, to, list_endpoint="structure.referrals")
