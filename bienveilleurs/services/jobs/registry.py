"""The jobs' registry: a feature declares its scheduled work next to its service.

    @scheduled("referrals.expire", every=timedelta(hours=1),
               label="Orientations sans réponse renvoyées à la coordination")
    @use_case
    def expire_referrals(now=None):
        ...

A job is a function called without arguments (the clock is `clock.now()`); what it returns
(counts) is shown on the admin page, so it never holds personal data. It is due once per
slot: `every` cuts time into slots aligned on the epoch (every minute, every hour…);
`daily_at` is a time of day in the city's time zone. A job first seen by a runner waits
for its next slot. Nothing else to edit: `discover()` imports every module of
`bienveilleurs.services`, which registers what they declare.
"""

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from ... import clock

# A run longer than this is presumed dead and its job may be claimed again: longer than any
# job takes, and than the job runner's systemd time-out (deploy/bienveilleurs-jobs.service).
DEFAULT_LEASE = timedelta(minutes=20)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # slots of `every` are aligned on this instant

JOBS = {}


@dataclass(frozen=True)
class Job:
    """One scheduled task: what to call, when it is due, how long a run may hold it."""

    name: str
    function: object
    label: str
    every: timedelta | None = None
    daily_at: time | None = None
    lease: timedelta = DEFAULT_LEASE

    def slot(self, now):
        """Return the start of the slot `now` falls in: the job is due once per slot."""
        if self.every is not None:
            return now - (now - EPOCH) % self.every
        local = clock.local(now)
        today = datetime.combine(local.date(), self.daily_at, tzinfo=clock.PARIS)
        if today > local:
            today = datetime.combine(local.date() - timedelta(days=1), self.daily_at,
                                     tzinfo=clock.PARIS)
        return today.astimezone(UTC)

    def next_slot(self, after):
        """Return the first slot that starts strictly after `after`."""
        if self.every is not None:
            return self.slot(after) + self.every
        day = clock.local(self.slot(after)).date() + timedelta(days=1)
        return datetime.combine(day, self.daily_at, tzinfo=clock.PARIS).astimezone(UTC)

    @property
    def schedule(self):
        """The schedule in French, for the pages and the command line."""
        if self.daily_at is not None:
            return f"chaque jour à {self.daily_at:%H:%M} (heure de la ville)"
        minutes = int(self.every.total_seconds() // 60)
        if minutes < 60:
            return "chaque minute" if minutes == 1 else f"toutes les {minutes} minutes"
        hours = minutes // 60
        return "chaque heure" if hours == 1 else f"toutes les {hours} heures"


def scheduled(name, *, label, every=None, daily_at=None, lease=DEFAULT_LEASE):
    """Register the decorated function as the job `name`; return the function unchanged.

    Give exactly one of `every` (a timedelta of whole minutes) or `daily_at` (a
    `datetime.time` in the city's time zone). `label` is the French name on the admin page.
    """
    if (every is None) == (daily_at is None):
        raise ValueError(f"job {name}: give exactly one of every= or daily_at=")
    if every is not None and (every < timedelta(minutes=1) or every % timedelta(minutes=1)):
        raise ValueError(f"job {name}: every= must be whole minutes")

    def register(function):
        job = Job(name, function, label, every=every, daily_at=daily_at, lease=lease)
        known = JOBS.get(name)
        if known is not None and known.function is not function:
            raise ValueError(f"two jobs are named {name}")
        JOBS[name] = job
        return function

    return register


def discover():
    """Import every service module (which registers its jobs); return the jobs by name."""
    from ... import services
    for info in pkgutil.walk_packages(services.__path__, prefix=f"{services.__name__}."):
        importlib.import_module(info.name)
    return dict(sorted(JOBS.items()))
