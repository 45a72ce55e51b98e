"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import gc

from bienveilleurs import create_app

app = create_app()

# Everything loaded so far (modules, the app, the URL map, SQLAlchemy's mappers: about
# 160,000 objects) lives as long as the process. Left to the collector, each full
# collection walks them all and stalls every thread of the worker for about 100 ms
# (bench/match.py saw it as the p99 of GET /api/v1/match); frozen, they are skipped.
gc.freeze()
