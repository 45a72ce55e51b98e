"""Evaluation: the person's own measure of isolation, the follow-up call after a closure,
and the anonymous monthly rollup of the indicators (API.md, "Follow-up…", "Indicators")."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, uuid_pk

MOMENTS = ("baseline", "follow_up")
NETWORKS = ("family", "friends", "neighbours", "associations", "professionals")
NETWORK_LABELS = {
    "family": "Famille",
    "friends": "Amis",
    "neighbours": "Voisins",
    "associations": "Associations, clubs",
    "professionals": "Professionnels (médecin, aide à domicile, travailleur social…)",
}
# UCLA-3 (short loneliness scale), asked in plain French; 1 = hardly ever … 3 = often.
UCLA3_QUESTIONS = {
    "lacks_company": "Vous arrive-t-il de manquer de compagnie ?",
    "left_out": "Vous arrive-t-il de vous sentir mis·e à l'écart ?",
    "isolated": "Vous arrive-t-il de vous sentir isolé·e des autres ?",
}
UCLA3_ANSWERS = {1: "Presque jamais", 2: "Parfois", 3: "Souvent"}
_SCORES = ("lacks_company", "left_out", "isolated")


class WellbeingMeasure(db.Model):
    """The person's own answers (or their refusal to answer), at baseline or at follow-up."""

    __tablename__ = "wellbeing_measures"
    __table_args__ = (
        CheckConstraint(f"moment IN {MOMENTS!r}", name="moment_known"),
        *(CheckConstraint(f"{name} IS NULL OR {name} BETWEEN 1 AND 3", name=f"{name}_range")
          for name in _SCORES),
        CheckConstraint("erased_at IS NOT NULL OR answered = (lacks_company IS NOT NULL "
                        "AND left_out IS NOT NULL AND isolated IS NOT NULL)",
                        name="scores_iff_answered"),
        # One measure per referral and moment (a replay is recognised by its client id).
        Index("uq_wellbeing_measures_referral_moment", "referral_id", "moment", unique=True),
        Index("ix_wellbeing_measures_at", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)  # client UUID
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moment: Mapped[str] = mapped_column(String(10))
    answered: Mapped[bool] = mapped_column(Boolean)
    lacks_company: Mapped[int | None] = mapped_column(SmallInteger)
    left_out: Mapped[int | None] = mapped_column(SmallInteger)
    isolated: Mapped[int | None] = mapped_column(SmallInteger)
    networks: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list,
                                                server_default=text("'{}'"))
    payload_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = created_at()
    # Opposition or retention: the answers are gone, the row says only that there was one.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def total(self):
        if not self.answered or self.lacks_company is None:
            return None
        return self.lacks_company + self.left_out + self.isolated


class FollowUp(db.Model):
    """The call-back after a closure with outcome helped, redirected or not_helped.

    Held by the relay who held the referral when it closed (`relay_id`), or by the
    coordinators of the referral's territory when there was none or they left (null).
    Done when a `follow_up` measure is recorded (answered or not).
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_due_open", "due_on", postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), unique=True)
    relay_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relays.id"), index=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)  # a day in the city's time zone
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    measure_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("wellbeing_measures.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at()

    referral = relationship("Referral")
    relay = relationship("Relay")


class IndicatorMonth(db.Model):
    """One ended month of one territory (or of the points outside every territory), frozen.

    Anonymous: counts, sums and the delays to a first contact (hours, as numbers); no
    identifier of a person, a relay or a referral. The territory's code and name are kept as
    they were, so that a deleted or renamed territory does not change a published report.
    """

    __tablename__ = "indicator_months"
    __table_args__ = (
        Index("uq_indicator_months_month_territory", "month",
              text("coalesce(territory_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
              unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date)  # its first day
    territory_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    territory_code: Mapped[str | None] = mapped_column(String(40))
    territory_name: Mapped[str] = mapped_column(String(120))
    parts: Mapped[dict] = mapped_column(JSONB)
    frozen_at: Mapped[datetime] = created_at()
