"""Delivery of the outbox over SMTP, one short transaction per message, and the outbox as
the admin page sees it (recent rows, counts, putting a failed one back in the queue)."""

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select, update

from ... import clock
from ...config import setting
from ...errors import NotFound
from ...extensions import db
from ...metrics import scraped
from ...models import Notification, NotificationAttempt, User
from ...models.notifications import NOTIFICATION_STATES
from .. import audit
from ..jobs import scheduled
from ..transaction import use_case
from .outbox import REDACTED_LINK, SECRET_LINK_KINDS, absolute_url

log = logging.getLogger("bienveilleurs.notifications")

# Longest wait between two attempts, whatever the backoff says.
MAX_BACKOFF = timedelta(hours=6)


class TemporaryFailure(Exception):
    """Worth retrying later (server down, 4xx)."""


class PermanentFailure(Exception):
    """Retrying cannot help (5xx refusal of this recipient or message)."""


class SmtpTransport:
    """An SMTP connection from a URL: smtp://host:port, smtp+starttls://…,
    smtps://user:pass@host:port."""

    def __init__(self, url, *, timeout=15):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError("SMTP_URL doit ressembler à smtp://hôte:port ou "
                             "smtps://utilisateur:mot-de-passe@hôte:port")
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
    sender = setting("MAIL_FROM")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = notification.subject
    message["Date"] = format_datetime(clock.now())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
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
    if permanent or notification.attempts >= setting("NOTIFY_MAX_ATTEMPTS"):
        notification.state = "failed"
    else:
        notification.next_attempt_at = now + backoff(notification.attempts,
                                                     setting("NOTIFY_BACKOFF_S"))


@scheduled("notifications.send", every=timedelta(minutes=1), label="Envoi des e-mails en attente")
def send_pending(*, limit=None, transport=None):
    """Deliver due pending notifications, each in its own short transaction; return counts.

    A row is locked (FOR UPDATE SKIP LOCKED) while it is sent, so two senders at once never
    send the same message. When the server cannot be reached the run stops after recording
    the attempt: the others wait for the next run. Without SMTP_URL nothing is sent.
    """
    summary = {"sent": 0, "retry": 0, "failed": 0}
    if transport is None:
        if not setting("SMTP_URL"):
            summary["not_configured"] = _waiting()
            return summary
        transport = SmtpTransport(setting("SMTP_URL"), timeout=setting("SMTP_TIMEOUT_S"))
    try:
        while limit is None or sum(summary.values()) < limit:
            delivered = _deliver_next(transport)
            if delivered is None:
                break
            outcome, unreachable = delivered
            summary[outcome] += 1
            if unreachable:
                log.warning("SMTP unreachable; the remaining notifications wait for the next run")
                break
    finally:
        transport.close()
    return summary


@use_case
def _deliver_next(transport):
    """Send the oldest due notification and record the attempt; one transaction.

    Returns None when nothing is due, else (outcome, whether the server is unreachable).
    """
    notification = _claim_next()
    if notification is None:
        return None
    address, problem = _recipient_address(notification)
    if problem:
        _record(notification, ok=False, error=problem, permanent=True)
        return "failed", False
    try:
        transport.send(_message(notification, address))
    except PermanentFailure as exc:
        _record(notification, ok=False, error=str(exc), permanent=True)
        return "failed", False
    except TemporaryFailure as exc:
        _record(notification, ok=False, error=str(exc))
        outcome = "failed" if notification.state == "failed" else "retry"
        return outcome, transport.connection is None
    _record(notification, ok=True)
    return "sent", False


@use_case  # read only: the transaction ends here, before a sender's loop sleeps
def _waiting():
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.state == "pending"))


@use_case
def retry(notification_id, *, actor=None):
    """Put a failed notification back in the queue now (admin action, audited)."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.state == "failed")
        .values(state="pending", next_attempt_at=clock.now(), attempts=0))
    if result.rowcount == 1 and actor is not None:
        audit.record(actor, "notification.requeued", target_type="notification",
                     target_id=notification_id,
                     summary=f"Notification n° {notification_id} remise dans la file d'envoi")
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
    rows = db.session.execute(select(Notification.state, func.count())
                              .group_by(Notification.state))
    return dict(rows.all())


def get(notification_id):
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        raise NotFound("Notification introuvable.")
    return notification


@scraped("bienveilleurs_notifications", "Notifications in the outbox, by state",
         labels=("state",))
def outbox_depth():
    counts = counts_by_state()
    return [((state,), counts.get(state, 0)) for state in NOTIFICATION_STATES]


@scraped("bienveilleurs_notifications_oldest_due_seconds",
         "Age of the oldest pending notification that is due (0 when none)")
def oldest_due():
    now = clock.now()
    oldest = db.session.scalar(select(func.min(Notification.next_attempt_at)).where(
        Notification.state == "pending", Notification.next_attempt_at <= now))
    return (now - oldest).total_seconds() if oldest is not None else 0
