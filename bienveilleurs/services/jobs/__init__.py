"""Scheduled jobs: `@scheduled` registers a job beside its service; `run_due` runs the due ones.

`flask jobs run` (a systemd timer, every minute) calls `run_due`; the admin page
(« Tâches planifiées ») shows `states()`. How to add a job: docs/architecture.md
("Scheduled work").
"""

from . import figures  # noqa: F401  (registers the jobs' metrics)
from .registry import JOBS, Job, discover, scheduled
from .runner import JobResult, JobState, describe, run_due, run_one, states

__all__ = ["JOBS", "Job", "JobResult", "JobState", "describe", "discover", "run_due", "run_one",
           "scheduled", "states"]
