"""Becoming a relay: candidacies and their stages, the charter, training sessions.

A candidacy holds what a person gave on the public page (first name, e-mail, optional phone,
a point, a profile, languages, when they are free) and moves through the stages of API.md
("Becoming a relay"); every move is a `CandidacyEvent`. Charter versions are published by
admins and signed by candidates and relays (`CharterSignature`); training sessions have
participants (candidates or relays) whose attendance is marked. `NetworkMilestone` keeps
the anonymous facts the indicators count (a confirmation, a first training attendance) once
the candidacy itself is gone.
"""

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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, point_geometry_index, uuid_pk
from .directory import point_type

STAGES = ("submitted", "confirmed", "met", "charter_signed", "trained", "active", "declined",
          "withdrawn")
STAGE_LABELS = {
    "submitted": "En attente de confirmation de l'adresse",
    "confirmed": "Confirmée",
    "met": "Rencontrée",
    "charter_signed": "Charte signée",
    "trained": "Formée",
    "active": "Bienveilleur actif",
    "declined": "Non retenue",
    "withdrawn": "Retirée",
}
PROFILES = {
    "resident": "Habitant·e",
    "shopkeeper": "Commerçant·e",
    "professional": "Professionnel·le",
    "association": "Membre d'une association",
}
SIGNATURE_METHODS = ("meeting", "link", "sign_in")
MILESTONE_KINDS = ("candidacy_confirmed", "first_training")


def _known(column, values):
    return f"{column} IN {tuple(values)!r}"


class Candidacy(db.Model):
    """A person's offer to become a relay, from the public form to activation."""

    __tablename__ = "candidacies"
    __table_args__ = (
        point_geometry_index("candidacies"),
        CheckConstraint(_known("stage", STAGES), name="stage_known"),
        CheckConstraint(_known("profile", PROFILES), name="profile_known"),
        Index("ix_candidacies_email", "email"),
        Index("ix_candidacies_stage_changed_at", "stage", "stage_changed_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    first_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Where the person lives or works: placed by the geocoder or a tap on the map. Only the
    # point is kept, never the address typed.
    point = mapped_column(point_type(), nullable=False)
    profile: Mapped[str] = mapped_column(String(20))
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    availability: Mapped[str | None] = mapped_column(String(500))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stage: Mapped[str] = mapped_column(String(20), default="submitted")
    # The last move (the retention rules count from it).
    stage_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = created_at()
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The territory covering the point with the smallest area when the address was confirmed
    # (none: outside every territory); the indicators count by it.
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"))
    # Set when a candidacy with no move for 12 months was flagged to the coordinators.
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    relay_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relays.id"), unique=True)

    events = relationship("CandidacyEvent", back_populates="candidacy",
                          order_by="CandidacyEvent.id", cascade="all, delete-orphan",
                          passive_deletes=True)
    territory = relationship("Territory")
    relay = relationship("Relay")

    @property
    def stage_label(self):
        return STAGE_LABELS[self.stage]

    @property
    def profile_label(self):
        return PROFILES[self.profile]


class CandidacyEvent(db.Model):
    """One move of a candidacy (or a note on it): who, when, from, to, why."""

    __tablename__ = "candidacy_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    candidacy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = created_at()
    # None: the candidate through their link, or the system.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    # Meeting notes: read by the coordinators who manage the candidacy only.
    note: Mapped[str | None] = mapped_column(Text)

    candidacy = relationship("Candidacy", back_populates="events")
    actor = relationship("User", lazy="joined")


class CharterVersion(db.Model):
    """One published version of the network's charter (Markdown, rendered safely)."""

    __tablename__ = "charter_versions"

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[int] = mapped_column(Integer, unique=True)
    text_md: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = created_at()
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class CharterSignature(db.Model):
    """A candidate's or a relay's signature of one version: the version and the time."""

    __tablename__ = "charter_signatures"
    __table_args__ = (
        CheckConstraint(_known("method", SIGNATURE_METHODS), name="method_known"),
        CheckConstraint("candidacy_id IS NOT NULL OR relay_id IS NOT NULL", name="has_signer"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charter_versions.id"), index=True)
    # Set null when the candidacy is deleted: the row stays only when it is a relay's.
    candidacy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidacies.id", ondelete="SET NULL"), index=True)
    relay_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("relays.id", ondelete="CASCADE"), index=True)
    signed_at: Mapped[datetime] = created_at()
    method: Mapped[str] = mapped_column(String(20))
    # The coordinator on whose screen it was signed (None: the signer's own link or account).
    witness_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    version = relationship("CharterVersion", lazy="joined")


class CharterPrompt(db.Model):
    """A relay was asked to read and sign a version at sign-in (asked once per version)."""

    __tablename__ = "charter_prompts"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charter_versions.id", ondelete="CASCADE"), primary_key=True)
    prompted_at: Mapped[datetime] = created_at()


class TrainingSession(db.Model):
    """A training session: a topic, a date, a place on the map, a capacity."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        point_geometry_index("training_sessions"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    topic: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place_name: Mapped[str] = mapped_column(String(200))
    point = mapped_column(point_type(), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()

    participants = relationship("TrainingParticipant", back_populates="session",
                                cascade="all, delete-orphan", passive_deletes=True)


class TrainingParticipant(db.Model):
    """A candidate or a relay invited to a session, and whether they attended."""

    __tablename__ = "training_participants"
    __table_args__ = (
        CheckConstraint("candidacy_id IS NOT NULL OR relay_id IS NOT NULL", name="has_person"),
        UniqueConstraint("session_id", "candidacy_id", name="one_candidacy_per_session"),
        UniqueConstraint("session_id", "relay_id", name="one_relay_per_session"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    # Set null when the candidacy is deleted: the row stays only when it is a relay's.
    candidacy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidacies.id", ondelete="SET NULL"), index=True)
    relay_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("relays.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = created_at()
    attended: Mapped[bool | None] = mapped_column(Boolean)
    marked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    session = relationship("TrainingSession", back_populates="participants", lazy="joined")
    candidacy = relationship("Candidacy")
    relay = relationship("Relay")


class NetworkMilestone(db.Model):
    """An anonymous fact the indicators count: a candidacy confirmed, a first training.

    `person_key` is an opaque identifier of the person (the candidacy's id, then their relay's
    once active), never joined to a name: the fact outlives the candidacy's deletion.
    """

    __tablename__ = "network_milestones"
    __table_args__ = (
        CheckConstraint(_known("kind", MILESTONE_KINDS), name="kind_known"),
        UniqueConstraint("kind", "person_key", name="once_per_person"),
        Index("ix_network_milestones_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    person_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"))
