"""Notifications: an outbox written with the change that causes it, delivered later over SMTP.

`enqueue` only adds a row to the current transaction (it never commits): a change that is
rolled back leaves no notification, and a committed change always has its notification.
Texts are rendered at enqueue time from an explicit, non-sensitive context (a first name or
pseudonym, a structure's name, counts, a link): needs, notes, addresses, positions and phone
numbers are never handed to a template, so they cannot end up in an e-mail.

- `outbox`: the row itself (render, links, enqueue) and the recipients' preferences;
- `messages`: what each event tells whom (referral moves, account links, the digest);
- `delivery`: sending over SMTP, one short transaction per message, and the admin's view.

Callers use the names re-exported here: ``notifications.on_transition(referral, event)``.
"""

from .delivery import (
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    backoff,
    counts_by_state,
    get,
    recent,
    retry,
    send_pending,
)
from .messages import (
    coordinators_for_referral,
    enqueue_digests,
    invitation,
    on_transition,
    password_reset,
    referral_assigned,
    referral_referred,
    referral_returned,
    structure_link,
    structure_members_told,
)
from .outbox import (
    REDACTED_LINK,
    SECRET_LINK_KINDS,
    absolute_url,
    development_mailbox,
    enqueue,
    kept_for_development,
    link_path,
    preferences,
    render,
    save_preferences,
    withdraw,
)

__all__ = ["PermanentFailure", "REDACTED_LINK", "SECRET_LINK_KINDS", "SmtpTransport",
           "TemporaryFailure", "absolute_url", "backoff", "coordinators_for_referral",
           "counts_by_state", "development_mailbox", "enqueue", "enqueue_digests", "get",
           "invitation", "kept_for_development", "link_path", "on_transition",
           "password_reset", "preferences", "recent", "referral_assigned", "referral_referred",
           "referral_returned", "render", "retry", "save_preferences", "send_pending",
           "structure_link", "structure_members_told", "withdraw"]
