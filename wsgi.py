"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from bienveilleurs import create_app

app = create_app()
