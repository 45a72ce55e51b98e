"""Notifications: an outbox written with the change that causes it, delivered later over SMTP.

`enqueue` only adds a row to the current transaction (it never commits): a change that is
rolled back leaves no notification, and a committed change always has its notification.
Texts are rendered at enqueue time from an explicit, non-sensitive context (a first name or
pseudonym, a structure's name, counts, a link): needs, notes, addresses, positions and phone
numbers are never handed to a template, so they cannot end up in an e-mail.
"""

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app
from geoalchemy2 import Geometry
from sqlalchemy import cast, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from werkzeug.routing import BuildError

from .. import clock
from ..extensions import db
from ..models import (
    Notification,
    NotificationAttempt,
    NotificationPreference,
    Relay,
    Resident,
    Resource,
    Role,
    Structure,
    User,
    structure_members,
)

log = logging.getLogger("bienveilleurs.notifications")

# Kinds whose link is a one-time secret: once delivered, the stored copy loses it.
SECRET_LINK_KINDS = {"invitation", "password_reset"}
REDACTED_LINK = "[lien à usage unique envoyé]"
# Longest wait between two attempts, whatever the backoff says.
MAX_BACKOFF = timedelta(hours=6)

RETURN_REASON_LABELS = {
    "declined": "refusée par la structure",
    "no_answer": "restée sans réponse de la structure",
    "expired": "restée sans réponse de la structure (délai dépassé)",
}


# --- preferences -------------------------------------------------------------------------

def preferences(user):
    """Return the user's preferences (an unsaved row with the defaults when none is stored)."""
    pref = db.session.get(NotificationPreference, user.id)
    return pref or NotificationPreference(user_id=user.id, digest=True, email=True)


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
    db.session.commit()
    return pref


def _wants_email(user):
    pref = db.session.get(NotificationPreference, user.id)
    return pref is None or pref.email


# --- enqueue -----------------------------------------------------------------------------

def absolute_url(path):
    return current_app.config["BASE_URL"] + (path or "/")


def link_path(*candidates, default="/"):
    """Return the path of the first candidate endpoint that exists, as (endpoint, values) pairs.

    Pages are built by several blueprints; a notification links to the most precise one
    available and falls back to the home page.
    """
    # Built without a request (the CLI, the expiry job): a plain map adapter gives the path.
    adapter = current_app.url_map.bind("localhost")
    for endpoint, values in candidates:
        if endpoint not in current_app.view_functions:
            continue
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


