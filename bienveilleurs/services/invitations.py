"""One-time account links: invitations (72 h) and password resets, sent through the outbox.

Links are made and found by services/links: only the SHA-256 digest of a link's secret is
stored; the secret exists in clear only in the e-mail (and in the outbox row until it is
delivered, see notifications.SECRET_LINK_KINDS). The page a link opens keeps only the link's
row id in the session (`open_link`), never the secret: a session cookie is signed, not
encrypted, and anyone reading it would have had a secret usable from any browser.
"""

import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update

from .. import clock
from ..config import setting
from ..errors import Conflict, NotFound, Throttled, ValidationFailed
from ..extensions import db
from ..models import AccountToken, Role, User
from ..security import hash_password, password_problem
from . import audit, links, notifications
from .accounts import (
    add_account,
    check_throttle,
    email_taken,
    end_tokens,
    normalise_email,
    read_new_account,
    record_failure,
)
from .transaction import use_case

INVITATION_TTL = timedelta(hours=72)
# The longest wait between two reset requests for one address, once past the free ones.
RESET_MAX_DELAY_S = 3600


def _issue(user, purpose, *, actor=None, ttl):
    """Store a new link for `user` and enqueue its e-mail (no commit); return the secret."""
    row, secret = links.issue(purpose, ttl=ttl, user=user, actor=actor)
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


@use_case
def invite(actor, *, email, role, display_name="", territory_ids=(), structure_ids=()):
    """Create an account by invitation (no password yet, a one-time link valid 72 h).

    Other use cases call it to create more in the same transaction (a relay and its
    profile, a structure's new member).
    """
    account = read_new_account(email=email, role=role, display_name=display_name,
                               territory_ids=territory_ids, structure_ids=structure_ids,
                               territory_field="territories")
    if email_taken(account.email):
        message = f"Un compte existe déjà pour {account.email}."
        raise Conflict(message, details=[{"field": "email", "message": message}])
    user = add_account(account, password_hash=None, id=uuid.uuid4(), active=True,
                       session_version=1)
    _issue(user, "invitation", actor=actor, ttl=INVITATION_TTL)
    audit.record(actor, "account.invited", target_type="user", target_id=user.id,
                 summary=f"Invitation de {account.email} ({Role(account.role).label})",
                 email=account.email, role=account.role,
                 territories=[str(t) for t in territory_ids],
                 structures=[str(s) for s in structure_ids])
    return user


@use_case
def resend_invitation(actor, user_id):
    """Send a fresh invitation to an account that never set its password; older links stop."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("Compte introuvable.")
    if user.password_hash is not None:
        raise Conflict("Ce compte a déjà choisi son mot de passe : "
                       "l'invitation n'a plus lieu d'être.")
    if not user.active:
        raise Conflict("Ce compte est désactivé : réactivez-le d'abord.")
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.purpose == "invitation"))
    _issue(user, "invitation", actor=actor, ttl=INVITATION_TTL)
    audit.record(actor, "account.invitation_resent", target_type="user", target_id=user.id,
                 summary=f"Nouvelle invitation pour {user.email}")
    return user


INVALID_LINK = links.INVALID_LINK
EXPIRED_LINK = links.EXPIRED_LINK


def _find(secret, purpose, *, link_id=None, lock=False):
    """The link row and its account, found by its secret or, once opened, by its row id."""
    row = links.find(secret, purpose, link_id=link_id, lock=lock)
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.active:
        raise NotFound(INVALID_LINK)
    return row, user


def check_link(secret, purpose, *, link_id=None):
    """Return the account a still-valid link is for (NotFound with a French reason otherwise)."""
    return _find(secret, purpose, link_id=link_id)[1]


def open_link(secret, purpose):
    """Check a link's secret and return its row id, for the page to hold instead of it."""
    return _find(secret, purpose)[0].id


def _use(secret, purpose, password, link_id=None):
    row, user = _find(secret, purpose, link_id=link_id, lock=True)
    problem = password_problem(password or "", email=user.email)
    if problem:
        raise ValidationFailed.field("password", problem)
    now = clock.now()
    row.used_at = now
    # One password: every other link of this account stops working, every session and
    # every API token ends.
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                                  AccountToken.id != row.id))
    db.session.execute(update(User).where(User.id == user.id).values(
        password_hash=hash_password(password), session_version=User.session_version + 1))
    end_tokens(user.id)
    return db.session.get(User, user.id, populate_existing=True)


@use_case
def accept_invitation(secret, password, *, link_id=None):
    """Set the password of an invited account through its one-time link; return the user."""
    user = _use(secret, "invitation", password, link_id)
    audit.record(user, "account.invitation_accepted", target_type="user", target_id=user.id,
                 summary=f"{user.email} a activé son compte")
    return user


@use_case
def reset_password(secret, password, *, link_id=None):
    """Set a new password through a reset link; every session and API token of it ends."""
    user = _use(secret, "password_reset", password, link_id)
    audit.record(user, "account.password_reset", target_type="user", target_id=user.id,
                 summary=f"{user.email} a réinitialisé son mot de passe")
    return user


@use_case(keep_on=(Throttled,))  # the refused request is counted too
def request_password_reset(email, *, address):
    """Send a reset link if an active account has this address; the caller always answers the same.

    Requests are throttled per address and per e-mail alike, whether the account exists or
    not, so neither the answer nor the throttling reveals which addresses have an account.
    """
    email = normalise_email(email)[:254]
    # "address:" keys get more free attempts (shared addresses: NAT, a social centre's wifi).
    keys = [f"address:reset:{address or 'unknown'}", f"reset:{email}"]
    # Counted first, so that the request over the limit is itself refused.
    record_failure(keys, setting("RESET_FREE_REQUESTS"), RESET_MAX_DELAY_S)
    check_throttle(keys)
    user = db.session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if user is not None:
        _issue(user, "password_reset", actor=None,
               ttl=timedelta(minutes=setting("PASSWORD_RESET_MINUTES")))
