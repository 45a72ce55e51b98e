"""Check-in campaigns and the watch register (API.md, "Check-in campaigns").

Views parse the request, call one function of services.campaigns and render JSON.
"""

from flask import jsonify
from flask_login import current_user

from ...services import campaigns as service
from ..pages import csv_response
from . import json_body, make_api_blueprint

bp = make_api_blueprint("api_campaigns")


def _time(value):
    return value.isoformat() if value is not None else None


def entry_json(entry):
    return {"resident_id": str(entry.resident_id), "reasons": list(entry.reasons),
            "registered_at": _time(entry.created_at), "confirmed_at": _time(entry.confirmed_at)}


@bp.post("/residents/<resident_id>/watch")
def watch(resident_id):
    entry = service.add_to_register(current_user, resident_id, json_body())
    return jsonify(entry_json(entry))


@bp.delete("/residents/<resident_id>/watch")
def unwatch(resident_id):
    service.remove_from_register(current_user, resident_id)
    return "", 204


@bp.get("/watch-register.csv")
def watch_register_csv():
    return csv_response(service.register_csv(current_user), "registre-de-veille.csv")


def campaign_json(user, campaign):
    summary = service.counts(user, campaign)
    return {"id": str(campaign.id), "kind": campaign.kind, "title": campaign.title,
            "status": campaign.status, "deadline": _time(campaign.deadline),
            "created_at": _time(campaign.created_at), "closed_at": _time(campaign.closed_at),
            "territory_ids": [str(t) for t in campaign.territory_ids],
            "counts": summary["counts"], "territories": summary["territories"],
            "checks_total": summary["total"], "unassigned": summary["unassigned"]}


@bp.post("/campaigns")
def launch():
    launched = service.launch(current_user, json_body())
    counts = launched.counts
    body = {"id": str(launched.campaign.id), "checks_total": counts["people"],
            "unassigned": counts["unassigned"]}
    return jsonify(body), 201 if launched.created else 200


@bp.post("/campaign-preview")
def preview():
    return jsonify(service.preview(current_user, json_body()))


@bp.get("/campaigns")
def list_campaigns():
    return jsonify({"campaigns": [campaign_json(current_user, c)
                                  for c in service.list_campaigns(current_user)]})


@bp.get("/campaigns/<campaign_id>")
def show(campaign_id):
    return jsonify(campaign_json(current_user, service.get_campaign(current_user, campaign_id)))


@bp.get("/campaigns/<campaign_id>/checks")
def checks(campaign_id):
    campaign, items = service.read_checks(current_user, campaign_id)
    return jsonify({"checks": [service.check_view(current_user, campaign, c) for c in items]})


@bp.post("/campaigns/<campaign_id>/checks/<check_id>/assign")
def assign(campaign_id, check_id):
    check = service.assign(current_user, campaign_id, check_id, json_body())
    return jsonify({"id": str(check.id), "relay_id": str(check.relay_id) if check.relay_id
                    else None, "status": check.status})


@bp.post("/campaigns/<campaign_id>/checks/<check_id>/calls")
def call(campaign_id, check_id):
    recorded = service.record_call(current_user, campaign_id, check_id, json_body())
    return jsonify({"id": str(recorded.call_id), "at": _time(recorded.at),
                    "channel": recorded.channel, "outcome": recorded.outcome,
                    "check": {"id": str(recorded.check_id), "status": recorded.status,
                              "attempts": recorded.attempts}}), \
        201 if recorded.created else 200


@bp.post("/campaigns/<campaign_id>/close")
def close(campaign_id):
    campaign = service.close(current_user, campaign_id)
    return jsonify(campaign_json(current_user, campaign))


@bp.get("/campaigns/<campaign_id>.csv")
def outcome_csv(campaign_id):
    campaign, text = service.outcome_csv(current_user, campaign_id)
    return csv_response(text, f"veille-{campaign.id}.csv")
