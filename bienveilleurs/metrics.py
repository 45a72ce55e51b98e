"""Prometheus metrics (the maintained `prometheus-client`), served at /metrics (web/ops.py).

Two kinds:

- what a web process measures: requests and their latency per route. gunicorn runs several
  worker processes, each with its own counters; with PROMETHEUS_MULTIPROC_DIR set (the
  systemd unit sets it), the client keeps them in files of that folder and a scrape adds up
  every worker's, the dead ones' included (deploy/gunicorn.conf.py marks them dead);
- what the database knows: the notification queue, the jobs' runs and failures. These are
  read at each scrape by the functions registered with `@scraped`, beside their service,
  so that every worker (and a job run in another process) gives the same figures.

    @scraped("bienveilleurs_notifications", "Notifications in the outbox, by state",
             labels=("state",))
    def outbox_depth():
        return [(("pending",), 3), (("failed",), 0)]
"""

import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

REQUESTS = Counter("bienveilleurs_http_requests", "HTTP requests answered",
                   ["route", "method", "status"])
LATENCY = Histogram("bienveilleurs_http_request_duration_seconds",
                    "Time to answer an HTTP request, by route (the URL rule)", ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


@dataclass(frozen=True)
class Scraped:
    name: str
    documentation: str
    kind: str
    labels: tuple
    read: object


SCRAPED = {}


def scraped(name, documentation, *, kind="gauge", labels=()):
    """Register a function read at each scrape: a number, or [(label values, number)]."""
    if kind not in ("gauge", "counter"):
        raise ValueError(kind)

    def register(read):
        SCRAPED[name] = Scraped(name, documentation, kind, tuple(labels), read)
        return read

    return register


def observe_request(route, method, status, seconds):
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


class DatabaseFigures:
    """The `@scraped` figures, read now; `bienveilleurs_database_up` 0 when they cannot be."""

    def collect(self):
        families = []
        up = GaugeMetricFamily("bienveilleurs_database_up",
                               "1 when the database answered this scrape's queries")
        try:
            for figure in SCRAPED.values():
                families.append(_family(figure, figure.read()))
        except SQLAlchemyError:
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]


def _family(figure, value):
    kind = GaugeMetricFamily if figure.kind == "gauge" else CounterMetricFamily
    family = kind(figure.name, figure.documentation, labels=list(figure.labels))
    if not figure.labels:
        family.add_metric([], value)
        return family
    for label_values, number in value:
        family.add_metric([str(v) for v in label_values], number)
    return family


def exposition():
    """Return (body, content type) of a scrape: every worker's measures, then the figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(DatabaseFigures())
    return generate_latest(processes) + generate_latest(figures), CONTENT_TYPE_LATEST
