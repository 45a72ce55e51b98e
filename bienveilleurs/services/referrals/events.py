"""The one writer of referral events, and the hook every change passes through.

Every change of a referral writes one `ReferralEvent` (who, when, from, to, why) here:
the moves of the table (`lifecycle.apply_move`), the changes outside it
(`lifecycle.close_for_opposition`, `lifecycle.release_relay`) through `change_status`,
the report through `record_report`, and a correction of the details through
`write_event`. After each event, inside the same transaction, `_after_transition` tells
the notifications, except for a correction, which moves nothing. Nothing here commits.
"""

from ...extensions import db
from ...models import ReferralEvent
from .. import notifications
from ..evaluation import follow_ups
from .table import is_correction


def _after_transition(referral, event):
    """React to one committed-to-be change: called once per event, inside the transaction.

    The event is flushed (it has its id) and the referral carries its new state; the
    caller commits afterwards, so whatever is written here is atomic with the change.
    Notifications hook in here (referred, assigned, sent back / expired), and the follow-up
    call after a closure (services.evaluation.follow_ups); the report of a
    new referral passes here too (event.from_status is None). Never commit here.
    """
    notifications.on_transition(referral, event)
    follow_ups.on_transition(referral, event)  # a closure schedules the call-back


def write_event(actor, referral, to, *, at, source, reason=None, note=None,
                note_professional=False, relay_id=None, resource_id=None, outcome=None,
                report_note_shared=False):
    """Write the event of one change of `referral` (from `source` to `to`); return it.

    Flushes (the event gets its id, the referral's version moves), then tells
    `_after_transition`, unless the event is a correction of the details, which moves
    nothing and tells nobody.
    """
    event = ReferralEvent(referral_id=referral.id, at=at, actor_id=actor.id,
                          actor_role=actor.role, from_status=source, to_status=to,
                          reason=reason, note=note,
                          note_professional=bool(note and note_professional),
                          relay_id=relay_id, resource_id=resource_id, outcome=outcome,
                          report_note_shared=bool(report_note_shared))
    db.session.add(event)
    db.session.flush()  # bumps the version (version_id_col) and gives the event its id
    if not is_correction(event):
        _after_transition(referral, event)
    return event


def change_status(actor, referral, to, *, at, **event):
    """Put `referral` in status `to` at `at` and write the event of the change; return it.

    `event`: the reason, note, relay, resource and outcome the event records.
    """
    source = referral.status
    referral.status = to
    referral.status_changed_at = at
    return write_event(actor, referral, to, at=at, source=source, **event)


def record_report(actor, referral, *, at, note=None, note_professional=False):
    """Write the first event of a referral just created as "reported".

    For `intake.report`, and for loaders that build the rows themselves (the demo's
    stories, dated in the past).
    """
    return write_event(actor, referral, "reported", at=at, source=None, note=note,
                       note_professional=note_professional)
