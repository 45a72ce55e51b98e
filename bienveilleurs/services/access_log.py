"""record_access: write who read a resident's file, a referral, or made an export.

One line in each read path: ``record_access(user, "referral.read", "referral", referral.id)``;
a page that shows a list of people writes one row per person shown (`record_accesses`), so
that a person's right-of-access export finds every page that showed them.
The row joins the current transaction and never commits: the service that reads the file
calls it and is itself a `@use_case`, so the row is committed with the read, the same way
for a page, the API and the command line (a read that cannot be logged fails, it is never
served silently). Identifiers only: never a name, a note or a position.
"""

from flask import has_request_context
from sqlalchemy import insert

from .. import clock
from ..extensions import db
from ..models import ACCESS_ACTIONS, AccessLog


def record_access(user, action, object_type=None, object_id=None):
    """Add one access-log row for `user` (None: the signed-in user, or the command line)."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    if user is None and has_request_context():
        from flask_login import current_user
        user = current_user if current_user.is_authenticated else None
    user_id = getattr(user, "id", None)
    db.session.add(AccessLog(at=clock.now(), user_id=user_id, action=action,
                             object_type=object_type, object_id=object_id))


def record_accesses(user, action, object_type, object_ids):
    """Add one access-log row per object shown at once (a list page), in one statement."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}")
    ids = list(dict.fromkeys(object_ids))
    if not ids:
        return
    at, user_id = clock.now(), getattr(user, "id", None)
    db.session.execute(insert(AccessLog), [
        {"at": at, "user_id": user_id, "action": action, "object_type": object_type,
         "object_id": object_id} for object_id in ids])