def enqueue(kind, *, dedup_key, context, user=None, email=None, path=None):
    """Add one notification to the current transaction (no commit); a known dedup key is a no-op.

    Returns True when a row was added, False when this change had already been notified.
    """
    if user is None and not email:
        raise ValueError("a notification needs a recipient")
    path = path or "/"
    subject, body = render(kind, {**context, "link": absolute_url(path)})
    statement = insert(Notification).values(
        kind=kind, recipient_user_id=user.id if user is not None else None,
        recipient_email=None if user is not None else email.strip().lower(),
        subject=subject, body_text=body, link_path=path, dedup_key=dedup_key[:250],
        state="pending", attempts=0, next_attempt_at=clock.now(), created_at=clock.now(),
    ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(Notification.id)
    return db.session.execute(statement).scalar() is not None


def _person(referral):
    """At most a first name or pseudonym."""
    resident = referral.resident
    if resident is None or resident.erased_at is not None:
        return "une personne"
    return resident.first_name or resident.pseudonym or "une personne"


# --- recipients --------------------------------------------------------------------------

def coordinators_for_referral(referral):
    """The coordinators of the territories covering the resident's point, never nobody.

    Without a covering territory that has a coordinator, the city-wide coordinators (those
    attached to no territory); failing those, every active coordinator.
    """
    from .territories import coordinators_for_point
    point = None
    resident = referral.resident
    if resident is not None and resident.point is not None:
        point = db.session.execute(
            select(func.ST_X(cast(Resident.point, Geometry)), func.ST_Y(cast(Resident.point, Geometry)))
            .where(Resident.id == resident.id)).one()
    return coordinators_for_point(*point) if point else coordinators_for_point(None, None)


def _structure_members(structure_id):
    return db.session.scalars(
        select(User).join(structure_members, structure_members.c.user_id == User.id)
        .where(structure_members.c.structure_id == structure_id, User.active.is_(True),
               User.role == Role.SOCIAL_WORKER.value)
        .order_by(User.email)).all()


# --- referral events ---------------------------------------------------------------------

def _referral_link(referral, *candidates):
    return link_path(*[(endpoint, {**values}) for endpoint, values in candidates])


def referral_referred(referral, event):
    """The referral was handed to a resource: tell its structure's social workers.

    With no member account, the structure's contact e-mail; with neither, the coordinators,
    so that someone calls the structure.
    """
    resource_id = event.resource_id or referral.resource_id
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource is None:
        return 0
    structure = db.session.get(Structure, resource.structure_id)
    context = {"person": _person(referral), "structure_name": structure.name}
    members = _structure_members(structure.id)
    count = 0
    if members:
        path = _referral_link(referral,
                              ("structure.referral", {"referral_id": referral.id}),
                              ("structure.referrals", {}))
        for user in members:
            count += enqueue("referral_referred",
                             dedup_key=f"referral_referred:{referral.id}:{event.id}:{user.id}",
                             context={**context, "has_account": True}, user=user, path=path)
        return count
    if structure.contact_email:
        return int(enqueue("referral_referred",
                           dedup_key=f"referral_referred:{referral.id}:{event.id}:contact",
                           context={**context, "has_account": False, "person": "une personne"},
                           email=structure.contact_email, path=link_path(("auth.login", {}))))
    path = _referral_link(referral, ("coordination.referral", {"referral_id": referral.id}),
                          ("coordination.inbox", {}))
    for user in coordinators_for_referral(referral):
        count += enqueue("referral_unreachable_structure",
                         dedup_key=f"referral_unreachable_structure:{referral.id}:{event.id}:{user.id}",
                         context=context, user=user, path=path)
    return count


def referral_assigned(referral, event):
    """The referral was given to a relay: tell that relay, if they chose e-mail."""
    relay_id = event.relay_id or referral.relay_id
    relay = db.session.get(Relay, relay_id) if relay_id else None
    if relay is None or relay.user_id is None:
        return 0
    user = db.session.get(User, relay.user_id)
    if user is None or not user.active or not _wants_email(user):
        return 0
    # Assigning oneself needs no e-mail.
    if event.actor_id is not None and event.actor_id == user.id:
        return 0
    path = _referral_link(referral, ("relay.referral", {"referral_id": referral.id}),
                          ("relay.my_people", {}))
    return int(enqueue("referral_assigned",
                       dedup_key=f"referral_assigned:{referral.id}:{event.id}:{user.id}",
                       context={"person": _person(referral), "relay_name": relay.display_name},
                       user=user, path=path))


def referral_returned(referral, event):
    """The structure declined, did not answer, or the wait expired: tell the coordinators."""
    resource = db.session.get(Resource, event.resource_id) if event.resource_id else None
    structure = db.session.get(Structure, resource.structure_id) if resource is not None else None
    context = {"person": _person(referral),
               "structure_name": structure.name if structure is not None else "la structure",
               "reason_label": RETURN_REASON_LABELS.get(event.reason or "", "renvoyée")}
    path = _referral_link(referral, ("coordination.referral", {"referral_id": referral.id}),
                          ("coordination.inbox", {}))
    count = 0
    for user in coordinators_for_referral(referral):
        count += enqueue("referral_returned",
                         dedup_key=f"referral_returned:{referral.id}:{event.id}:{user.id}",
                         context=context, user=user, path=path)
    return count


def on_transition(referral, event):
    """Enqueue what a committed-to-be referral move must tell; call it before the commit."""
    frm, to = event.from_status, event.to_status
    if to == "referred":
        return referral_referred(referral, event)
    if to == "assigned":
        return referral_assigned(referral, event)
    if frm == "referred" and to == "contacted":
        return referral_returned(referral, event)
    return 0


# --- accounts (invitations, password resets) ----------------------------------------------

def invitation(user, *, path, expires_at, dedup_key, invited_by=None):
    """Enqueue the invitation e-mail carrying a one-time link (its secret is redacted once sent)."""
    context = {"name": user.display_name or "", "role_label": Role(user.role).label,
               "inviter": invited_by.name if invited_by is not None else "",
               "expires": clock.local(expires_at).strftime("%d/%m/%Y à %H:%M")}
    return enqueue("invitation", dedup_key=dedup_key, context=context, user=user, path=path)


def password_reset(user, *, path, expires_at, dedup_key):
    """Enqueue the password reset e-mail carrying a one-time link."""
    context = {"name": user.display_name or "",
               "expires": clock.local(expires_at).strftime("%d/%m/%Y à %H:%M")}
    return enqueue("password_reset", dedup_key=dedup_key, context=context, user=user, path=path)


# --- digest ------------------------------------------------------------------------------

def enqueue_digests(*, counts_for):
    """Enqueue today's digest for every active coordinator who wants it and has something to read.

    `counts_for(user)` returns a dict of counts (waiting, stale, uncovered, …); a digest with
    only zeros is skipped. Idempotent per coordinator and day (Europe/Paris).
    """
    day = clock.local(clock.now()).date()
    opted_out = select(NotificationPreference.user_id).where(
        NotificationPreference.user_id == User.id, NotificationPreference.digest.is_(False))
    coordinators = db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR.value, User.active.is_(True),
                           ~exists(opted_out)).order_by(User.email)).all()
    summary = {"queued": 0, "empty": 0, "already": 0}
    for user in coordinators:
        counts = counts_for(user)
        if not any(counts.get(k) for k in ("waiting", "stale", "uncovered")):
            summary["empty"] += 1
            continue
        context = {"name": user.display_name or "", "day": day.strftime("%d/%m/%Y"),
                   "waiting": counts.get("waiting", 0), "stale": counts.get("stale", 0),
                   "uncovered": counts.get("uncovered"),
                   "waiting_link": absolute_url(link_path(("coordination.inbox", {}))),
                   "stale_link": absolute_url(link_path(("coordination.stale", {}))),
                   "coverage_link": absolute_url(link_path(("coverage.index", {})))}
        added = enqueue("digest", dedup_key=f"digest:{user.id}:{day.isoformat()}", context=context,
                        user=user, path=link_path(("coordination.inbox", {})))
        summary["queued" if added else "already"] += 1
    db.session.commit()
    return summary


