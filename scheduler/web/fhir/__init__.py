"""FHIR R4 scheduling API under /fhir (bearer tokens of API clients; see access.py), and the staff
iCalendar feeds under /feeds."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from scheduler.extensions import csrf
    from scheduler.web.fhir import feeds
    from scheduler.web.fhir import views

    app.register_blueprint(views.bp)
    csrf.exempt(views.bp)  # bearer tokens, no cookies: there is no cross-site request to forge
    app.register_blueprint(feeds.bp)
