"""gunicorn's settings for production (deploy/systemd/bienveilleurs-web.service uses them).

Each can be changed in the environment file (/etc/bienveilleurs/bienveilleurs.env) without
editing this file. nginx buffers slow clients (whole request bodies and responses), so a
thread is never held by a phone on a poor network: a few threads per worker are enough.
"""

import glob
import os

from prometheus_client import multiprocess

_cores = os.cpu_count() or 1

# Under systemd the socket comes from bienveilleurs-web.socket (LISTEN_FDS) and `bind` is
# ignored; the tests bind to a loopback port.
bind = os.environ.get("GUNICORN_BIND", "unix:/run/bienveilleurs/web.sock")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, _cores)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A request taking longer than this is killed with its worker (a match takes milliseconds; a
# booklet in PDF or an import preview a few seconds).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On reload (SIGHUP) or stop, requests under way get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Recycle each worker now and then (staggered), so that a slow leak never grows for months.
max_requests = 5000
max_requests_jitter = 500
# Not preloaded: on a reload (systemctl reload) new workers import the new code.
preload_app = False
# The app logs one line per request itself (route, status, duration, request id; never the
# query string): no access log here. Errors go to journald through standard error.
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "bienveilleurs"
# Behind nginx on a socket only nginx may open; X-Forwarded-* are read by the app
# (TRUSTED_PROXIES=1), gunicorn only needs to believe the scheme.
forwarded_allow_ips = "*"


def on_starting(server):
    """Start the metrics of this run from zero: drop the files of the previous one."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for path in glob.glob(os.path.join(folder, "*.db")):
            os.remove(path)


def child_exit(server, worker):
    """Keep a dead worker's counters in the sums, and forget its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
