"""Links sent by e-mail whose secret is never stored: only its SHA-256 digest is.

The one way of the application to make and find such a link (`account_tokens`): account
invitations and password resets (services/invitations) and a candidate's links
(services/candidacies: the confirmation link, which also reads, withdraws and erases the
candidacy, and the charter's signing link). The secret exists in clear only in the e-mail
(and in the outbox row until it is delivered, see notifications.SECRET_LINK_KINDS). A page a
link opens keeps only the link's row id in the session, never the secret.
"""

import hashlib
import secrets
import uuid

from sqlalchemy import select

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import AccountToken
from .fields import parse_uuid

INVALID_LINK = "Ce lien n'est pas valable ou a déjà servi. Demandez-en un nouveau."
EXPIRED_LINK = "Ce lien a expiré. Demandez-en un nouveau."


def digest(secret):
    return hashlib.sha256(secret.encode("utf-8")).digest()


def issue(purpose, *, ttl, user=None, candidacy=None, actor=None):
    """Store a new link of `purpose` for an account or a candidacy (no commit).

    Returns (row, secret): the secret goes into the e-mail and nowhere else.
    """
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    row = AccountToken(id=uuid.uuid4(), user_id=getattr(user, "id", None),
                       candidacy_id=getattr(candidacy, "id", None), purpose=purpose,
                       digest=digest(secret), created_at=now, expires_at=now + ttl,
                       created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    return row, secret


def find(secret, purpose, *, link_id=None, lock=False):
    """The still-valid link row of `purpose`, found by its secret or, once opened, by its id.

    NotFound with a French reason when it is unknown, used or expired.
    """
    if link_id is not None:
        link_id = parse_uuid(link_id)
        if link_id is None:
            raise NotFound(INVALID_LINK)
        condition = AccountToken.id == link_id
    elif secret and len(secret) <= 200:
        condition = AccountToken.digest == digest(secret)
    else:
        raise NotFound(INVALID_LINK)
    query = select(AccountToken).where(condition, AccountToken.purpose == purpose)
    if lock:
        query = query.with_for_update()
    row = db.session.scalar(query)
    if row is None or row.used_at is not None:
        raise NotFound(INVALID_LINK)
    if row.expires_at <= clock.now():
        raise NotFound(EXPIRED_LINK)
    return row
