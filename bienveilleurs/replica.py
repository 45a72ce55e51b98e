"""Read-only requests on a streaming standby (DATABASE_REPLICA_URL), when it can be trusted.

A request goes to the standby only when all of these hold, else to the primary:

- its view is marked `@reads_only` (directory, match, HSDS: never a view that writes, not
  even the access log of a file) and the method is GET or HEAD;
- the client did not write in the last few seconds (`sticky_seconds()`: longer than any
  lag the standby may have when chosen): every successful write response sets a small
  cookie, so that a client reads its own writes (read-your-writes);
- the standby answered the last check (made at most every CHECK_EVERY_S seconds per
  process) and its replay lag was at most REPLICA_MAX_LAG_S. Replay paused, the WAL
  receiver gone, or the standby down: reads go to the primary.

The choice is made once, before the request's first statement, and kept for the request:
`RoutingSession.get_bind` returns the standby's engine for that request. Everything else
(commands, jobs, writes) never sees the standby.
"""

import logging
import threading
import time

from flask import current_app, g, has_app_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from . import clock
from .config import setting

log = logging.getLogger("bienveilleurs.replica")

KEY = "bienveilleurs.replica"
WROTE_COOKIE = "bv_wrote"
READ_METHODS = ("GET", "HEAD")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CHECK_EVERY_S = 2.0

# Seconds the standby is behind, or NULL when it cannot be trusted at all (not a standby
# any more, or not receiving WAL). Fully replayed = 0, however long the primary was idle.
# The receiver's status is hidden from roles without pg_read_all_stats: its row then only
# says that a receiver runs.
LAG_QUERY = text("""
    select case
      when not pg_is_in_recovery() then null
      when not exists (select 1 from pg_stat_wal_receiver
                       where coalesce(status, 'streaming') = 'streaming') then null
      when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
      else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 1e9)
    end
""")


def reads_only(view):
    """Mark a GET view whose statements only read: it may be served by the standby.

    Never for a view that writes, even incidentally (the access log of a file). Under
    /api/v1 such a view also runs its statements without a transaction (web/api).
    """
    view.reads_only = True
    return view


class RoutingSession(Session):
    """The session class of `db`: the standby's engine for a request that chose it."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if has_app_context():
            engine = g.get("replica_engine")
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


class Standby:
    """The standby's engine and the last check of its lag (one per process)."""

    def __init__(self, url, engine_options):
        self.engine = create_engine(url, **engine_options)
        self.lock = threading.Lock()
        self.checked_at = None
        self.lag = None

    def usable(self, max_lag_s):
        """Tell whether the standby is up and at most `max_lag_s` behind (checked lazily)."""
        now = time.monotonic()
        if self.checked_at is None or now - self.checked_at >= CHECK_EVERY_S:
            with self.lock:
                if self.checked_at is None or now - self.checked_at >= CHECK_EVERY_S:
                    self.lag = self.measure_lag()
                    self.checked_at = time.monotonic()
        return self.lag is not None and self.lag <= max_lag_s

    def measure_lag(self):
        try:
            with self.engine.connect() as connection:
                lag = connection.execute(LAG_QUERY).scalar()
        except SQLAlchemyError as exc:
            log.warning("standby unreachable, reads go to the primary: %s",
                        exc.__class__.__name__)
            return None
        if lag is None:
            log.warning("the standby is not streaming, reads go to the primary")
        return None if lag is None else float(lag)


def init_app(app):
    """Create the standby's engine and the request hooks, when DATABASE_REPLICA_URL is set."""
    url = app.config.get("DATABASE_REPLICA_URL") or ""
    if not url:
        return
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    options = {key: value for key, value in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()}
    app.extensions[KEY] = Standby(url, options)
    app.before_request(choose_database)
    app.after_request(remember_writes)


def standby():
    return current_app.extensions.get(KEY)


def choose_database():
    """Send this request's statements to the standby if it may read there (module docstring)."""
    replica = standby()
    if replica is None or request.method not in READ_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "reads_only", False) or wrote_recently():
        return
    if replica.usable(setting("REPLICA_MAX_LAG_S")):
        g.replica_engine = replica.engine


def wrote_recently():
    try:
        wrote_at = float(request.cookies.get(WROTE_COOKIE, ""))
    except ValueError:
        return False
    return clock.now().timestamp() - wrote_at < sticky_seconds()


def sticky_seconds():
    """How long a client that wrote reads from the primary: longer than the standby's lag
    may be when it is chosen (the bound, plus the age of the last check)."""
    return setting("REPLICA_MAX_LAG_S") + CHECK_EVERY_S + 1


def remember_writes(response):
    """After a successful write, keep this client on the primary for `sticky_seconds()`."""
    if request.method not in SAFE_METHODS and response.status_code < 400:
        response.set_cookie(WROTE_COOKIE, f"{clock.now().timestamp():.3f}",
                            max_age=int(sticky_seconds()) + 1, httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response


def served_by_standby():
    """Tell whether the current request reads from the standby (for the logs and metrics)."""
    return g.get("replica_engine") is not None
