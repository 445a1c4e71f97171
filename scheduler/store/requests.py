"""Visit requests waiting in a specialty's queue."""

from __future__ import annotations

from scheduler.store import models
from scheduler.store.engine import db


def add(request: models.VisitRequest) -> None:
    """Save a new request (flushed, so it has its id)."""
    db.session.add(request)
    db.session.flush()
