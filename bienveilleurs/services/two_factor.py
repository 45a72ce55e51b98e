"""Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238, with pyotp) and recovery codes.

Required for admins and coordinators (they reach vulnerable people's files), optional for
relays and social workers. The shared secret is kept server-side from the moment enrolment
starts (never in the session cookie) and is in force once a first code confirmed it. A code
is accepted once: the last time step used is stored, and a code of that step or an earlier
one is refused (a code seen over a shoulder or replayed from a log is useless). Recovery
codes are shown once and stored as SHA-256 digests (they are 80-bit random values, not
passwords), each good for one sign-in. The code step is throttled like the password step.
API tokens (issued by the command line) are not concerned.
"""

import hashlib
import hmac
import secrets
import uuid

import pyotp
import segno
from sqlalchemy import delete, func, select, update

from .. import clock
from ..errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from ..extensions import db
from ..models import RecoveryCode, User
from ..security import verify_password
from . import audit
from .accounts import check_throttle, forget_failures, limits, record_failure, sign_in_keys
from .transaction import use_case

ISSUER = "Bienveilleurs"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 16
# Steps around now that are accepted: the phone's clock may be a little off.
DRIFT_STEPS = 1
WRONG_CODE = "Code incorrect, expiré ou déjà utilisé."


# --- codes -----------------------------------------------------------------------------------

def _clean(code):
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()[:64]


def current_step(secret):
    return pyotp.TOTP(secret).timecode(clock.now())


def code_at_step(secret, step):
    """The six digits of `secret` at time step `step` (for tests and the demo's helper)."""
    return pyotp.TOTP(secret).generate_otp(step)


def _matching_step(secret, code, *, after):
    """The time step `code` belongs to (now, or one step off), if later than `after`."""
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    now = current_step(secret)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at_step(secret, step), code):
            found = step
    return found


def _recovery_digest(code):
    return hashlib.sha256(_clean(code).encode("ascii", "ignore")).digest()


