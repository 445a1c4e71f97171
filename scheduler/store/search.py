"""The FHIR API's reads: appointments and patients as loaded rows (the API presents their columns),
and busy times as plain values. Each is bounded: a page of appointments, the reservations of one
window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.intervals import Interval
from scheduler.store import models
from scheduler.store.catalog import LONGEST_RESERVATION
from scheduler.store.engine import db


@dataclass(frozen=True)
class AppointmentFilter:
    """An Appointment search. ``starts_from`` and ``updated_from`` are inclusive, ``starts_before``
    and ``updated_before`` exclusive (UTC); ``excluded_statuses`` are left out."""

    patient_id: int | None = None
    provider_id: int | None = None
    statuses: tuple[str, ...] = ()
    excluded_statuses: tuple[str, ...] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None
    reference: str | None = None


def _matching(where: AppointmentFilter) -> Select[Any]:
    a = models.Appointment
    query = select(a)
    if where.patient_id is not None:
        query = query.where(a.patient_id == where.patient_id)
    if where.provider_id is not None:
        query = query.where(a.provider_id == where.provider_id)
    if where.statuses:
        query = query.where(a.status.in_(where.statuses))
    if where.excluded_statuses:
        query = query.where(a.status.not_in(where.excluded_statuses))
    if where.updated_from is not None:
        query = query.where(a.updated_at >= where.updated_from)
    if where.updated_before is not None:
        query = query.where(a.updated_at < where.updated_before)
    if where.starts_from is not None:
        query = query.where(a.starts_at >= where.starts_from)
    if where.starts_before is not None:
        query = query.where(a.starts_at < where.starts_before)
    if where.reference is not None:
        query = query.where(a.reference == where.reference)
    return query


@dataclass(frozen=True)
class AppointmentPage:
    """One page of matching appointment rows (their own columns are what the API presents) and
    how many match in all."""

    rows: list[models.Appointment]
    total: int


def search_appointments(where: AppointmentFilter, *, offset: int, count: int) -> AppointmentPage:
    """One page, earliest start first (ties by id, so pages never overlap)."""
    base = _matching(where)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    a = models.Appointment
    rows = db.session.execute(base.order_by(a.starts_at, a.id).offset(offset).limit(count)).scalars().all()
    return AppointmentPage(list(rows), total)


def appointment(reference: str) -> models.Appointment | None:
    return db.session.execute(
        select(models.Appointment).where(models.Appointment.reference == reference[:20])
    ).scalar_one_or_none()


def patient(patient_id: int) -> models.Patient | None:
    return db.session.get(models.Patient, patient_id)


@dataclass(frozen=True)
class BusyTime:
    """One active reservation of a provider or room: a booked visit, or a hold on the time."""

    reservation_id: int
    resource: str
    interval: Interval
    held: bool  # a hold (someone is booking it now) rather than a booked visit
    visit_type_id: int


def _busy() -> Select[int, str, datetime, datetime, int | None, int]:
    r, a, h = models.Reservation, models.Appointment, models.Hold
    return (
        select(r.id, r.resource, r.starts_at, r.ends_at, r.hold_id, func.coalesce(a.visit_type_id, h.visit_type_id))
        .outerjoin(a, a.id == r.appointment_id)
        .outerjoin(h, h.id == r.hold_id)
    )


def busy_time(reservation_id: int) -> BusyTime | None:
    """One active reservation (the Slot ``busy-<id>``), or None when there is none (any more)."""
    r = models.Reservation
    row = db.session.execute(_busy().where(r.id == reservation_id, r.active)).first()
    if row is None:
        return None
    rid, resource, starts, ends, hold_id, visit_type_id = row
    return BusyTime(rid, resource, Interval(starts, ends), hold_id is not None, visit_type_id)


def busy_times(resources: Iterable[str], window: Interval) -> list[BusyTime]:
    """Active reservations of ``resources`` overlapping ``window``, earliest first."""
    keys = list(resources)
    if not keys:
        return []
    r = models.Reservation
    rows = db.session.execute(
        _busy()
        .where(
            r.resource.in_(keys),
            r.active,
            # Bounded both ways so the (resource, starts_at) index keeps the range small.
            r.starts_at >= window.start - LONGEST_RESERVATION,
            r.starts_at < window.end,
            r.ends_at > window.start,
        )
        .order_by(r.starts_at, r.id)
    )
    return [
        BusyTime(rid, resource, Interval(starts, ends), hold_id is not None, visit_type_id)
        for rid, resource, starts, ends, hold_id, visit_type_id in rows
    ]