# --- delivery ----------------------------------------------------------------------------

class TemporaryFailure(Exception):
    """Worth retrying later (server down, 4xx)."""


class PermanentFailure(Exception):
    """Retrying cannot help (5xx refusal of this recipient or message)."""


class SmtpTransport:
    """An SMTP connection from a URL: smtp://host:port, smtp+starttls://…, smtps://user:pass@host:port."""

    def __init__(self, url, *, timeout=15):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError("SMTP_URL doit ressembler à smtp://hôte:port ou smtps://utilisateur:mot-de-passe@hôte:port")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.connection = None

    def _open(self):
        try:
            if self.scheme == "smtps":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.scheme == "smtp+starttls":
                    conn.starttls(context=ssl.create_default_context())
            if self.username:
                conn.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"connexion au serveur SMTP impossible : {exc}") from exc
        self.connection = conn

    def send(self, message):
        if self.connection is None:
            self._open()
        try:
            refused = self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"destinataire refusé : {exc.recipients}"
            raise (PermanentFailure(error) if all(c >= 500 for c in codes)
                   else TemporaryFailure(error)) from exc
        except smtplib.SMTPResponseException as exc:
            error = f"refus du serveur SMTP ({exc.smtp_code}) : {exc.smtp_error!r}"
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused):
                raise PermanentFailure(error) from exc
            self.close()
            raise TemporaryFailure(error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"envoi interrompu : {exc}") from exc
        if refused:
            raise PermanentFailure(f"destinataire refusé : {refused}")

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


def _message(notification, address):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = address
    message["Subject"] = notification.subject
    message["Date"] = format_datetime(clock.now())
    domain = parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"bv-notification-{notification.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body_text)
    return message


