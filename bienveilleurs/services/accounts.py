"""Accounts: creation, authentication with shared throttling, API tokens, session revocation."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..config import setting
from ..errors import Conflict, NotFound, Throttled, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import (
    ROLE_VALUES,
    ApiToken,
    LoginThrottle,
    Role,
    Structure,
    Territory,
    User,
    structure_members,
)
from ..security import (
    hash_password,
    needs_rehash,
    new_token,
    password_problem,
    token_digest,
    verify_password,
)
from .fields import Fields
from .transaction import use_case

log = logging.getLogger("bienveilleurs.auth")

# How long a run of failures is remembered before the count starts again.
FAILURE_MEMORY = timedelta(hours=1)


def normalise_email(email):
    """Return an address as accounts are looked up by it (trimmed, lower case)."""
    return (email or "").strip().lower()


# --- a new account's fields ---------------------------------------------------------------

@dataclass
class NewAccount:
    email: str
    role: str
    display_name: str
    territories: list
    structure_ids: list


def read_new_account(*, email, role, display_name="", territory_ids=(), structure_ids=(),
                     password=None, territory_field="territory", structure_field="structure"):
    """Check a new account's e-mail, role, name, password and attachments, every problem at once.

    Coordinators are attached to territories, social workers to structures (both must
    exist). Raises BadRequest / ValidationFailed through `Fields`; a taken address is the
    caller's check (a conflict, not a field problem).
    """
    fields = Fields({"email": email, "role": role, "display_name": display_name,
                     territory_field: list(territory_ids or ()),
                     structure_field: list(structure_ids or ())}, strict=False)
    email = fields.email(required=True)
    role = fields.choice("role", ROLE_VALUES, label="Le rôle", required=True)
    display_name = fields.text("display_name", label="Le nom affiché", max_length=120) or ""
    if password is not None:
        problem = password_problem(password, email=email or "")
        if problem:
            fields.fail("password", problem)
    territories = _attached(
        fields, territory_field, Territory, role, Role.COORDINATOR, label="Les territoires",
        only="Seuls les coordinateurs sont rattachés à des territoires.",
        unknown="Territoire inconnu.")
    structures = _attached(
        fields, structure_field, Structure, role, Role.SOCIAL_WORKER, label="Les structures",
        only="Seuls les travailleurs sociaux sont rattachés à une structure.",
        unknown="Structure inconnue.")
    fields.done()
    return NewAccount(email, role, display_name, territories, [s.id for s in structures])


def _attached(fields, name, model, role, attached_role, *, label, only, unknown):
    """The rows of `model` named in `fields[name]`, for an account of `attached_role` only."""
    ids = fields.uuids(name, label=label)
    if not ids:
        return []
    if role is not None and role != attached_role.value:
        fields.fail(name, only)
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids))).all()
    if len(rows) != len(ids):
        fields.fail(name, unknown)
        return []
    return list(rows)


def email_taken(email):
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def add_account(account, *, password_hash, **columns):
    """Insert the account with its territories and structures (no commit); return the user."""
    user = User(email=account.email, role=account.role, display_name=account.display_name,
                password_hash=password_hash, **columns)
    user.territories = account.territories
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same address created at the same moment
        raise Conflict(f"Un compte existe déjà pour {account.email}.") from None
    if account.structure_ids:
        db.session.execute(insert(structure_members), [
            {"user_id": user.id, "structure_id": s} for s in account.structure_ids])
    return user


@use_case
def create_user(email, *, role, password, display_name="", territory_ids=(), structure_ids=()):
    """Create an account; refuse duplicates and weak passwords."""
    account = read_new_account(email=email, role=role, display_name=display_name,
                               territory_ids=territory_ids, structure_ids=structure_ids,
                               password=password)
    if email_taken(account.email):
        raise Conflict(f"Un compte existe déjà pour {account.email}.")
    return add_account(account, password_hash=hash_password(password))


# --- signing in, with throttling -------------------------------------------------------------
#
# Unknown browsers are throttled per account and per address. A browser that signed in to
# this account before shows it with a device cookie (signed by the pages, see
# web/pages.py): its failures count against that device only, so that nobody can lock the
# real user out by failing on purpose from elsewhere (OWASP, "slow down online guessing
# attacks with device cookies"); a stolen or guessing device is still slowed down.

def throttle_keys(email, address):
    return [f"account:{email}", f"address:{address or 'unknown'}"]


def sign_in_keys(user, email, address, devices=None):
    """The counters an attempt on `user` is checked against and counted on.

    `devices` maps account ids to the nonces of this browser's valid device cookie.
    """
    nonce = (devices or {}).get(user.id) if user is not None else None
    if nonce:
        return [f"device:{nonce}"]
    return throttle_keys(email, address)


def check_throttle(keys):
    """Raise Throttled while any of these keys is blocked."""
    now = clock.now()
    blocked = db.session.scalar(
        select(func.max(LoginThrottle.blocked_until)).where(LoginThrottle.key.in_(keys)))
    if blocked is not None and blocked > now:
        raise Throttled((blocked - now).total_seconds())


_COUNT_FAILURE = text("""
    INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until)
    VALUES (:key, 1, :now, NULL)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN login_throttle.last_failure_at < :forget THEN 1
                      ELSE login_throttle.failures + 1 END,
      last_failure_at = :now,
      blocked_until = CASE
        WHEN login_throttle.last_failure_at >= :forget
             AND login_throttle.failures + 1 > :free
        THEN :now + make_interval(
               secs => least(power(2, login_throttle.failures + 1 - :free), :max))
        ELSE NULL END
