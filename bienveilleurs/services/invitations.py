"""One-time account links: invitations (72 h) and password resets, sent through the outbox.

Only the SHA-256 digest of a link's secret is stored; the secret exists in clear only in the
e-mail (and in the outbox row until it is delivered, see notifications.SECRET_LINK_KINDS).
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from .. import clock
from ..errors import Conflict, NotFound, Throttled, ValidationFailed
from ..extensions import db
from ..models import AccountToken, Role, Territory, User
from ..security import hash_password, password_problem
from . import audit, notifications
from .accounts import (
    _attach_structures,
    _check_email,
    _check_throttle,
    _record_failure,
    normalise_email,
)

INVITATION_TTL = timedelta(hours=72)


def _reset_ttl():
    return timedelta(minutes=current_app.config.get("PASSWORD_RESET_MINUTES", 120))


def _digest(secret):
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _issue(user, purpose, *, actor=None, ttl):
    """Store a new link for `user` and enqueue its e-mail (no commit); return the secret."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    row = AccountToken(id=uuid.uuid4(), user_id=user.id, purpose=purpose, digest=_digest(secret),
                       created_at=now, expires_at=now + ttl,
                       created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    if purpose == "invitation":
        path = notifications.link_path(("invitations.accept_link", {"token": secret}),
                                       default=f"/invitation/{secret}")
        notifications.invitation(user, path=path, expires_at=row.expires_at,
                                 dedup_key=f"invitation:{row.id}", invited_by=actor)
    else:
        path = notifications.link_path(("invitations.reset_link", {"token": secret}),
                                       default=f"/reinitialisation/{secret}")
        notifications.password_reset(user, path=path, expires_at=row.expires_at,
                                     dedup_key=f"password_reset:{row.id}")
    return secret


def _check_role(role):
    try:
        return Role(role).value
    except ValueError:
        raise ValidationFailed.field("role", "Choisissez un rôle dans la liste.") from None


def create_invited(actor, *, email, role, display_name="", territory_ids=(), structure_ids=()):
    """Create an account without password and send its invitation; flush, do not commit.

    For use cases that create more in the same transaction (a relay and its profile).
    """
    email = normalise_email(email)
    _check_email(email)
    role = _check_role(role)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"Un compte existe déjà pour {email}.",
                       details=[{"field": "email", "message": f"Un compte existe déjà pour {email}."}])
    user = User(id=uuid.uuid4(), email=email, role=role, display_name=(display_name or "").strip()[:120],
                password_hash=None, active=True, session_version=1)
    if territory_ids:
        if role != Role.COORDINATOR.value:
            raise ValidationFailed.field("territories", "Seuls les coordinateurs sont rattachés à des territoires.")
        territories = db.session.scalars(select(Territory).where(Territory.id.in_(territory_ids))).all()
        if len(territories) != len(set(territory_ids)):
            raise ValidationFailed.field("territories", "Territoire inconnu.")
        user.territories = list(territories)
    db.session.add(user)
    db.session.flush()
    _attach_structures(user, structure_ids)
    _issue(user, "invitation", actor=actor, ttl=INVITATION_TTL)
    audit.record(actor, "account.invited", target_type="user", target_id=user.id,
                 summary=f"Invitation de {email} ({Role(role).label})", email=email, role=role,
                 territories=[str(t) for t in territory_ids], structures=[str(s) for s in structure_ids])
    return user


def invite(actor, *, email, role, display_name="", territory_ids=(), structure_ids=()):
    """Create an account by invitation (a one-time link valid 72 h); one transaction."""
    try:
        user = create_invited(actor, email=email, role=role, display_name=display_name,
                              territory_ids=territory_ids, structure_ids=structure_ids)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return user


def resend_invitation(actor, user_id):
    """Send a fresh invitation to an account that never set its password; older links stop working."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("Compte introuvable.")
    if user.password_hash is not None:
        raise Conflict("Ce compte a déjà choisi son mot de passe : l'invitation n'a plus lieu d'être.")
    if not user.active:
        raise Conflict("Ce compte est désactivé : réactivez-le d'abord.")
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.purpose == "invitation"))
    _issue(user, "invitation", actor=actor, ttl=INVITATION_TTL)
    audit.record(actor, "account.invitation_resent", target_type="user", target_id=user.id,
                 summary=f"Nouvelle invitation pour {user.email}")
    db.session.commit()
    return user


INVALID_LINK = "Ce lien n'est pas valable ou a déjà servi. Demandez-en un nouveau."
EXPIRED_LINK = "Ce lien a expiré. Demandez-en un nouveau."


def _find(secret, purpose, *, lock=False):
    if not secret or len(secret) > 200:
        raise NotFound(INVALID_LINK)
    query = select(AccountToken).where(AccountToken.digest == _digest(secret),
                                       AccountToken.purpose == purpose)
    if lock:
        query = query.with_for_update()
    row = db.session.scalar(query)
    if row is None or row.used_at is not None:
        raise NotFound(INVALID_LINK)
    if row.expires_at <= clock.now():
        raise NotFound(EXPIRED_LINK)
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotFound(INVALID_LINK)
    return row, user


def check_link(secret, purpose):
    """Return the account a still-valid link is for (NotFound with a French reason otherwise)."""
    return _find(secret, purpose)[1]


def _use(secret, purpose, password):
    row, user = _find(secret, purpose, lock=True)
    problem = password_problem(password or "", email=user.email)
    if problem:
        raise ValidationFailed.field("password", problem)
    now = clock.now()
    row.used_at = now
    # One password: every other link of this account stops working, every session ends.
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.id != row.id))
    db.session.execute(update(User).where(User.id == user.id).values(
        password_hash=hash_password(password), session_version=User.session_version + 1))
    return user


def accept_invitation(secret, password):
    """Set the password of an invited account through its one-time link; return the user."""
    try:
        user = _use(secret, "invitation", password)
        audit.record(user, "account.invitation_accepted", target_type="user", target_id=user.id,
                     summary=f"{user.email} a activé son compte")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return db.session.get(User, user.id, populate_existing=True)


def reset_password(secret, password):
    """Set a new password through a reset link; every session of the account ends."""
    try:
        user = _use(secret, "password_reset", password)
        audit.record(user, "account.password_reset", target_type="user", target_id=user.id,
                     summary=f"{user.email} a réinitialisé son mot de passe")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return db.session.get(User, user.id, populate_existing=True)


def request_password_reset(email, *, address):
    """Send a reset link if an active account has this address; the caller always answers the same.

    Requests are throttled per address and per e-mail alike, whether the account exists or
    not, so neither the answer nor the throttling reveals which addresses have an account.
    """
    email = normalise_email(email)[:254]
    # "address:" keys get more free attempts (shared addresses: NAT, a social centre's wifi).
    keys = [f"address:reset:{address or 'unknown'}", f"reset:{email}"]
    # Counted first, so that the request over the limit is itself refused.
    _record_failure(keys, current_app.config.get("RESET_FREE_REQUESTS", 3), 3600)
    try:
        _check_throttle(keys)
    except Throttled:
        db.session.commit()
        raise
    user = db.session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if user is not None:
        _issue(user, "password_reset", actor=None, ttl=_reset_ttl())
    db.session.commit()
