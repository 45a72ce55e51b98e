"""POST /api/v1/candidacies (API.md, "Becoming a relay"): the public offer to help, as JSON.

Public (no account); throttled per client address and per e-mail recipient; always 202 with
the same body once the request is well-formed, whether or not anything was sent.
"""

from flask import request

from ...services.candidacies import public
from ..pages import geocoder, service_area
from . import json_body, make_api_blueprint

bp = make_api_blueprint("api_candidacies")

ACCEPTED = {"status": "accepted",
            "message": "Si cette adresse peut recevoir notre message, un e-mail demande de "
                       "confirmer la candidature."}


@bp.post("/candidacies")
def submit():
    public.submit(json_body(), address=request.remote_addr, area=service_area(),
                  geocoder=geocoder(), strict=True)
    return ACCEPTED, 202
