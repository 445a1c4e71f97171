"""Visits as the staff pages show them: rows loaded with what the page reads, while the session
that loaded them is open. (What a use case computes with comes from ``store.bookings`` as values.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.intervals import Interval
from scheduler.store import models
from scheduler.store.engine import db


def visit_row(appointment_id: int) -> models.Appointment | None:
    """The appointment with its patient, provider (and specialty), room and visit type."""
    a = models.Appointment
    return db.session.execute(
        select(a).options(joinedload(a.patient)).where(a.id == appointment_id)
    ).scalar_one_or_none()


def day_list(provider_id: int, window: Interval) -> list[models.Appointment]:
    """The provider's visits that start in ``window`` and still count (not cancelled or entered in
    error), by time, with their patients."""
    a = models.Appointment
    return list(
        db.session.execute(
            select(a)
            .options(selectinload(a.patient))
            .where(a.provider_id == provider_id, a.starts_at >= window.start, a.starts_at < window.end)
            .where(a.status.not_in(sorted(RELEASED_STATUSES)))
            .order_by(a.starts_at)
        ).scalars()
    )