""")


def record_failure(keys, free_attempts, max_delay):
    """Count one failure per key atomically; past the free attempts, delays double each time."""
    now = clock.now()
    for key in keys:
        # Addresses are shared (NAT, a social centre's wifi): they get more free attempts.
        free = free_attempts * 4 if "address:" in key else free_attempts
        db.session.execute(_COUNT_FAILURE, {"key": key, "now": now, "forget": now - FAILURE_MEMORY,
                                            "free": free, "max": max_delay})


def forget_failures(keys):
    """A success clears the account's or the device's count (never an address's)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))


def limits(free_attempts, max_delay):
    if free_attempts is None:
        free_attempts = setting("LOGIN_FREE_ATTEMPTS")
    if max_delay is None:
        max_delay = setting("LOGIN_MAX_DELAY_S")
    return free_attempts, max_delay


@use_case(keep_on=(Unauthorized,))  # a failed sign-in is counted, then refused
def authenticate(email, password, *, address, devices=None, free_attempts=None,
                 max_delay=None):
    """Return the user for these credentials, or raise Unauthorized / Throttled.

    The password step only: an account with a second factor still has to give a code
    (services/two_factor.verify_sign_in) before a session is opened.
    """
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    keys = sign_in_keys(user, email, address, devices)
    check_throttle(keys)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.active:
        record_failure(keys, *limits(free_attempts, max_delay))
        # Never the password; the address helps spot a campaign.
        log.warning("login failed for account=%s address=%s device=%s", email[:254], address,
                    "known" if keys[0].startswith("device:") else "unknown")
        raise Unauthorized("Adresse e-mail ou mot de passe incorrect.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.two_factor_enabled:
        user.last_login_at = clock.now()
    forget_failures(keys)
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


@use_case
def end_all_sessions(user):
    """Invalidate every session of this account (logout everywhere)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))


# --- API tokens (command line) --------------------------------------------------------------

def account_by_email(email):
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"Aucun compte pour {normalise_email(email)}.")
    return user


@use_case
def issue_token(email, *, label=""):
    """Create an API token for the account and return it in clear (the only time it exists so)."""
    user = account_by_email(email)
    token, digest = new_token()
    db.session.add(ApiToken(user_id=user.id, digest=digest, label=label))
    return token


@use_case
def revoke_tokens(email):
    """Delete every API token of the account; return how many there were."""
    return end_tokens(account_by_email(email).id)


def end_tokens(user_id):
    """Delete every API token of an account (no commit); return how many there were.

    A new password ends them, as it ends the sessions: a token taken along with the old
    password must not outlive it.
    """
    return db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id)).rowcount


def user_for_token(token):
    """Return the active user owning this bearer token, or None (one indexed lookup, no hashing)."""
    if not token or len(token) > 200:
        return None
    return db.session.execute(_TOKEN_OWNER, {"digest": token_digest(token)}).scalar_one_or_none()


# Built once: every API call runs it.
_TOKEN_OWNER = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.digest == bindparam("digest"), User.active.is_(True)))


# A wrong current password is counted (like a failed sign-in), then refused.
@use_case(keep_on=(ValidationFailed,))
def change_password(user, current_password, new_password, *, address=None, devices=None,
                    free_attempts=None, max_delay=None):
    """Replace the account's password; end every session and every API token it has.

    A wrong current password counts as a failed login for the account (or for this browser,
    when it is a known device), so a stolen session cannot be used to guess it; the caller
    signs the current browser in again afterwards.
    """
    keys = sign_in_keys(user, user.email, address, devices)[:1]
    check_throttle(keys)
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    if not verify_password(stored, current_password or ""):
        record_failure(keys, *limits(free_attempts, max_delay))
        log.warning("password change refused (wrong current password) for account=%s",
                    user.email)
        raise ValidationFailed.field("current_password", "Le mot de passe actuel est incorrect.")
    problem = password_problem(new_password or "", email=user.email)
    if problem:
        raise ValidationFailed.field("new_password", problem)
    if new_password == current_password:
        raise ValidationFailed.field("new_password",
                                     "Choisissez un mot de passe différent de l'actuel.")
    db.session.execute(update(User).where(User.id == user.id).values(
        password_hash=hash_password(new_password), session_version=User.session_version + 1))
    end_tokens(user.id)
    log.info("password changed for account=%s; every session and API token ended", user.email)
    return db.session.get(User, user.id, populate_existing=True)
