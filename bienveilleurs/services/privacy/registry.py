"""The registry of personal data about residents: every table that holds some, how to find
the rows about given residents, and what becomes of each column on erasure (opposition) and
on anonymisation (retention); every other column is listed as kept. And the registry of
data about candidates (`CANDIDATE_DATA`, people offering to become relays): the tables
holding some, and the rows about given candidacies, exported through the candidate's link
and deleted at their request or by the retention job (but those now part of a relay's file).

The right-of-access export and both scrubbing passes are driven by it, and a test
introspects the schema so that a new table referring to residents (directly or through
referrals, notifications…), or a new column in one of these tables, fails until it is
classified here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select, update

from ...extensions import db
from ...models import (
    AccountToken,
    CampaignCall,
    CampaignCheck,
    Candidacy,
    CandidacyEvent,
    CharterSignature,
    Contact,
    FollowUp,
    Notification,
    NotificationAttempt,
    Referral,
    ReferralEvent,
    Resident,
    StructureLink,
    TrainingParticipant,
    WatchEntry,
    WellbeingMeasure,
)

ANONYMISED_NAME = "Personne anonymisée"
# Event reasons are codes ("declined", "no_answer", "opposition"…) or free text typed by a
# person; only codes survive a scrub.
REASON_CODE = r"^[a-z][a-z0-9_]*$"
EMPTY_DIGEST = bytes(32)
# What is left of an e-mail's text about an erased or anonymised person.
SCRUBBED_SUBJECT = "[Message effacé]"
SCRUBBED_BODY = "[Le texte de ce message a été effacé : il concernait une personne dont les " \
    "données ont été effacées ou anonymisées.]\n"


def _scrubbed_reason():
    return case((ReferralEvent.reason.op("~")(REASON_CODE), ReferralEvent.reason), else_=None)


def _cancelled_unless_sent():
    """A message not delivered yet (waiting, or failed and retryable) is never sent."""
    return case((Notification.state.in_(("pending", "failed")), "cancelled"),
                else_=Notification.state)


@dataclass(frozen=True)
class PersonalTable:
    """One table with data about residents, as the export and the scrubbing passes see it."""

    model: type
    # A condition on the table selecting the rows about these resident ids (a subquery).
    about: Callable
    # column -> new value (a constant or an SQL expression) when the person opposes.
    erase: dict
    # column -> new value when the retention job anonymises; a subset of `erase`.
    anonymise: dict
    # Columns left as they are (identifiers, states, dates, codes: the statistics).
    keep: frozenset
    # Columns not worth exporting (digests of the creation payload).
    internal: frozenset = field(default_factory=frozenset)

    @property
    def table(self):
        return self.model.__table__


def referrals_of(resident_ids):
    return select(Referral.id).where(Referral.resident_id.in_(resident_ids))


def _notifications_of(resident_ids):
    return select(Notification.id).where(Notification.referral_id.in_(referrals_of(resident_ids)))


_SCRUBBED_MESSAGE = {"subject": SCRUBBED_SUBJECT, "body_text": SCRUBBED_BODY,
                     "state": _cancelled_unless_sent()}
# A structure's link stops for good, and forgets when and how it was used; the digest stays
# (never exported), so that a late opening says the data was erased rather than "unknown".
_ENDED_LINK = {"email": None, "first_opened_at": None, "last_opened_at": None, "openings": 0,
               "used_at": None, "last_action": None, "ended_by_id": None,
               "ended_at": func.coalesce(StructureLink.ended_at, func.now()),
               "end_reason": "erased"}

_ERASED_ANSWERS = {"lacks_company": None, "left_out": None, "isolated": None, "networks": [],
                   "payload_digest": EMPTY_DIGEST,
                   "erased_at": func.coalesce(WellbeingMeasure.erased_at, func.now())}

PERSONAL_DATA = {
    "residents": PersonalTable(
        Resident, lambda ids: Resident.id.in_(ids),
        erase={"first_name": None, "pseudonym": None, "phone": None, "point": None,
               "approx_point": None, "languages": [], "audiences": [], "newcomer": False,
               "consent_at": None, "consent_by_id": None, "reported_by_id": None,
               "last_contact_at": None},
        anonymise={"first_name": None, "pseudonym": ANONYMISED_NAME, "phone": None,
                   # The exact point goes; the stored ~200 m point stays for the statistics.
                   "point": Resident.approx_point},
        keep=frozenset({"id", "erased_at", "anonymised_at", "created_at", "updated_at"})),
    "referrals": PersonalTable(
        Referral, lambda ids: Referral.resident_id.in_(ids),
        erase={"payload_digest": None, "reported_name": None},
        anonymise={"payload_digest": None, "reported_name": None},
        keep=frozenset({"id", "resident_id", "category", "status", "outcome", "relay_id",
                        "resource_id", "reporter_id", "version", "status_changed_at",
                        "created_at", "updated_at",
                        # for the indicators: where and when it was reported, and whether
                        # the person was then a newcomer (API.md, "Indicators")
                        "territory_id", "reported_at", "reported_newcomer"}),
        internal=frozenset({"payload_digest"})),
    "referral_events": PersonalTable(
        ReferralEvent, lambda ids: ReferralEvent.referral_id.in_(referrals_of(ids)),
        erase={"note": None, "reason": _scrubbed_reason()},
        anonymise={"note": None, "reason": _scrubbed_reason()},
        keep=frozenset({"id", "referral_id", "at", "actor_id", "actor_role", "from_status",
                        "to_status", "note_professional", "relay_id", "resource_id", "outcome",
                        "report_note_shared"})),
    "contacts": PersonalTable(
        Contact, lambda ids: Contact.referral_id.in_(referrals_of(ids)),
        erase={"note": None, "payload_digest": EMPTY_DIGEST},
        anonymise={"note": None, "payload_digest": EMPTY_DIGEST},
        keep=frozenset({"id", "referral_id", "author_id", "at", "channel", "reached",
                        "created_at"}),
        internal=frozenset({"payload_digest"})),
    # E-mails about a referral name the person (a first name or a pseudonym): a message
    # not sent yet is cancelled, and the stored text of every one is scrubbed.
    "notifications": PersonalTable(
        Notification, lambda ids: Notification.referral_id.in_(referrals_of(ids)),
        erase=_SCRUBBED_MESSAGE, anonymise=_SCRUBBED_MESSAGE,
        keep=frozenset({"id", "kind", "recipient_user_id", "recipient_email", "link_path",
                        "dedup_key", "attempts", "next_attempt_at", "last_error", "created_at",
                        "sent_at", "referral_id"})),
    # A structure's one-time links to the person's referrals (services/referrals/
    # structure_link.py): listed in the export without their digest, ended by an erasure.
    "structure_links": PersonalTable(
        StructureLink, lambda ids: StructureLink.referral_id.in_(referrals_of(ids)),
        erase=_ENDED_LINK, anonymise=_ENDED_LINK,
        keep=frozenset({"id", "referral_id", "structure_id", "referred_event_id", "digest",
                        "notification_id", "created_at", "expires_at", "created_by_id"}),
        internal=frozenset({"digest"})),
    # The person's own answers (UCLA-3, networks): gone with the person; the row keeps
    # only that a measure was taken, when, and whether the person answered.
    "wellbeing_measures": PersonalTable(
        WellbeingMeasure, lambda ids: WellbeingMeasure.referral_id.in_(referrals_of(ids)),
        erase=_ERASED_ANSWERS, anonymise=_ERASED_ANSWERS,
        keep=frozenset({"id", "referral_id", "author_id", "at", "moment", "answered",
                        "created_at"}),
        internal=frozenset({"payload_digest"})),
    # The call-back after a closure: who holds it and when (no answer in it).
    "follow_ups": PersonalTable(
        FollowUp, lambda ids: FollowUp.referral_id.in_(referrals_of(ids)),
        erase={}, anonymise={},
        keep=frozenset({"id", "referral_id", "relay_id", "closed_at", "due_on", "done_at",
                        "measure_id", "created_at"})),
    # The watch register (services/campaigns/watch.py): opposition and retention remove the
    # entry itself (`campaigns.forget`); what the scrub sees of it is already gone.
    "watch_entries": PersonalTable(
        WatchEntry, lambda ids: WatchEntry.resident_id.in_(ids),
        erase={"reasons": []}, anonymise={"reasons": []},
        keep=frozenset({"resident_id", "consent_at", "consent_by_id", "confirmed_at",
                        "created_at"})),
    # Checks of campaigns: the status and dates stay for the campaign's counts; an opposition
    # removes the person from the open campaigns (`campaigns.forget_resident`).
    "campaign_checks": PersonalTable(
        CampaignCheck, lambda ids: CampaignCheck.resident_id.in_(ids),
        erase={}, anonymise={},
        keep=frozenset({"id", "campaign_id", "resident_id", "relay_id", "territory_id",
                        "status", "attempts", "last_call_at", "help_notified_at",
                        "escalated_at", "created_at", "updated_at"})),
    "campaign_calls": PersonalTable(
        CampaignCall, lambda ids: CampaignCall.check_id.in_(
            select(CampaignCheck.id).where(CampaignCheck.resident_id.in_(ids))),
        erase={"note": None, "payload_digest": EMPTY_DIGEST},
        anonymise={"note": None, "payload_digest": EMPTY_DIGEST},
        keep=frozenset({"id", "check_id", "author_id", "at", "channel", "outcome",
                        "created_at"}),
        internal=frozenset({"payload_digest"})),
    # Delivery attempts say when and whether a message went, and the mail server's answer
    # (about the recipient, never the person).
    "notification_attempts": PersonalTable(
        NotificationAttempt,
        lambda ids: NotificationAttempt.notification_id.in_(_notifications_of(ids)),
        erase={}, anonymise={},
        keep=frozenset({"id", "notification_id", "at", "ok", "error"})),
}


def scrub(resident_ids, which):
    """Apply the registry's `erase` or `anonymise` values to every row about these residents."""
    for entry in PERSONAL_DATA.values():
        values = getattr(entry, which)
        if values:
            db.session.execute(update(entry.model).where(entry.about(resident_ids))
                               .values(**values).execution_options(synchronize_session=False))


