"""GET /api/v1/me and the OpenAPI document."""

from flask import jsonify
from flask_login import current_user

from ...config import setting
from ...models import Role
from ..pages import service_area
from . import make_api_blueprint
from .openapi import openapi_document

bp = make_api_blueprint("api")


@bp.get("/me")
def me():
    user = current_user
    body = {"id": str(user.id), "email": user.email, "role": user.role,
            "display_name": user.display_name}
    if user.role == Role.RELAY and user.relay is not None:
        body["relay_id"] = str(user.relay.id)
    if user.role == Role.SOCIAL_WORKER:
        body["structure_ids"] = [str(s.id) for s in user.structures]
    if user.role == Role.COORDINATOR:
        body["territory_ids"] = [str(t.id) for t in user.territories]
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(area=service_area(),
                                    max_radius_m=setting("RELAY_MAX_RADIUS_M")))
