"""One-time links (invitations, password resets, a candidate's links) and the audit log of
admin changes."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, uuid_pk

ACCOUNT_TOKEN_PURPOSES = ("invitation", "password_reset", "candidacy", "charter")
# Links of an account, and links of a candidacy (a candidate has no account yet).
CANDIDACY_PURPOSES = ("candidacy", "charter")


class AccountToken(db.Model):
    """A one-time link: only the SHA-256 digest of its secret is stored.

    It belongs to an account, or to a candidacy (its confirmation link, which is also the
    candidate's way to read, withdraw and erase it, and the charter's signing link).
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(f"purpose IN {ACCOUNT_TOKEN_PURPOSES!r}", name="purpose_known"),
        CheckConstraint("(user_id IS NULL) <> (candidacy_id IS NULL)", name="one_owner"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    candidacy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidacies.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])


class AuditEntry(db.Model):
    """One administrative change: who, when, what (never a resident's personal data)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = created_at()
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                       index=True)
    # Kept as text so the entry still says who acted after the account is gone.
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB, default=dict)

    actor = relationship("User", foreign_keys=[actor_id])
