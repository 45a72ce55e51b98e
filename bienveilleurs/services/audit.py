"""Audit log of administrative changes: who, when, what. Entries join the caller's transaction."""

from sqlalchemy import func, or_, select

from .. import clock
from ..extensions import db
from ..models import AuditEntry

ACTION_LABELS = {
    "account.invited": "Invitation envoyée",
    "account.invitation_resent": "Invitation renvoyée",
    "account.invitation_accepted": "Invitation acceptée",
    "account.role_changed": "Rôle modifié",
    "account.deactivated": "Compte désactivé",
    "account.reactivated": "Compte réactivé",
    "account.password_reset": "Mot de passe réinitialisé",
    "account.territories_changed": "Territoires d'un coordinateur modifiés",
    "account.token_revoked": "Jeton d'API révoqué",
    "account.token_created": "Jeton d'API créé",
    "account.two_factor_enabled": "Double authentification activée",
    "account.two_factor_disabled": "Double authentification désactivée",
    "account.two_factor_reset": "Double authentification réinitialisée",
    "account.recovery_codes_renewed": "Codes de secours renouvelés",
    "relay.registered": "Bienveilleur inscrit",
    "relay.updated": "Profil d'un bienveilleur modifié",
    "relay.paused": "Bienveilleur en pause",
    "relay.resumed": "Bienveilleur de nouveau actif",
    "relay.ended": "Fin d'engagement d'un bienveilleur",
    "relay.account_changed": "Compte rattaché à un bienveilleur changé",
    "structure.member_invited": "Membre d'une structure invité",
    "structure.member_removed": "Membre retiré d'une structure",
    "structure.contact_changed": "Adresse de contact d'une structure modifiée",
    "structure.merged": "Structures fusionnées (doublon)",
    "territory.imported": "Territoires importés",
    "territory.created": "Territoire créé",
    "territory.updated": "Territoire modifié",
    "notification.requeued": "Notification renvoyée",
    "charter.published": "Charte publiée",
    "training.created": "Session de formation créée",
    "relays.imported": "Bienveilleurs importés",
}


def record(actor, action, *, target_type, target_id=None, summary, **details):
    """Add an audit entry to the current transaction (no commit: it lands with the change)."""
    entry = AuditEntry(at=clock.now(), actor_id=getattr(actor, "id", None),
                       actor_email=getattr(actor, "email", None), action=action,
                       target_type=target_type, target_id=str(target_id) if target_id else None,
                       summary=summary, details={k: _plain(v) for k, v in details.items()})
    db.session.add(entry)
    return entry


def _plain(value):
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def entries(*, search=None, action=None, limit=200):
    """Latest entries first; `search` matches the actor, the summary or the target id."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(AuditEntry.actor_email).like(pattern),
                                func.lower(AuditEntry.summary).like(pattern),
                                AuditEntry.target_id == search.strip()))
    return db.session.scalars(query).all()
