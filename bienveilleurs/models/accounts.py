"""Accounts, roles, API tokens and login throttling."""

import enum
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, uuid_pk


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    RELAY = "relay"
    SOCIAL_WORKER = "social_worker"
    OBSERVER = "observer"  # steering committee, funders: aggregates only

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administration",
    Role.COORDINATOR: "Coordination",
    Role.RELAY: "Bienveilleur",
    Role.SOCIAL_WORKER: "Travailleur social",
    Role.OBSERVER: "Observation",
}
ROLE_VALUES = tuple(r.value for r in Role)

coordinator_territories = Table(
    "coordinator_territories",
    db.metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("territory_id", UUID(as_uuid=True), ForeignKey("territories.id", ondelete="CASCADE"),
           primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout-everywhere, password change and deactivation: every older
    # session cookie stops matching and is refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Two-factor sign-in (TOTP): the shared secret (base32), set when enrolment starts and
    # in force once a first code confirmed it; the last time step accepted, so that a code
    # is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    territories = relationship("Territory", secondary=coordinator_territories, lazy="select",
                               order_by="Territory.name")
    structures = relationship("Structure", secondary="structure_members", lazy="select",
                              viewonly=True)
    relay = relationship("Relay", uselist=False, viewonly=True, lazy="select")
    tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan",
                          passive_deletes=True)

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def role_enum(self):
        return Role(self.role)

    @property
    def name(self):
        return self.display_name or self.email

    @property
    def two_factor_enabled(self):
        return self.totp_enabled_at is not None

    @property
    def two_factor_required(self):
        """Admins and coordinators reach vulnerable people's files: a second factor, always."""
        return self.role in (Role.ADMIN, Role.COORDINATOR)


class ApiToken(db.Model):
    """A bearer token, stored only as its SHA-256 digest: a leaked table reveals nothing usable."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = created_at()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("User", back_populates="tokens")


class RecoveryCode(db.Model):
    """A one-time recovery code of the second factor, stored only as its SHA-256 digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = created_at()
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(db.Model):
    """Failed login counts per account and per address, shared by every worker and server."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_login_throttle_last_failure_at", LoginThrottle.last_failure_at)
