"""The outbox row: rendered and added to the current transaction, with its links and the
recipients' preferences. Nothing here commits but `save_preferences`, a use case."""

import logging
import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from werkzeug.routing import BuildError

from ... import clock
from ...config import setting
from ...extensions import db
from ...models import Notification, NotificationPreference
from ..transaction import use_case

# Kinds whose link is a one-time secret: once delivered, the stored copy loses it.
SECRET_LINK_KINDS = {"invitation", "password_reset", "structure_link", "candidacy_confirm",
                     "charter_link"}
REDACTED_LINK = "[lien à usage unique envoyé]"
WEB_ADDRESS = re.compile(r"https?://[^\s<>«»\"]+")

log = logging.getLogger(__name__)


# --- preferences -------------------------------------------------------------------------

def preferences(user):
    """Return the user's preferences (an unsaved row with the defaults when none is stored)."""
    pref = db.session.get(NotificationPreference, user.id)
    return pref or NotificationPreference(user_id=user.id, digest=True, email=True)


@use_case
def save_preferences(user, *, digest=None, email=None):
    """Store the user's choices (digest on/off; for relays, e-mail or nothing)."""
    pref = db.session.get(NotificationPreference, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id, digest=True, email=True)
        db.session.add(pref)
    if digest is not None:
        pref.digest = bool(digest)
    if email is not None:
        pref.email = bool(email)
    pref.updated_at = clock.now()
    return pref


def wants_email(user):
    pref = db.session.get(NotificationPreference, user.id)
    return pref is None or pref.email


# --- enqueue -----------------------------------------------------------------------------

def absolute_url(path):
    return setting("BASE_URL") + (path or "/")


def link_path(*candidates, default="/"):
    """Return the path of the first candidate, (endpoint, values), that builds.

    A notification links to the most precise page whose URL its values can fill, and
    falls back to the home page.
    """
    # Built without a request (the CLI, the expiry job): a plain map adapter gives the path.
    adapter = current_app.url_map.bind("localhost")
    for endpoint, values in candidates:
        try:
            return adapter.build(endpoint, values)
        except BuildError:
            continue
    return default


def render(kind, context):
    """Render a notification template: its first line is the subject, the rest the body."""
    text = current_app.jinja_env.get_template(f"notifications/{kind}.txt").render(**context)
    subject, _, body = text.strip().partition("\n")
    return " ".join(subject.split())[:200], body.strip() + "\n"


def enqueue(kind, *, dedup_key, context, user=None, email=None, path=None, referral=None):
    """Add one notification to the current transaction (no commit); a known dedup key is a no-op.

    A message about a referral names it (`referral`): its text then belongs to the person's
    data (see services/privacy). Returns True when a row was added, False when this change
    had already been notified.
    """
    if user is None and not email:
        raise ValueError("a notification needs a recipient")
    path = path or "/"
    subject, body = render(kind, {**context, "link": absolute_url(path)})
    statement = insert(Notification).values(
        kind=kind, recipient_user_id=user.id if user is not None else None,
        recipient_email=None if user is not None else email.strip().lower(),
        subject=subject, body_text=body, link_path=path, dedup_key=dedup_key[:250],
        referral_id=referral.id if referral is not None else None,
        state="pending", attempts=0, next_attempt_at=clock.now(), created_at=clock.now(),
    ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(Notification.id)
    added = db.session.execute(statement).scalar() is not None
    if added and kind in SECRET_LINK_KINDS and kept_for_development():
        # An invitation or a reset is followed from its link: printed where the server runs.
        log.info("E-mail gardé (développement sans SMTP_URL) pour %s — « %s » : %s",
                 user.email if user is not None else email, subject, absolute_url(path))
    return added


def withdraw(notification_id):
    """A one-time link that stopped before its e-mail left: never send it, drop the link.

    A message already sent keeps its text (its link was redacted when it left).
    """
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id).with_for_update(of=Notification))
    if notification is None or notification.state not in ("pending", "failed"):
        return False
    if notification.link_path:
        notification.body_text = notification.body_text.replace(
            absolute_url(notification.link_path), REDACTED_LINK)
    notification.state, notification.link_path = "cancelled", None
    return True


# --- development without a mail server ------------------------------------------------------

def kept_for_development():
    """True in development without SMTP_URL: messages are kept, and readable in the app."""
    return current_app.config["ENV_NAME"] == "development" and not setting("SMTP_URL")


def development_mailbox(limit=50):
    """The latest kept messages, newest first, each body cut into (text, link) pieces: a link
    to this application is given as its path, so that it opens on whatever port serves it."""
    rows = db.session.scalars(select(Notification).where(Notification.state == "pending")
                              .order_by(Notification.id.desc()).limit(limit)).all()
    return [(row, _pieces(row.body_text)) for row in rows]


def _pieces(text):
    base, pieces, start = setting("BASE_URL"), [], 0
    for found in WEB_ADDRESS.finditer(text):
        url = found.group().rstrip(".,;:)")
        pieces.append((text[start:found.start()], None))
        href = url[len(base):] or "/" if url.startswith(base + "/") or url == base else url
        pieces.append((url, href))
        start = found.start() + len(url)
    pieces.append((text[start:], None))
    return pieces
