"""Accounts: creation, authentication with shared throttling, API tokens, session revocation."""

import logging
import uuid
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import Conflict, NotFound, Throttled, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import ApiToken, LoginThrottle, Role, Structure, Territory, User, structure_members
from ..security import (
    hash_password,
    needs_rehash,
    new_token,
    password_problem,
    token_digest,
    verify_password,
)

log = logging.getLogger("bienveilleurs.auth")

# How long a run of failures is remembered before the count starts again.
FAILURE_MEMORY = timedelta(hours=1)


def normalise_email(email):
    return (email or "").strip().lower()


def _check_email(email):
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed.field("email", "L'adresse e-mail n'est pas valide.")


def create_user(email, *, role, password, display_name="", territory_ids=(), structure_ids=()):
    """Create an account; refuse duplicates and weak passwords."""
    email = normalise_email(email)
    _check_email(email)
    try:
        role = Role(role).value
    except ValueError:
        raise ValidationFailed.field(
            "role", "Rôle inconnu : choisissez admin, coordinator, relay ou social_worker.") from None
    problem = password_problem(password, email=email)
    if problem:
        raise ValidationFailed.field("password", problem)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"Un compte existe déjà pour {email}.")
    user = User(email=email, role=role, display_name=display_name.strip(),
                password_hash=hash_password(password))
    if territory_ids:
        if role != Role.COORDINATOR.value:
            raise ValidationFailed.field("territory", "Seuls les coordinateurs sont rattachés à des territoires.")
        territories = db.session.scalars(select(Territory).where(Territory.id.in_(territory_ids))).all()
        if len(territories) != len(set(territory_ids)):
            raise ValidationFailed.field("territory", "Territoire inconnu.")
        user.territories = list(territories)
    db.session.add(user)
    try:
        db.session.flush()
        _attach_structures(user, structure_ids)
        db.session.commit()
    except ValidationFailed:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"Un compte existe déjà pour {email}.") from None
    return user


def _attach_structures(user, structure_ids):
    """Make a social worker a member of these structures."""
    if not structure_ids:
        return
    if user.role != Role.SOCIAL_WORKER.value:
        raise ValidationFailed.field("structure", "Seuls les travailleurs sociaux sont rattachés à une structure.")
    try:
        ids = [uuid.UUID(str(s)) for s in structure_ids]
    except ValueError:
        raise ValidationFailed.field("structure", "Identifiant de structure invalide.") from None
    found = db.session.scalars(select(Structure.id).where(Structure.id.in_(ids))).all()
    if len(found) != len(set(ids)):
        raise ValidationFailed.field("structure", "Structure inconnue.")
    db.session.execute(insert(structure_members), [{"user_id": user.id, "structure_id": s} for s in set(ids)])


def _throttle_keys(email, address):
    return [f"account:{email}", f"address:{address or 'unknown'}"]


def _check_throttle(keys):
    now = clock.now()
    blocked = db.session.scalar(
        select(func.max(LoginThrottle.blocked_until)).where(LoginThrottle.key.in_(keys)))
    if blocked is not None and blocked > now:
        raise Throttled((blocked - now).total_seconds())


def _record_failure(keys, free_attempts, max_delay):
    """Count one failure per key atomically; past the free attempts, delays double each time."""
    now = clock.now()
    for key in keys:
        # Addresses are shared (NAT, a social centre's wifi): they get more free attempts.
        free = free_attempts * 4 if key.startswith("address:") else free_attempts
        db.session.execute(text("""
            INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until)
            VALUES (:key, 1, :now, NULL)
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN login_throttle.last_failure_at < :forget THEN 1
                              ELSE login_throttle.failures + 1 END,
              last_failure_at = :now,
              blocked_until = CASE
                WHEN login_throttle.last_failure_at >= :forget AND login_throttle.failures + 1 > :free
                THEN :now + make_interval(secs => least(power(2, login_throttle.failures + 1 - :free), :max))
                ELSE NULL END
        """), {"key": key, "now": now, "forget": now - FAILURE_MEMORY, "free": free, "max": max_delay})


def authenticate(email, password, *, address, free_attempts=5, max_delay=900):
    """Return the user for these credentials, or raise Unauthorized / Throttled."""
    email = normalise_email(email)
    keys = _throttle_keys(email, address)
    _check_throttle(keys)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.active:
        _record_failure(keys, free_attempts, max_delay)
        db.session.commit()
        # Never the password; the address helps spot a campaign.
        log.warning("login failed for account=%s address=%s", email[:254], address)
        raise Unauthorized("Adresse e-mail ou mot de passe incorrect.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    db.session.commit()
    return user


def load_session_user(session_id):
    """Resolve a Flask-Login id "uuid:version"; an older session version is refused."""
    try:
        user_id, version = session_id.split(":", 1)
        user_id, version = uuid.UUID(user_id), int(version)
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def end_all_sessions(user):
    """Invalidate every session of this account (logout everywhere)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.commit()


def issue_token(email, *, label=""):
    """Create an API token for the account and return it in clear (the only time it exists so)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"Aucun compte pour {normalise_email(email)}.")
    token, digest = new_token()
    db.session.add(ApiToken(user_id=user.id, digest=digest, label=label))
    db.session.commit()
    return token


def revoke_tokens(email):
    """Delete every API token of the account; return how many there were."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"Aucun compte pour {normalise_email(email)}.")
    result = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.commit()
    return result.rowcount


def user_for_token(token):
    """Return the active user owning this bearer token, or None (one indexed lookup, no hashing cost)."""
    if not token or len(token) > 200:
        return None
    return db.session.execute(_TOKEN_OWNER, {"digest": token_digest(token)}).scalar_one_or_none()


# Built once: every API call runs it.
_TOKEN_OWNER = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.digest == bindparam("digest"), User.active.is_(True)))


def change_password(user, current_password, new_password, *, address=None, free_attempts=5,
                    max_delay=900):
    """Replace the account's password and end every session it has (including other devices).

    A wrong current password counts as a failed login for the account, so a stolen session
    cannot be used to guess it; the caller signs the current browser in again afterwards.
    """
    keys = _throttle_keys(user.email, address)[:1]
    _check_throttle(keys)
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    if not verify_password(stored, current_password or ""):
        _record_failure(keys, free_attempts, max_delay)
        db.session.commit()
        log.warning("password change refused (wrong current password) for account=%s", user.email)
        raise ValidationFailed.field("current_password", "Le mot de passe actuel est incorrect.")
    problem = password_problem(new_password or "", email=user.email)
    if problem:
        raise ValidationFailed.field("new_password", problem)
    if new_password == current_password:
        raise ValidationFailed.field("new_password", "Choisissez un mot de passe différent de l'actuel.")
    db.session.execute(update(User).where(User.id == user.id).values(
        password_hash=hash_password(new_password), session_version=User.session_version + 1))
    db.session.commit()
    log.info("password changed for account=%s; every session ended", user.email)
    return db.session.get(User, user.id, populate_existing=True)


def set_active(user_id, active):
    """Activate or deactivate an account; deactivation ends every session at once."""
    values = {"active": bool(active)}
    if not active:
        values["session_version"] = User.session_version + 1
    result = db.session.execute(update(User).where(User.id == user_id).values(**values))
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound("Compte introuvable.")
    db.session.commit()
