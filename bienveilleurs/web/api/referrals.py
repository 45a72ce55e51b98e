"""Referrals API (API.md, "Referrals"): report, read, move, log contacts, match.

Views parse the request, call one service function and render JSON; every rule (scope,
lifecycle, idempotency, privacy of notes) lives in services.referrals.
"""

from flask import jsonify, request
from flask_login import current_user

from ...errors import NotFound
from ...services import matching
from ...services import referrals as service
from . import json_body, make_api_blueprint

bp = make_api_blueprint("api_referrals")

TRANSITION_FIELDS = ("version", "relay_id", "resource_id", "reason", "outcome", "note",
                     "note_professional", "share_report_note")


def _time(value):
    return value.isoformat() if value is not None else None


def _id(value):
    return str(value) if value is not None else None


def _actor(event):
    if event.actor_role == "system":
        return {"id": None, "role": "system", "display_name": service.SYSTEM_ACTOR.display_name}
    if event.actor_role == service.STRUCTURE_LINK:  # a structure's one-time link: no account
        return {"id": None, "role": event.actor_role,
                "display_name": service.ROLE_NAMES[service.STRUCTURE_LINK]}
    user = event.actor
    return {"id": _id(event.actor_id), "role": event.actor_role,
            "display_name": user.display_name if user is not None else ""}


def event_json(user, event):
    return {
        "at": _time(event.at),
        "actor": _actor(event),
        "from": event.from_status,
        "to": event.to_status,
        "reason": event.reason,
        "note": service.event_note(user, event),
        "outcome": event.outcome,
        "relay_id": _id(event.relay_id),
        "resource_id": _id(event.resource_id),
    }


def contact_json(contact):
    return {"id": _id(contact.id), "at": _time(contact.at), "channel": contact.channel,
            "reached": contact.reached, "note": contact.note}


def referral_json(user, referral):
    """The referral as API.md describes it, cut to what `user` may see."""
    view = service.visibility(user, referral)
    body = {
        "id": _id(referral.id),
        "status": referral.status,
        "outcome": referral.outcome,
        "category": referral.category,
        "resident_id": _id(referral.resident_id),
        "relay_id": _id(referral.relay_id),
        "resource_id": _id(referral.resource_id),
        "version": referral.version,
        "created_at": _time(referral.created_at),
        "status_changed_at": _time(referral.status_changed_at),
        "visibility": view,
        "events": [event_json(user, e) for e in service.visible_events(user, referral)],
        "contacts": [contact_json(c) for c in service.visible_contacts(user, referral)],
    }
    if view == "status_only":
        body["relay_id"] = body["resource_id"] = None
    return body


def _after_write(referral):
    """Render the referral as the caller now sees it (a move may take it out of their scope)."""
    try:
        return referral_json(current_user, service.get_referral(current_user, referral.id))
    except NotFound:
        return {"id": _id(referral.id), "status": referral.status, "outcome": referral.outcome,
                "version": referral.version, "visibility": None}


@bp.post("/referrals")
def create_referral():
    referral, created = service.report(current_user, json_body())
    return jsonify(_after_write(referral)), 201 if created else 200


@bp.get("/referrals/<referral_id>")
def show_referral(referral_id):
    referral = service.get_referral(current_user, referral_id)
    return jsonify(referral_json(current_user, referral))


@bp.post("/referrals/<referral_id>/transitions")
def move_referral(referral_id):
    body = json_body()
    referral = service.transition(current_user, referral_id, body.get("to"),
                                  **{name: body.get(name) for name in TRANSITION_FIELDS
                                     if body.get(name) is not None})
    return jsonify(_after_write(referral))


@bp.post("/referrals/<referral_id>/contacts")
def add_contact(referral_id):
    contact, created = service.log_contact(current_user, referral_id, json_body())
    body = contact_json(contact)
    referral = contact.referral
    body["referral"] = {"id": _id(referral.id), "status": referral.status,
                        "version": referral.version}
    return jsonify(body), 201 if created else 200


@bp.get("/referrals/<referral_id>/matches")
def referral_matches(referral_id):
    filters = matching.parse_match_filters(request.args)
    return jsonify(service.referral_matches(current_user, referral_id, **filters))


__all__ = ["bp", "contact_json", "event_json", "referral_json"]
