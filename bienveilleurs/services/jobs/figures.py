"""The jobs' figures for Prometheus, read from `scheduled_jobs` at each scrape (metrics.py).

Alert on `bienveilleurs_job_failures_total` increasing, and on a daily job whose
`bienveilleurs_job_last_success_timestamp_seconds` is more than a day and a half old.
"""

from sqlalchemy import select

from ...extensions import db
from ...metrics import scraped
from ...models import ScheduledJob


def _per_job(column, convert=float):
    rows = db.session.execute(select(ScheduledJob.name, column).order_by(ScheduledJob.name))
    return [((name,), convert(value)) for name, value in rows if value is not None]


@scraped("bienveilleurs_job_runs", "Runs of each scheduled job, finished", kind="counter",
         labels=("job",))
def job_runs():
    return _per_job(ScheduledJob.runs_total)


@scraped("bienveilleurs_job_failures", "Failed runs of each scheduled job", kind="counter",
         labels=("job",))
def job_failures():
    return _per_job(ScheduledJob.failures_total)


@scraped("bienveilleurs_job_last_success_timestamp_seconds",
         "When each scheduled job last succeeded (Unix time)", labels=("job",))
def job_last_success():
    return _per_job(ScheduledJob.last_ok_at, lambda at: at.timestamp())


@scraped("bienveilleurs_job_last_duration_seconds", "Duration of each job's last run",
         labels=("job",))
def job_last_duration():
    return _per_job(ScheduledJob.last_duration_ms, lambda ms: ms / 1000)
