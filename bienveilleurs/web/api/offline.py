"""GET /api/v1/me/offline: the minimal copy of "Mes personnes" a relay's phone keeps.

Only what the relay needs to find a person and log a contact without the network: the
referral id, the first name or pseudonym, the next step. Never notes, needs, phones or
positions (docs/privacy.md, "L'exception au no-store"). The one exception: the calls of an
open check-in campaign carry the person's phone, only while the campaign is open.
"""

from flask import jsonify
from flask_login import current_user

from ... import clock
from ...errors import Forbidden
from ...models import Role
from ...services import campaigns
from ...services import referrals as service
from . import make_api_blueprint

bp = make_api_blueprint("api_offline")

CONTACT_STATUSES = ("assigned", "contacted")


@bp.get("/me/offline")
def offline_copy():
    user = current_user
    if user.role != Role.RELAY:
        raise Forbidden("Seuls les bienveilleurs gardent leurs personnes hors ligne.")
    relay = user.relay
    people = [{"id": str(r.id), "name": r.resident.name, "next_step": service.NEXT_STEPS[r.status],
               "can_contact": r.status in CONTACT_STATUSES}
              for r in service.read_my_people(user, offline=True)]
    return jsonify({"user_id": str(user.id), "relay_id": str(relay.id) if relay else None,
                    "saved_at": clock.now().isoformat(), "people": people,
                    "checks": campaigns.offline_checks(user)})
