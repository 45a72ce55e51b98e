"""Accounts administration (admin) and one's own API tokens; every change is audited."""

import uuid

from sqlalchemy import delete, func, or_, select, update

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    AccountToken,
    ApiToken,
    Role,
    Territory,
    User,
    coordinator_territories,
    structure_members,
)
from ..security import new_token
from . import audit

STATUS_FILTERS = ("active", "inactive", "invited")


def list_accounts(*, search=None, role=None, status=None, limit=300):
    """Accounts matching a search on e-mail or name, a role and a status (active, inactive, invited)."""
    query = select(User).order_by(User.email).limit(limit)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(User.email.like(pattern), func.lower(User.display_name).like(pattern)))
    if role:
        query = query.where(User.role == Role(role).value)
    if status == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    elif status == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    return db.session.scalars(query).all()


def get_account(user_id):
    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("Compte introuvable.") from None
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


def _locked(user_id):
    user = db.session.scalar(select(User).where(User.id == get_account(user_id).id).with_for_update()
                             .execution_options(populate_existing=True))
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


def _end_everything(user):
    """End every session and API token of the account, and its pending one-time links."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    tokens = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.used_at.is_(None)))
    return tokens


def _other_active_admins(user):
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id))


def change_role(actor, user_id, role):
    """Give an account another role; its sessions end (its rights changed)."""
    try:
        role = Role(role).value
    except ValueError:
        raise ValidationFailed.field("role", "Choisissez un rôle dans la liste.") from None
    user = _locked(user_id)
    if user.id == actor.id:
        raise Forbidden("Vous ne pouvez pas changer votre propre rôle.")
    if user.role == role:
        return user
    if user.relay is not None and user.relay.status != "ended":
        raise Conflict("Ce compte porte un bienveilleur en activité : mettez d'abord fin à son engagement.")
    previous = user.role
    user.role = role
    # Attachments that only make sense for the former role go.
    if previous == Role.COORDINATOR.value:
        db.session.execute(delete(coordinator_territories).where(coordinator_territories.c.user_id == user.id))
    if previous == Role.SOCIAL_WORKER.value:
        db.session.execute(delete(structure_members).where(structure_members.c.user_id == user.id))
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    audit.record(actor, "account.role_changed", target_type="user", target_id=user.id,
                 summary=f"{user.email} : {Role(previous).label} → {Role(role).label}",
                 previous=previous, role=role)
    db.session.commit()
    return user


def set_active(actor, user_id, active):
    """Deactivate (every session, API token and pending link ends at once) or reactivate an account."""
    user = _locked(user_id)
    if user.id == actor.id:
        raise Forbidden("Vous ne pouvez pas désactiver votre propre compte.")
    if user.active == bool(active):
        return user
    if active:
        user.active = True
        audit.record(actor, "account.reactivated", target_type="user", target_id=user.id,
                     summary=f"{user.email} réactivé")
    else:
        if user.role == Role.ADMIN.value and not _other_active_admins(user):
            raise Conflict("C'est le dernier compte d'administration actif.")
        user.active = False
        tokens = _end_everything(user)
        audit.record(actor, "account.deactivated", target_type="user", target_id=user.id,
                     summary=f"{user.email} désactivé ; sessions et {tokens} jeton(s) d'API révoqués",
                     tokens_revoked=tokens)
    db.session.commit()
    return user


def set_territories(actor, user_id, territory_ids):
    """Attach a coordinator to exactly these territories (none: city-wide)."""
    user = _locked(user_id)
    if user.role != Role.COORDINATOR.value:
        raise ValidationFailed.field("territories", "Seuls les coordinateurs sont rattachés à des territoires.")
    ids = set()
    for value in territory_ids:
        try:
            ids.add(uuid.UUID(str(value)))
        except ValueError:
            raise ValidationFailed.field("territories", "Territoire inconnu.") from None
    territories = db.session.scalars(select(Territory).where(Territory.id.in_(ids))).all() if ids else []
    if len(territories) != len(ids):
        raise ValidationFailed.field("territories", "Territoire inconnu.")
    before = sorted(t.name for t in user.territories)
    user.territories = list(territories)
    after = sorted(t.name for t in territories)
    audit.record(actor, "account.territories_changed", target_type="user", target_id=user.id,
                 summary=f"{user.email} : {', '.join(after) or 'toute la ville'}",
                 before=before, after=after)
    db.session.commit()
    return user


# --- one's own API tokens ---------------------------------------------------------------

def my_tokens(user):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc())).all()


def create_my_token(user, label):
    """Create an API token for oneself; return it in clear (shown once)."""
    label = (label or "").strip()
    if not label:
        raise ValidationFailed.field("label", "Donnez un nom au jeton (l'outil qui l'utilisera).")
    if len(label) > 120:
        raise ValidationFailed.field("label", "120 caractères au plus.")
    token, digest = new_token()
    row = ApiToken(user_id=user.id, digest=digest, label=label)
    db.session.add(row)
    db.session.flush()
    audit.record(user, "account.token_created", target_type="api_token", target_id=row.id,
                 summary=f"{user.email} a créé le jeton « {label} »")
    db.session.commit()
    return token


def revoke_my_token(user, token_id):
    """Delete one of one's own API tokens (404 for anyone else's)."""
    try:
        token_id = uuid.UUID(str(token_id))
    except ValueError:
        raise NotFound("Jeton introuvable.") from None
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is None:
        raise NotFound("Jeton introuvable.")
    label = row.label
    db.session.delete(row)
    audit.record(user, "account.token_revoked", target_type="api_token", target_id=token_id,
                 summary=f"{user.email} a révoqué le jeton « {label or 'sans nom'} »")
    db.session.commit()
