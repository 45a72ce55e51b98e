"""Run the due jobs, each at most once per slot however many machines run `flask jobs run`.

A job's functions are use cases that commit as they go, so no lock held by a transaction
could cover a whole run (a transaction-level advisory lock is released at the job's first
commit, and PgBouncer's transaction pooling forbids session-level ones). A run is guarded
by a lease instead, on the job's row of `scheduled_jobs`:

1. claim: one UPDATE, committed at once, that succeeds only when the job is due and its
   lease is free. Two runners at once: the second UPDATE waits for the first one's row lock,
   then re-reads the row, finds the lease taken and the slot done, and claims nothing;
2. run the job in an application context of its own (its own session);
3. finish: record the outcome, duration and error, and free the lease (only the lease's
   owner can). A runner that died leaves its lease until `lease_until`; the job is then
   claimed again (a failed or interrupted run is retried after RETRY_AFTER within its slot).
"""

import json
import logging
import os
import socket
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from ... import clock
from ...extensions import db
from ...logs import safe_text
from ...models import ScheduledJob
from ..transaction import use_case
from .registry import discover

log = logging.getLogger("bienveilleurs.jobs")

# A failed or interrupted job is tried again this long after its start, within its slot.
RETRY_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class JobResult:
    """What happened to one job in one `run_due`: ran (ok or failed) or was not claimed."""

    name: str
    outcome: str  # "ok", "failed" or "skipped" (not due, or running elsewhere)
    duration_ms: int | None = None
    summary: object = None
    error: str | None = None


def runner_name():
    """Name this runner in leases: host, process and a random part (unique per call)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_due(*, owner=None, only=None, force=False, jobs=None):
    """Run every job due now (or those named in `only`); return one JobResult per job.

    `force` runs the named jobs even when they are not due (never while another runner
    holds them). `jobs` replaces the registry (tests). A failing job is recorded and the
    others still run.
    """
    jobs = discover() if jobs is None else {job.name: job for job in jobs}
    if only:
        unknown = sorted(set(only) - set(jobs))
        if unknown:
            raise KeyError(", ".join(unknown))
        jobs = {name: jobs[name] for name in only}
    owner = owner or runner_name()
    return [run_one(job, owner=owner, force=force) for job in jobs.values()]


def run_one(job, *, owner, force=False):
    """Claim `job` if due, run it, record the outcome; return a JobResult."""
    now = clock.now()
    if not _claim(job, now=now, owner=owner, force=force):
        return JobResult(job.name, "skipped")
    started = time.monotonic()
    summary, error = None, None
    try:
        with current_app.app_context():  # a session of its own, whatever the job leaves in it
            summary = _jsonable(job.function())
    except Exception as exc:  # every failure is recorded, and the other jobs still run
        error = describe(exc)
        log.error("job %s failed", job.name, exc_info=exc)
    duration_ms = round((time.monotonic() - started) * 1000)
    outcome = "failed" if error else "ok"
    if not _finish(job.name, owner, outcome=outcome, error=error, summary=summary,
                   duration_ms=duration_ms):
        log.warning("job %s: the lease expired during the run (%d ms)", job.name, duration_ms)
    log.info("job %s %s in %d ms", job.name, outcome, duration_ms)
    return JobResult(job.name, outcome, duration_ms, summary, error)


def describe(exc):
    """What the admin page shows of a failure: the error as the logs may hold it (its kind,
    and its message only when it cannot quote data: logs.safe_text), and where it happened."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames))
    return f"{safe_text(exc)} ({where})"[:1000]


def _jsonable(value):
    return json.loads(json.dumps(value, default=str)) if value is not None else None


@use_case
def _claim(job, *, now, owner, force):
    db.session.execute(insert(ScheduledJob).values(name=job.name, registered_at=now)
                       .on_conflict_do_nothing(index_elements=["name"]))
    row = ScheduledJob
    due = or_(func.coalesce(row.last_started_at, row.registered_at) < job.slot(now),
              and_(row.last_outcome.in_(("failed", "running")),
                   row.last_started_at <= now - RETRY_AFTER))
    free = or_(row.lease_until.is_(None), row.lease_until <= now)
    claimed = db.session.execute(
        update(row).where(row.name == job.name, free, *(() if force else (due,)))
        .values(lease_owner=owner[:200], lease_until=now + job.lease, last_started_at=now,
                last_outcome="running")
        .returning(row.name)).first()
    return claimed is not None


@use_case
def _finish(name, owner, *, outcome, error, summary, duration_ms):
    row = ScheduledJob
    now = clock.now()
    done = db.session.execute(
        update(row).where(row.name == name, row.lease_owner == owner[:200])
        .values(lease_owner=None, lease_until=None, last_finished_at=now,
                last_duration_ms=duration_ms, last_outcome=outcome, last_error=error,
                last_summary=summary, runs_total=row.runs_total + 1,
                failures_total=row.failures_total + (1 if outcome == "failed" else 0),
                last_ok_at=now if outcome == "ok" else row.last_ok_at)
        .returning(row.name)).first()
    return done is not None


# --- what the admin page and `jobs list` show ---------------------------------------------

STATUS_LABELS = {"ok": "Réussie", "failed": "Échec", "running": "En cours",
                 "interrupted": "Interrompue", "new": "Jamais lancée"}


@dataclass(frozen=True)
class JobState:
    job: object
    row: object  # ScheduledJob, or None before a runner first saw the job

    @property
    def status(self):
        """ok, failed, running, interrupted (a run whose lease expired) or new."""
        if self.row is None or self.row.last_outcome is None:
            return "new"
        if self.row.last_outcome == "running":
            lease = self.row.lease_until
            return "running" if lease is not None and lease > clock.now() else "interrupted"
        return self.row.last_outcome

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def next_run(self):
        if self.row is None:
            return None
        return self.job.next_slot(self.row.last_started_at or self.row.registered_at)


def states():
    """Every registered job with its row, by name."""
    jobs = discover()
    rows = {row.name: row for row in db.session.scalars(select(ScheduledJob))}
    return [JobState(job, rows.get(name)) for name, job in jobs.items()]
