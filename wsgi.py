"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``. The only module that builds an app at import."""

from scheduler import create_app

app = create_app()
