"""What the app holds about the signed-in person themselves (a relay, a social worker, any
account): their right of access, as residents have theirs (services/privacy).

Everything stored about the account and its relay profile, and the traces of what they did,
as identifiers, states and dates: the referrals they hold or held, the contacts they logged
and the moves they made (never the notes, which are about residents), the messages sent to
them (never their text, which names people), their API tokens (never the secret), the
administrative changes and the reads about them in the logs. A read of one's own data
shows no resident's data, so it is not itself written to the access log.
"""

from sqlalchemy import or_, select

from .. import clock
from ..extensions import db
from ..models import (
    AccessLog,
    ApiToken,
    AuditEntry,
    CharterSignature,
    CharterVersion,
    Contact,
    Notification,
    NotificationPreference,
    Referral,
    ReferralEvent,
    Relay,
    TrainingParticipant,
    TrainingSession,
)
from .privacy.access import json_value

FORMAT = "bienveilleurs-mes-donnees/1"
ACCOUNT_COLUMNS = ("id", "email", "role", "display_name", "active", "created_at",
                   "last_login_at", "totp_enabled_at")
RELAY_COLUMNS = ("id", "display_name", "phone", "point", "radius_m", "capacity",
                 "active_referrals", "languages", "skills", "availability", "status",
                 "created_at", "updated_at", "ended_at", "anonymised_at")


def _rows(statement):
    return [{k: json_value(v) for k, v in row._mapping.items()}
            for row in db.session.execute(statement)]


def _account(user):
    account = {name: json_value(getattr(user, name)) for name in ACCOUNT_COLUMNS}
    account["two_factor"] = user.two_factor_enabled
    account["territories"] = [{"id": str(t.id), "code": t.code, "name": t.name}
                              for t in user.territories]
    account["structures"] = [{"id": str(s.id), "name": s.name} for s in user.structures]
    pref = db.session.get(NotificationPreference, user.id)
    account["notification_preferences"] = (
        {"digest": pref.digest, "email": pref.email} if pref is not None else None)
    return account


def _held_referrals(relay):
    """Referrals this relay holds (with their status) or held before (identifier and dates)."""
    if relay is None:
        return []
    assigned = (select(ReferralEvent.referral_id, ReferralEvent.at)
                .where(ReferralEvent.relay_id == relay.id, ReferralEvent.to_status == "assigned")
                .order_by(ReferralEvent.at, ReferralEvent.id))
    periods = {}
    for referral_id, at in db.session.execute(assigned):
        periods.setdefault(referral_id, []).append(at)
    holding = dict(db.session.execute(select(Referral.id, Referral.status)
                                      .where(Referral.relay_id == relay.id)).all())
    first = {i: dates[0].isoformat() for i, dates in periods.items()}
    ids = sorted(set(periods) | set(holding), key=lambda i: (first.get(i, ""), str(i)))
    return [{"referral_id": str(i), "holding_now": i in holding,
             "status": holding.get(i), "assigned_at": [json_value(a) for a in periods.get(i, [])]}
            for i in ids]


def _about_me(user, relay):
    ids = [user.id] + ([relay.id] if relay is not None else [])
    access = _rows(select(AccessLog.at, AccessLog.action, AccessLog.object_type,
                          AccessLog.object_id, AccessLog.user_id)
                   .where(or_(AccessLog.object_id.in_(ids), AccessLog.user_id == user.id))
                   .order_by(AccessLog.at, AccessLog.id))
    audit = _rows(select(AuditEntry.at, AuditEntry.action, AuditEntry.target_type,
                         AuditEntry.summary)
                  .where(or_(AuditEntry.target_id.in_([str(i) for i in ids]),
                             AuditEntry.actor_id == user.id))
                  .order_by(AuditEntry.at, AuditEntry.id))
    return access, audit


def own_data(user):
    """Return everything the app holds about `user`, section by section (a JSON document)."""
    relay = db.session.scalar(select(Relay).where(Relay.user_id == user.id))
    access, audit = _about_me(user, relay)
    return {
        "format": FORMAT,
        "generated_at": clock.now().isoformat(),
        "account": _account(user),
        "relay": ({name: json_value(getattr(relay, name)) for name in RELAY_COLUMNS}
                  if relay is not None else None),
        "referrals_held": _held_referrals(relay),
        "referrals_reported": _rows(select(Referral.id, Referral.status, Referral.created_at)
                                    .where(Referral.reporter_id == user.id)
                                    .order_by(Referral.created_at, Referral.id)),
        "moves": _rows(select(ReferralEvent.referral_id, ReferralEvent.at,
                              ReferralEvent.from_status, ReferralEvent.to_status)
                       .where(ReferralEvent.actor_id == user.id)
                       .order_by(ReferralEvent.at, ReferralEvent.id)),
        "contacts": _rows(select(Contact.id, Contact.referral_id, Contact.at, Contact.channel,
                                 Contact.reached)
                          .where(Contact.author_id == user.id)
                          .order_by(Contact.at, Contact.id)),
        "notifications": _rows(select(Notification.id, Notification.kind, Notification.state,
                                      Notification.created_at, Notification.sent_at)
                               .where(Notification.recipient_user_id == user.id)
                               .order_by(Notification.id)),
        "api_tokens": _rows(select(ApiToken.id, ApiToken.label,
                                   ApiToken.created_at, ApiToken.last_used_at)
                            .where(ApiToken.user_id == user.id)
                            .order_by(ApiToken.created_at)),
        "charter_and_trainings": _charter_and_trainings(relay),
        "audit_log": audit,
        "access_log": access,
    }


def _charter_and_trainings(relay):
    """The relay's signatures of the charter and the training sessions they were invited to."""
    if relay is None:
        return {"charter_signatures": [], "trainings": []}
    return {
        "charter_signatures": _rows(
            select(CharterVersion.number.label("version"), CharterSignature.signed_at,
                   CharterSignature.method)
            .join(CharterVersion, CharterVersion.id == CharterSignature.version_id)
            .where(CharterSignature.relay_id == relay.id).order_by(CharterSignature.signed_at)),
        "trainings": _rows(
            select(TrainingSession.topic, TrainingSession.starts_at, TrainingParticipant.attended)
            .join(TrainingSession, TrainingSession.id == TrainingParticipant.session_id)
            .where(TrainingParticipant.relay_id == relay.id)
            .order_by(TrainingSession.starts_at)),
    }
