"""Accounts administration (admin) and one's own API tokens; every change is audited."""

from sqlalchemy import delete, func, or_, select, update

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    ROLE_VALUES,
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
from .fields import Fields, parse_uuid
from .transaction import use_case

STATUS_FILTERS = ("active", "inactive", "invited")


def list_accounts(*, search=None, role=None, status=None, limit=300):
    """Accounts matching a search (e-mail or name), a role and a status (STATUS_FILTERS)."""
    fields = Fields({"q": search, "role": role, "status": status}, strict=False)
    search = fields.text("q", label="La recherche", max_length=100)
    role = fields.choice("role", ROLE_VALUES, label="Le rôle")
    status = fields.choice("status", STATUS_FILTERS, label="L'état")
    fields.done()
    query = select(User).order_by(User.email).limit(limit)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(User.email.like(pattern),
                                func.lower(User.display_name).like(pattern)))
    if role:
        query = query.where(User.role == role)
    if status == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    elif status == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    return db.session.scalars(query).all()


def get_account(user_id):
    user_id = parse_uuid(user_id)
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


def _locked(user_id):
    user = db.session.scalar(select(User).where(User.id == get_account(user_id).id)
                             .with_for_update().execution_options(populate_existing=True))
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


@use_case
def change_role(actor, user_id, role):
    """Give an account another role; its sessions end (its rights changed)."""
    fields = Fields({"role": role}, strict=False)
    role = fields.choice("role", ROLE_VALUES, label="Le rôle", required=True)
    fields.done()
    user = _locked(user_id)
    if user.id == actor.id:
        raise Forbidden("Vous ne pouvez pas changer votre propre rôle.")
    if user.role == role:
        return user
    if user.relay is not None and user.relay.status != "ended":
        raise Conflict("Ce compte porte un bienveilleur en activité : "
                       "mettez d'abord fin à son engagement.")
    previous = user.role
    user.role = role
    # Attachments that only make sense for the former role go.
    if previous == Role.COORDINATOR.value:
        db.session.execute(delete(coordinator_territories)
                           .where(coordinator_territories.c.user_id == user.id))
    if previous == Role.SOCIAL_WORKER.value:
        db.session.execute(delete(structure_members)
                           .where(structure_members.c.user_id == user.id))
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    audit.record(actor, "account.role_changed", target_type="user", target_id=user.id,
                 summary=f"{user.email} : {Role(previous).label} → {Role(role).label}",
                 previous=previous, role=role)
    return user


@use_case
def set_active(actor, user_id, active):
    """Deactivate (every session, API token and pending link ends at once) or reactivate."""
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
                     summary=f"{user.email} désactivé ; sessions et {tokens} jeton(s) d'API "
                             "révoqués", tokens_revoked=tokens)
    return user


@use_case
def set_territories(actor, user_id, territory_ids):
    """Attach a coordinator to exactly these territories (none: city-wide)."""
    user = _locked(user_id)
    if user.role != Role.COORDINATOR.value:
        raise ValidationFailed.field("territories",
                                     "Seuls les coordinateurs sont rattachés à des territoires.")
    fields = Fields({"territories": list(territory_ids)}, strict=False)
    ids = fields.uuids("territories", label="Les territoires") or []
    territories = (db.session.scalars(select(Territory).where(Territory.id.in_(ids))).all()
                   if ids else [])
    if len(territories) != len(ids):
        fields.fail("territories", "Territoire inconnu.")
    fields.done()
    before = sorted(t.name for t in user.territories)
    user.territories = list(territories)
    after = sorted(t.name for t in territories)
    audit.record(actor, "account.territories_changed", target_type="user", target_id=user.id,
                 summary=f"{user.email} : {', '.join(after) or 'toute la ville'}",
                 before=before, after=after)
    return user


# --- one's own API tokens ---------------------------------------------------------------

def my_tokens(user):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc())).all()


@use_case
def create_my_token(user, label):
    """Create an API token for oneself; return it in clear (shown once)."""
    fields = Fields({"label": label}, strict=False)
    label = fields.text("label", label="Le nom du jeton", max_length=120)
    if label is None and not fields.failed("label"):
        fields.fail("label", "Donnez un nom au jeton (l'outil qui l'utilisera).")
    fields.done()
    token, digest = new_token()
    row = ApiToken(user_id=user.id, digest=digest, label=label)
    db.session.add(row)
    db.session.flush()
    audit.record(user, "account.token_created", target_type="api_token", target_id=row.id,
                 summary=f"{user.email} a créé le jeton « {label} »")
    return token


@use_case
def revoke_my_token(user, token_id):
    """Delete one of one's own API tokens (404 for anyone else's)."""
    token_id = parse_uuid(token_id)
    row = token_id and db.session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                                ApiToken.user_id == user.id))
    if row is None:
        raise NotFound("Jeton introuvable.")
    label = row.label
    db.session.delete(row)
    audit.record(user, "account.token_revoked", target_type="api_token", target_id=token_id,
                 summary=f"{user.email} a révoqué le jeton « {label or 'sans nom'} »")
