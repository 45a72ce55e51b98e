"""Notification outbox: written in the transaction of the change that causes it, sent later."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .base import created_at

NOTIFICATION_STATES = ("pending", "sent", "failed", "cancelled")
NOTIFICATION_STATE_LABELS = {"pending": "En attente", "sent": "Envoyée", "failed": "Échec",
                             "cancelled": "Annulée"}
NOTIFICATION_KINDS = {
    "referral_referred": "Orientation reçue par une structure",
    "referral_unreachable_structure": "Structure sans destinataire",
    "referral_assigned": "Orientation attribuée à un bienveilleur",
    "referral_returned": "Orientation revenue (refus, sans réponse, expirée)",
    "digest": "Résumé quotidien",
    "invitation": "Invitation",
    "password_reset": "Réinitialisation du mot de passe",
    "structure_link": "Lien d'une structure sans compte vers une orientation",
    "campaign_needs_help": "Veille : une personne a besoin d'aide",
    "campaign_escalated": "Veille : une personne n'a pas été jointe",
    "candidacy_confirm": "Candidature : confirmation de l'adresse",
    "candidacy_confirmed": "Candidature confirmée (coordination)",
    "charter_link": "Candidature : lien de signature de la charte",
    "training_invitation": "Invitation à une formation",
    "candidacy_stale": "Candidature sans nouvelle depuis un an (coordination)",
}


class Notification(db.Model):
    """One message to one recipient; its text is rendered when enqueued, from safe data only."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"state IN {NOTIFICATION_STATES!r}", name="state_known"),
        CheckConstraint("recipient_user_id IS NOT NULL OR recipient_email IS NOT NULL",
                        name="has_recipient"),
        # The sender's query: due pending rows, oldest first.
        Index("ix_notifications_due", "next_attempt_at",
              postgresql_where=text("state = 'pending'")),
        Index("ix_notifications_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    # An account (its current address is used when sending), or a bare address
    # (a structure's contact e-mail).
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    # The referral a message is about: its text names the person, so it is part of the
    # person's data (cancelled and scrubbed on opposition and at retention, exported).
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    link_path: Mapped[str | None] = mapped_column(String(500))
    # Derived from the change (kind, object, event, recipient): one change never sends twice.
    dedup_key: Mapped[str] = mapped_column(String(250), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    recipient = relationship("User", lazy="joined")
    attempts_log = relationship("NotificationAttempt", back_populates="notification",
                                order_by="NotificationAttempt.id", cascade="all, delete-orphan",
                                passive_deletes=True)

    @property
    def kind_label(self):
        return NOTIFICATION_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self):
        return NOTIFICATION_STATE_LABELS.get(self.state, self.state)


class NotificationAttempt(db.Model):
    """One delivery attempt: when, whether it worked, and the error when it did not."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = created_at()
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)

    notification = relationship("Notification", back_populates="attempts_log")


class NotificationPreference(db.Model):
    """A user's choices; no row means the defaults (digest on, e-mails on)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               primary_key=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    # For relays: e-mail, or nothing.
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = created_at()
