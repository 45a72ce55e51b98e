"""Log lines: plain text or one JSON object per line (LOG_FORMAT), a request id, a line per
request (logs.py, beside it, keeps values out of every record).

Every request gets an id: the one nginx sent (`X-Request-Id`, only when TRUSTED_PROXIES says
a proxy is in front), else a new one. It is echoed in the response's `X-Request-Id` and
carried by every line logged while the request runs. Each request ends with one line:
method, route, status, duration, which database served it, the id. The route is the
URL rule (`/api/v1/referrals/<referral_id>`), never the path nor the query string, which may
hold a position or an address; no address, account or name is ever logged here.
"""

import logging
import re
import sys
import time
import uuid

from flask import current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from . import metrics, replica

log = logging.getLogger("bienveilleurs.request")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNMATCHED = "(aucune route)"


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being served ("-" outside a request)."""

    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def handler(log_format, stream=None):
    """Return a handler writing `text` or `json` lines to `stream` (standard error)."""
    out = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        out.setFormatter(JsonFormatter(
            "{levelname}{name}{message}{request_id}", style="{", timestamp="time",
            rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False))
    else:
        out.setFormatter(logging.Formatter(TEXT_FORMAT))
    out.addFilter(RequestIdFilter())
    return out


def init_app(app):
    """Configure the process's logs (unless someone did already) and the request hooks."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler(app.config["LOG_FORMAT"]))
        root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.before_request(start_request)
    app.after_request(end_request)


def start_request():
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-Id", "")
    trusted = current_app.config["TRUSTED_PROXIES"] > 0 and REQUEST_ID.match(incoming)
    g.request_id = incoming if trusted else uuid.uuid4().hex


def end_request(response):
    started = g.get("request_started")
    if started is None:  # a response made before the hooks ran
        return response
    response.headers["X-Request-Id"] = g.request_id
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    metrics.observe_request(route, request.method, response.status_code, seconds)
    log.info("%s %s %s %.1f ms", request.method, route, response.status_code, seconds * 1000,
             extra={"method": request.method, "route": route, "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "database": "standby" if replica.served_by_standby() else "primary"})
    return response
