"""Open Referral HSDS 3.0 read API: public, read-only, active resources only (see API.md)."""

from flask import Blueprint, Response, abort, jsonify, request

from ...replica import reads_only
from ...services import hsds_schemas, open_referral

# A plain blueprint, not make_api_blueprint: this API is public (no token, no session).
bp = Blueprint("hsds", __name__, url_prefix="/hsds")


@bp.after_request
def _public(response):
    # Any site may read the public directory; nothing here depends on who asks. Errors are
    # not shared (the error handler says no-store).
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code < 400:
        response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


@bp.get("/services")
@reads_only
def services():
    return jsonify(open_referral.services_page(request.args))


@bp.get("/services/<service_id>")
@reads_only
def service(service_id):
    return jsonify(open_referral.service_detail(service_id))


@bp.get("/schemas/<path:document>")
def schema(document):
    """The HSDS 3.0 schemas the OpenAPI document refers to (the project's copy, see
    standards/hsds-3.0/README.md): served here so that no client needs the internet."""
    if document not in hsds_schemas.names():
        abort(404)
    body, etag = hsds_schemas.served(document)
    response = Response(body, mimetype="application/schema+json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response.make_conditional(request)
