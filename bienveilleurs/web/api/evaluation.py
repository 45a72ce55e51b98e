"""Evaluation API (API.md, "Follow-up and the person's own measure", "Indicators").

POST /referrals/{id}/wellbeing, GET /me/follow-ups, GET /indicators and /indicators.csv.
Views parse the request, call one service and render; the rules live in
services.evaluation.
"""

from flask import Response, jsonify, request
from flask_login import current_user

from ...errors import Forbidden
from ...models import Role
from ...services.evaluation import follow_ups, indicators, measures
from . import json_body, make_api_blueprint

bp = make_api_blueprint("api_evaluation")


def measure_json(measure):
    return {"id": str(measure.id), "referral_id": str(measure.referral_id),
            "at": measure.at.isoformat(), "moment": measure.moment,
            "answered": measure.answered, "lacks_company": measure.lacks_company,
            "left_out": measure.left_out, "isolated": measure.isolated,
            "networks": list(measure.networks or [])}


@bp.post("/referrals/<referral_id>/wellbeing")
def add_measure(referral_id):
    measure, created = measures.record_measure(current_user, referral_id, json_body())
    return jsonify(measure_json(measure)), 201 if created else 200


@bp.get("/me/follow-ups")
def my_follow_ups():
    user = current_user
    if user.role != Role.RELAY or user.relay is None:
        raise Forbidden("Seuls les bienveilleurs ont des personnes à rappeler.")
    items = follow_ups.read_relay_follow_ups(user)
    return jsonify({"follow_ups": [
        {"referral_id": str(item.referral.id), "due": item.due.isoformat(),
         "pseudonym": item.referral.resident.name, "late": item.late} for item in items]})


@bp.get("/indicators")
def indicator_table():
    table = indicators.read_indicators(current_user, request.args)
    return jsonify(indicators.table_json(table))


@bp.get("/indicators.csv")
def indicator_csv():
    table = indicators.read_indicators(current_user, request.args)
    return Response(indicators.table_csv(table), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="indicateurs-'
                             f'{table.start:%Y-%m}-{table.end:%Y-%m}.csv"'})