def _new_recovery_codes(user):
    """Replace the account's recovery codes; return the new ones, in clear (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
        db.session.add(RecoveryCode(id=uuid.uuid4(), user_id=user.id,
                                    digest=_recovery_digest(raw), created_at=clock.now()))
    return codes


def _use_recovery_code(user, code):
    if len(code) != RECOVERY_LENGTH:
        return False
    row = db.session.scalar(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.digest == _recovery_digest(code),
                                   RecoveryCode.used_at.is_(None)).with_for_update())
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def recovery_codes_left(user):
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def _accept(user, code):
    """Check a code (or a recovery code) of an enrolled account, marking it used; a bool."""
    code = _clean(code)
    step = _matching_step(user.totp_secret, code, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return True
    return _use_recovery_code(user, code)


def _locked(user_id):
    return db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                             .execution_options(populate_existing=True))


def _code_keys(user, address, devices):
    return ["code:" + key for key in sign_in_keys(user, user.email, address, devices)]


# --- enrolment -------------------------------------------------------------------------------

def provisioning_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(text):
    """An SVG QR code of `text`, drawn here: the secret never goes to another service."""
    return segno.make(text, error="m").svg_inline(scale=5, border=2, dark="#111",
                                                  light="#fff", title="QR code à scanner")


@use_case
def start_enrolment(user):
    """Return the secret to show for enrolment, kept server-side (drawn once, then reused)."""
    row = _locked(user.id)
    if row.totp_enabled_at is not None:
        raise Conflict("La double authentification est déjà activée.")
    if not row.totp_secret:
        row.totp_secret = pyotp.random_base32()  # 160 bits
    return row.totp_secret


@use_case(keep_on=(ValidationFailed,))  # a wrong code is counted
def confirm_enrolment(user, code, *, address=None, devices=None):
    """Turn the second factor on with a first code; return (user, recovery codes in clear).

    Every other session of the account ends (the caller opens a new one for this browser).
    """
    row = _locked(user.id)
    if row.totp_enabled_at is not None:
        raise Conflict("La double authentification est déjà activée.")
    keys = _code_keys(row, address, devices)
    check_throttle(keys)
    step = _matching_step(row.totp_secret, _clean(code), after=None)
    if step is None:
        record_failure(keys, *limits(None, None))
        raise ValidationFailed.field("code", "Code incorrect : vérifiez l'heure du téléphone "
                                             "et saisissez le code affiché maintenant.")
    row.totp_enabled_at, row.totp_last_step = clock.now(), step
    row.session_version += 1
    codes = _new_recovery_codes(row)
    forget_failures(keys)
    audit.record(row, "account.two_factor_enabled", target_type="user", target_id=row.id,
                 summary=f"{row.email} a activé la double authentification")
    return row, codes


# --- signing in ------------------------------------------------------------------------------

@use_case(keep_on=(Unauthorized,))  # a wrong code is counted, then refused
def verify_sign_in(session_id, code, *, address=None, devices=None):
    """Second step of a sign-in: `session_id` ("uuid:version") passed the password step.

    Returns the account, or raises Unauthorized (wrong, expired or replayed code) or
    Throttled. A recovery code is accepted once.
    """
    try:
        user_id, version = session_id.split(":", 1)
        user = _locked(uuid.UUID(user_id))
    except (AttributeError, ValueError):
        user = None
    if (user is None or not user.active or str(user.session_version) != version
            or user.totp_enabled_at is None):
        raise Unauthorized("Reconnectez-vous : cette connexion n'est plus valable.")
    keys = _code_keys(user, address, devices)
    check_throttle(keys)
    if not _accept(user, code):
        record_failure(keys, *limits(None, None))
        raise Unauthorized(WRONG_CODE)
    forget_failures(keys)
    user.last_login_at = clock.now()
    return user


# --- managing it -----------------------------------------------------------------------------

def _check_code(row, code, keys, *, field="code"):
    check_throttle(keys)
    if not _accept(row, code):
        record_failure(keys, *limits(None, None))
        raise ValidationFailed.field(field, WRONG_CODE)


@use_case(keep_on=(ValidationFailed,))
def renew_recovery_codes(user, code, *, address=None, devices=None):
    """Replace the recovery codes (the old ones stop working); needs a current code."""
    row = _locked(user.id)
    if row.totp_enabled_at is None:
        raise Conflict("La double authentification n'est pas activée.")
    _check_code(row, code, _code_keys(row, address, devices))
    audit.record(row, "account.recovery_codes_renewed", target_type="user", target_id=row.id,
                 summary=f"{row.email} a renouvelé ses codes de secours")
    return _new_recovery_codes(row)


@use_case(keep_on=(ValidationFailed,))
def disable(user, password, code, *, address=None, devices=None):
    """Turn the second factor off (relays and social workers only); every session ends."""
    row = _locked(user.id)
    if row.two_factor_required:
        raise Forbidden("La double authentification est obligatoire pour votre rôle.")
    if row.totp_enabled_at is None:
        raise Conflict("La double authentification n'est pas activée.")
    keys = _code_keys(row, address, devices)
    check_throttle(keys)
    if not verify_password(row.password_hash, password or ""):
        record_failure(keys, *limits(None, None))
        raise ValidationFailed.field("password", "Le mot de passe est incorrect.")
    _check_code(row, code, keys)
    _turn_off(row)
    audit.record(row, "account.two_factor_disabled", target_type="user", target_id=row.id,
                 summary=f"{row.email} a désactivé la double authentification")
    return row


def _turn_off(row):
    row.totp_secret = row.totp_enabled_at = row.totp_last_step = None
    row.session_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == row.id))


@use_case
def reset(email, *, actor=None):
    """Turn the second factor off for an account that lost it (command line); sessions end.

    An admin or a coordinator enrols again at their next sign-in.
    """
    from .accounts import account_by_email
    row = _locked(account_by_email(email).id)
    _turn_off(row)
    audit.record(actor, "account.two_factor_reset", target_type="user", target_id=row.id,
                 summary=f"Double authentification de {row.email} réinitialisée")
    return row


def enrol_now(user, secret):
    """Enrol an account with a known secret, without a first code (demo accounts, tests)."""
    db.session.execute(update(User).where(User.id == user.id).values(
        totp_secret=secret, totp_enabled_at=clock.now(), totp_last_step=None))
    return user

