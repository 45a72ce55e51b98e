"""record_access: write who read a resident's file, a referral, or made an export.

One line in each read path: ``record_access(user, "referral.read", "referral", referral.id)``.
The row joins the current transaction; a read-only use case does not commit, so the web
layer commits pending access-log rows before the response leaves (a read that cannot be
logged is answered with an error, never served silently), and the CLI commits them when
its application context ends (see web/privacy.py). Identifiers only: never a name, a
note or a position.
"""

from flask import g, has_app_context, has_request_context

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
    if has_app_context():
        g.access_log_pending = True


def pending():
    return has_app_context() and g.get("access_log_pending", False)


def flush_pending():
    """Commit the pending access-log rows (and nothing else is expected to be pending)."""
    if pending():
        db.session.commit()
        g.access_log_pending = False