# --- candidates -------------------------------------------------------------------------

# Messages sent to a candidate's address (their text names them; erased with the candidacy).
CANDIDATE_MESSAGE_KINDS = ("candidacy_confirm", "charter_link", "training_invitation")


@dataclass(frozen=True)
class CandidateTable:
    """One table with data about candidates: the rows about given candidacies, exported and
    then deleted, except those `kept` because they now belong to a relay's file."""

    model: type
    about: Callable
    kept: Callable = None  # () -> condition of the rows about them that stay (a relay's)
    internal: frozenset = field(default_factory=frozenset)

    @property
    def table(self):
        return self.model.__table__


def _emails_of(candidacy_ids):
    return select(Candidacy.email).where(Candidacy.id.in_(candidacy_ids))


CANDIDATE_DATA = {
    "candidacies": CandidateTable(Candidacy, lambda ids: Candidacy.id.in_(ids)),
    # Moves and meeting notes.
    "candidacy_events": CandidateTable(
        CandidacyEvent, lambda ids: CandidacyEvent.candidacy_id.in_(ids)),
    # A relay's signature and trainings stay in their file once the candidacy is gone.
    "charter_signatures": CandidateTable(
        CharterSignature, lambda ids: CharterSignature.candidacy_id.in_(ids),
        kept=lambda: CharterSignature.relay_id.is_not(None)),
    "training_participants": CandidateTable(
        TrainingParticipant, lambda ids: TrainingParticipant.candidacy_id.in_(ids),
        kept=lambda: TrainingParticipant.relay_id.is_not(None)),
    # The candidate's links (only a digest of each secret is kept).
    "account_tokens": CandidateTable(
        AccountToken, lambda ids: AccountToken.candidacy_id.in_(ids),
        internal=frozenset({"digest"})),
    "notifications": CandidateTable(
        Notification, lambda ids: and_(Notification.recipient_email.in_(_emails_of(ids)),
                                       Notification.kind.in_(CANDIDATE_MESSAGE_KINDS))),
}