def backoff(attempts, base_seconds):
    """Wait before the next attempt: base, 2×base, 4×base… at most MAX_BACKOFF."""
    return min(timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _claim_next():
    """Lock the oldest due pending notification; rows another sender holds are skipped."""
    return db.session.scalars(
        select(Notification)
        .where(Notification.state == "pending", Notification.next_attempt_at <= clock.now())
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(1).with_for_update(skip_locked=True, of=Notification)
    ).first()


def _recipient_address(notification):
    if notification.recipient_user_id is None:
        return notification.recipient_email, None
    user = db.session.get(User, notification.recipient_user_id)
    if user is None or not user.active:
        return None, "compte désactivé : message non envoyé"
    return user.email, None


def _record(notification, *, ok, error=None, permanent=False):
    now = clock.now()
    config = current_app.config
    notification.attempts += 1
    db.session.add(NotificationAttempt(notification_id=notification.id, at=now, ok=ok,
                                       error=error[:2000] if error else None))
    if ok:
        notification.state, notification.sent_at, notification.last_error = "sent", now, None
        if notification.kind in SECRET_LINK_KINDS:
            # The link is a credential: the stored copy must not keep it once delivered.
            link = absolute_url(notification.link_path)
            notification.body_text = notification.body_text.replace(link, REDACTED_LINK)
            notification.link_path = None
        return
    notification.last_error = error[:2000] if error else None
    if permanent or notification.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        notification.state = "failed"
    else:
        notification.next_attempt_at = now + backoff(notification.attempts, config["NOTIFY_BACKOFF_S"])


def send_pending(*, limit=None, transport=None):
    """Deliver due pending notifications, each in its own short transaction; return counts.

    A row is locked (FOR UPDATE SKIP LOCKED) while it is sent, so two senders at once never
    send the same message. When the server cannot be reached the run stops after recording
    the attempt: the others wait for the next run. Without SMTP_URL nothing is sent.
    """
    config = current_app.config
    summary = {"sent": 0, "retry": 0, "failed": 0}
    if transport is None:
        if not config["SMTP_URL"]:
            summary["not_configured"] = db.session.scalar(
                select(func.count()).select_from(Notification).where(Notification.state == "pending"))
            db.session.rollback()
            return summary
        transport = SmtpTransport(config["SMTP_URL"], timeout=config["SMTP_TIMEOUT_S"])
    try:
        while limit is None or sum(summary.values()) < limit:
            notification = _claim_next()
            if notification is None:
                db.session.rollback()
                break
            address, problem = _recipient_address(notification)
            stop = False
            if problem:
                _record(notification, ok=False, error=problem, permanent=True)
                summary["failed"] += 1
            else:
                try:
                    transport.send(_message(notification, address))
                except PermanentFailure as exc:
                    _record(notification, ok=False, error=str(exc), permanent=True)
                    summary["failed"] += 1
                except TemporaryFailure as exc:
                    _record(notification, ok=False, error=str(exc))
                    summary["failed" if notification.state == "failed" else "retry"] += 1
                    stop = transport.connection is None
                else:
                    _record(notification, ok=True)
                    summary["sent"] += 1
            db.session.commit()
            if stop:
                log.warning("SMTP unreachable; the remaining notifications wait for the next run")
                break
    finally:
        transport.close()
    return summary


def retry(notification_id, *, actor=None):
    """Put a failed notification back in the queue now (admin action, audited)."""
    result = db.session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.state == "failed")
        .values(state="pending", next_attempt_at=clock.now(), attempts=0))
    if result.rowcount == 1 and actor is not None:
        from . import audit
        audit.record(actor, "notification.requeued", target_type="notification", target_id=notification_id,
                     summary=f"Notification n° {notification_id} remise dans la file d'envoi")
    db.session.commit()
    return result.rowcount == 1


def recent(*, state=None, kind=None, limit=100):
    """The latest notifications, newest first (for the admin page)."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if state:
        query = query.where(Notification.state == state)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query).all()


def counts_by_state():
    rows = db.session.execute(select(Notification.state, func.count()).group_by(Notification.state))
    return dict(rows.all())


def get(notification_id):
    from ..errors import NotFound
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        raise NotFound("Notification introuvable.")
    return notification


__all__ = ["enqueue", "on_transition", "referral_referred", "referral_assigned", "referral_returned",
           "invitation", "password_reset", "enqueue_digests", "send_pending", "preferences",
           "save_preferences", "coordinators_for_referral"]
