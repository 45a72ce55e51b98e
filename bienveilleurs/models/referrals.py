"""Residents, referrals with their event timeline, and contacts."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, point_geometry_index, updated_at, uuid_pk
from .directory import point_type

STATUSES = ("reported", "assigned", "contacted", "referred", "accepted", "closed")
STATUS_LABELS = {
    "reported": "Signalée",
    "assigned": "Attribuée",
    "contacted": "Contact établi",
    "referred": "Orientée",
    "accepted": "Prise en charge",
    "closed": "Clôturée",
}
OUTCOMES = ("helped", "not_helped", "redirected", "unreachable", "declined_help",
            "no_longer_needed", "duplicate", "opposed")
OUTCOME_LABELS = {
    "helped": "Aidée",
    "not_helped": "Non aidée",
    "redirected": "Réorientée",
    "unreachable": "Injoignable",
    "declined_help": "A refusé l'aide",
    "no_longer_needed": "Plus nécessaire",
    "duplicate": "Doublon",
    "opposed": "Opposition de la personne",
}
CHANNELS = ("visit", "phone", "meeting", "message")
CHANNEL_LABELS = {"visit": "Visite", "phone": "Appel", "meeting": "Rencontre", "message": "Message"}


class Resident(db.Model):
    """A person accompanied: minimal data, and nothing stored without their non-opposition."""

    __tablename__ = "residents"
    __table_args__ = (
        point_geometry_index("residents"),
        CheckConstraint("erased_at IS NOT NULL OR first_name IS NOT NULL OR pseudonym IS NOT NULL",
                        name="has_a_name"),
        CheckConstraint("erased_at IS NOT NULL OR (point IS NOT NULL AND approx_point IS NOT NULL)",
                        name="has_a_point"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    first_name: Mapped[str | None] = mapped_column(String(80))
    pseudonym: Mapped[str | None] = mapped_column(String(80))
    # Exact point: only the assigned relay, coordinators (and the API) see it.
    point = mapped_column(point_type(), nullable=True)
    # ~200 m grid cell centre, computed once and stored: never re-randomised.
    approx_point = mapped_column(point_type(), nullable=True)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    phone: Mapped[str | None] = mapped_column(String(40))
    audiences: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    newcomer: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who confirmed that the person was informed and did not object, and when.
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reported_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    referrals = relationship("Referral", back_populates="resident", order_by="Referral.created_at")

    @property
    def name(self):
        return self.first_name or self.pseudonym or "Personne effacée"


class Referral(db.Model):
    """One need (a data·inclusion category) of one resident, tracked from report to closure."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES!r}", name="outcome_known"),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="outcome_iff_closed"),
        CheckConstraint("status IN ('reported', 'closed') OR relay_id IS NOT NULL",
                        name="relay_when_assigned"),
        CheckConstraint("status NOT IN ('referred', 'accepted') OR resource_id IS NOT NULL",
                        name="resource_when_referred"),
        # The coordinators' lists, by status, oldest move first, paged by (time, id).
        Index("ix_referrals_status_changed", "status", "status_changed_at", "id"),
        Index("ix_referrals_reported_at", "reported_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()  # may be chosen by the phone (client UUID)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    category: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="reported")
    outcome: Mapped[str | None] = mapped_column(String(30))
    relay_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relays.id"), index=True)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id"), index=True)
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The first name or pseudonym as the reporter typed it, for their own list: kept with the
    # report (later corrections do not change it), erased with the person.
    reported_name: Mapped[str | None] = mapped_column(String(80))
    # For the indicators (API.md, "Indicators"): the territory covering the person's exact
    # point when reported (smallest area, ties lowest code; null: "Hors territoire"), the time
    # of the report (the phone's when it was kept offline), and the newcomer flag at report.
    # Outline changes and later corrections do not move history.
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True)
    reported_at: Mapped[datetime] = created_at()
    reported_newcomer: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # SHA-256 of the normalised creation payload: a replay with the same client id is
    # recognised (same digest) or refused (different digest) without keeping the payload.
    payload_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    status_changed_at: Mapped[datetime] = created_at()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    resident = relationship("Resident", back_populates="referrals")
    relay = relationship("Relay")
    resource = relationship("Resource")
    reporter = relationship("User")
    events = relationship("ReferralEvent", back_populates="referral", order_by="ReferralEvent.id",
                          cascade="all, delete-orphan")
    contacts = relationship("Contact", back_populates="referral",
                            order_by="(Contact.at, Contact.created_at)")

    # Optimistic locking: every UPDATE checks and bumps the version (no lost updates).
    __mapper_args__ = {"version_id_col": version}


class ReferralEvent(db.Model):
    """One move of a referral: who, when, from, to, why. Ordered by id, never by time alone."""

    __tablename__ = "referral_events"
    __table_args__ = (Index("ix_referral_events_to_status_at", "to_status", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                                   index=True)
    at: Mapped[datetime] = created_at()
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))  # a role, or "system" for the expiry job
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # A note for professionals only never reaches relays (HTML, JSON or CSV).
    note_professional: Mapped[bool] = mapped_column(Boolean, default=False)
    # On a move to "referred": the relay shared the report's note with the structure (API.md,
    # `share_report_note`); without it the structure reads the orientation's note only.
    report_note_shared: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=text("false"))
    relay_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relays.id"))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id"))
    outcome: Mapped[str | None] = mapped_column(String(30))

    referral = relationship("Referral", back_populates="events")
    actor = relationship("User")


class Contact(db.Model):
    """One logged interaction with the person; its id is the phone's client UUID."""

    __tablename__ = "contacts"
    __table_args__ = (CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
                      Index("ix_contacts_at", "at"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))
    reached: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    payload_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = created_at()

    referral = relationship("Referral", back_populates="contacts")
    author = relationship("User")


class ErasedId(db.Model):
    """Anonymous tombstone of a client UUID whose person opposed: late replays get 410."""

    __tablename__ = "erased_ids"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # resident, referral, contact
    erased_at: Mapped[datetime] = created_at()
    # On a resident's tombstone: the territories that covered their point when they opposed
    # (never the point), so that those coordinators, and no one else, are told "erased"
    # (410) rather than "not found". Null on tombstones older than this column.
    territory_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))


# Why a structure's link stopped before its time (it also stops when the referral leaves the
# structure, or at `expires_at`: those are read from the referral and the clock).
LINK_END_REASONS = ("replaced", "disabled", "erased")
# What a structure did through its link.
LINK_ACTIONS = ("accepted", "declined", "closed")


class StructureLink(db.Model):
    """A structure's one-time link to one referral, for a structure without an account.

    Only the SHA-256 digest of its secret is stored (as for API tokens and account links).
    It answers the move to "referred" it was sent for (`referred_event_id`) and no other:
    once the referral is sent back, closed or sent elsewhere, the link has served.
    """

    __tablename__ = "structure_links"
    __table_args__ = (
        CheckConstraint(f"end_reason IS NULL OR end_reason IN {LINK_END_REASONS!r}",
                        name="end_reason_known"),
        CheckConstraint(f"last_action IS NULL OR last_action IN {LINK_ACTIONS!r}",
                        name="last_action_known"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    referred_event_id: Mapped[int] = mapped_column(
        ForeignKey("referral_events.id", ondelete="CASCADE"))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # The structure's contact address it was sent to, and the message that carried it.
    email: Mapped[str | None] = mapped_column(String(254))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The coordinator who sent it again (None: sent with the orientation).
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    first_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    openings: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_action: Mapped[str | None] = mapped_column(String(20))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    structure = relationship("Structure")
