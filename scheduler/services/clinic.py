"""Loading the clinic's catalog and calendars from the database as domain values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler import models
from scheduler.domain import catalog
from scheduler.domain.clock import ceil_to_grid
from scheduler.domain.clock import clinic_instant
from scheduler.domain.errors import InvalidInput
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.intervals import Interval
from scheduler.extensions import db

# No visit spans more than one clinic day, so a reservation overlapping a window starts at most
# this long before it. Bounding the start both ways keeps the (resource, starts_at) index range
# small however many years of history the table holds.
LONGEST_RESERVATION = timedelta(days=1)


def clinic_hours() -> ClinicHours:
    return ClinicHours()


def clinic_calendar(first_day: date, last_day: date) -> ClinicCalendar:
    """Hours plus the closures from ``first_day`` to ``last_day`` inclusive."""
    rows = db.session.execute(
        select(models.Closure).where(models.Closure.day.between(first_day, last_day)).order_by(models.Closure.day)
    ).scalars()
    return ClinicCalendar(clinic_hours(), tuple(r.to_domain() for r in rows))


def visit_type_row(code: str, *, field: str = "visit_type") -> models.VisitType:
    row = db.session.execute(
        select(models.VisitType).where(models.VisitType.code == code, models.VisitType.active)
    ).scalar_one_or_none()
    if row is None:
        raise InvalidInput({field: f"There is no visit type '{code[:40]}'. See /api/v1/visit-types for the list."})
    return row


def specialty_row(code: str) -> models.Specialty:
    return db.session.execute(select(models.Specialty).where(models.Specialty.code == code)).scalar_one()


def providers(specialty_code: str, window: Interval, provider_id: int | None = None) -> list[catalog.Provider]:
    """Active providers of a specialty (or just ``provider_id``), with their time off in ``window``."""
    query = (
        select(models.Provider)
        .join(models.Specialty)
        .where(models.Provider.active, models.Specialty.code == specialty_code)
        .options(selectinload(models.Provider.hours))
        .order_by(models.Provider.id)
    )
    if provider_id is not None:
        query = query.where(models.Provider.id == provider_id)
    rows = db.session.execute(query).scalars().all()
    away: dict[int, list[models.TimeOff]] = defaultdict(list)
    if rows:
        for t in db.session.execute(
            select(models.TimeOff).where(
                models.TimeOff.provider_id.in_([r.id for r in rows]),
                models.TimeOff.starts_at < window.end,
                models.TimeOff.ends_at > window.start,
            )
        ).scalars():
            away[t.provider_id].append(t)
    return [r.to_domain(away[r.id]) for r in rows]


def rooms(kind: str | None) -> list[catalog.Room]:
    if not kind:
        return []
    rows = db.session.execute(
        select(models.Room).where(models.Room.kind == kind, models.Room.active).order_by(models.Room.id)
    ).scalars()
    return [r.to_domain() for r in rows]


def busy(resources: Iterable[str], window: Interval) -> dict[str, list[Interval]]:
    """Active reservations of ``resources`` that overlap ``window``, by resource key."""
    keys = list(resources)
    found: dict[str, list[Interval]] = defaultdict(list)
    if not keys:
        return found
    r = models.Reservation
    rows = db.session.execute(
        select(r.resource, r.starts_at, r.ends_at).where(
            r.resource.in_(keys),
            r.active,
            r.starts_at >= window.start - LONGEST_RESERVATION,
            r.starts_at < window.end,
            r.ends_at > window.start,
        )
    )
    for resource, starts_at, ends_at in rows:
        found[resource].append(Interval(starts_at, ends_at))
    return found


def day_window(first_day: date, days: int) -> Interval:
    """From Central midnight of ``first_day`` to Central midnight after the last day."""
    return Interval(clinic_instant(first_day, time()), clinic_instant(first_day + timedelta(days=days), time()))


def earliest_bookable(now: datetime) -> datetime:
    """The earliest start patients may book at ``now``, rounded up to the grid (same answers, and
    it stays the same for a quarter of an hour, so caches keyed by it stay useful)."""
    notice = timedelta(minutes=int(current_app.config["MIN_NOTICE_MINUTES"]))
    return ceil_to_grid(now + notice, clinic_hours().grid_minutes)


def revisions() -> tuple[int, int]:
    """(bookings, catalog) revision counters: any change to either bumps its counter."""
    values = dict(db.session.execute(select(models.Revision.name, models.Revision.value)).all())
    return values["bookings"], values["catalog"]
