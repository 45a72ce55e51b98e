"""The watch register and check-in campaigns (API.md, "Check-in campaigns")."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, updated_at

# Why a person asked to be called: never a health detail.
WATCH_REASONS = ("lives_alone", "over_65", "isolated", "other")
WATCH_REASON_LABELS = {"lives_alone": "Vit seule", "over_65": "Plus de 65 ans",
                       "isolated": "Isolée", "other": "Autre raison"}
CAMPAIGN_KINDS = ("heatwave", "cold", "other")
CAMPAIGN_KIND_LABELS = {"heatwave": "Veille canicule", "cold": "Veille grand froid",
                        "other": "Veille"}
CAMPAIGN_STATUSES = ("open", "closed")
CHECK_STATUSES = ("pending", "ok", "needs_help", "not_reached", "escalated")
CHECK_STATUS_LABELS = {"pending": "À joindre", "ok": "Joint, va bien",
                       "needs_help": "A besoin d'aide", "not_reached": "Pas de réponse",
                       "escalated": "À reprendre par la coordination"}
CALL_CHANNELS = ("phone", "visit")
CALL_OUTCOMES = ("ok", "needs_help", "not_reached")


class WatchEntry(db.Model):
    """A person on the watch register, at their own explicit request."""

    __tablename__ = "watch_entries"

    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    reasons: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    # Who recorded the person's request, and when (as the report's consent).
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # Last time the person said they still want to be called (yearly).
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()

    resident = relationship("Resident")


class Campaign(db.Model):
    """One alert: every registered person of some territories called before a deadline."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"kind IN {CAMPAIGN_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {CAMPAIGN_STATUSES!r}", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)  # client's
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="open")
    territory_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)),
                                                           default=list)
    # City-wide launch: the points outside every territory too.
    outside: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    payload_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = created_at()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    checks = relationship("CampaignCheck", back_populates="campaign", passive_deletes=True)


class CampaignCheck(db.Model):
    """One person to reach in one campaign, and the relay who calls them."""

    __tablename__ = "campaign_checks"
    __table_args__ = (
        CheckConstraint(f"status IN {CHECK_STATUSES!r}", name="status_known"),
        UniqueConstraint("campaign_id", "resident_id", name="uq_campaign_checks_person"),
        Index("ix_campaign_checks_open", "status", postgresql_where=text(
            "status IN ('pending', 'not_reached')")),
        # The board: each status of a campaign by last change (services.campaigns.board_page).
        Index("ix_campaign_checks_board", "campaign_id", "status", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    relay_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("relays.id", ondelete="SET NULL"), index=True)
    # The campaign's territory covering the person at launch (None: outside every one).
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once, when the coordinators were told (at most once each per check).
    help_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    campaign = relationship("Campaign", back_populates="checks")
    resident = relationship("Resident")
    relay = relationship("Relay")


class CampaignCall(db.Model):
    """One call or visit of a check; its id is the phone's client UUID."""

    __tablename__ = "campaign_calls"
    __table_args__ = (
        CheckConstraint(f"channel IN {CALL_CHANNELS!r}", name="channel_known"),
        CheckConstraint(f"outcome IN {CALL_OUTCOMES!r}", name="outcome_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    check_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaign_checks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    payload_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = created_at()
