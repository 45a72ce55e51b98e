"""Scheduled jobs: one row per job, its lease and the outcome of its last run.

The lease is what lets several machines run `flask jobs run` at once: a runner claims a due
job by one atomic UPDATE (lease free and job due), commits, runs the job (whose use cases
commit as they go), then records the outcome and frees the lease.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

JOB_OUTCOMES = ("running", "ok", "failed")


class ScheduledJob(db.Model):
    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        CheckConstraint(f"last_outcome IN {JOB_OUTCOMES!r}", name="outcome_known"),
        CheckConstraint("(lease_owner IS NULL) = (lease_until IS NULL)", name="lease_whole"),
    )

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    # When a runner first saw the job: a new job waits for its next slot, never runs at once.
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    # The error's kind and first line only: never a traceback with values in it.
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the job returned (counts), for the admin page.
    last_summary: Mapped[object | None] = mapped_column(JSONB)
    # Monotonic counters, for the metrics (runs_total, failures_total).
    runs_total: Mapped[int] = mapped_column(BigInteger, default=0)
    failures_total: Mapped[int] = mapped_column(BigInteger, default=0)
