"""POST /api/v1/residents/{id}/opposition (API.md, "Referrals")."""

from flask import jsonify
from flask_login import current_user

from ...services import privacy
from . import make_api_blueprint

bp = make_api_blueprint("api_privacy")


@bp.post("/residents/<resident_id>/opposition")
def opposition(resident_id):
    erasure = privacy.oppose(current_user, resident_id)
    return jsonify({"resident_id": str(erasure.resident_id),
                    "erased_at": erasure.erased_at.isoformat(),
                    "closed_referral_ids": [str(i) for i in erasure.closed_referral_ids]})
