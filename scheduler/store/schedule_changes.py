"""What a schedule change reads (the booked visits and holds it could strand) and writes (new
hours from a date, closures over a range of days, visits kept as exceptions). Inside the caller's
unit of work; database triggers bump the catalog revision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.catalog import WorkBlock
from scheduler.store import models
from scheduler.store.engine import db


@dataclass(frozen=True)
class BookedVisit:
    """A booked visit as a schedule change sees it (names for the person deciding: staff pages only)."""

    id: int
    reference: str
    patient_id: int
    patient_name: str
    visit_type_code: str
    provider_id: int
    starts_at: datetime
    ends_at: datetime
    kept_outside_hours: bool


@dataclass(frozen=True)
class HeldTime:
    id: int
    provider_id: int
    starts_at: datetime
    ends_at: datetime


def booked_visits(starting_from: datetime, provider_ids: frozenset[int] | None = None) -> list[BookedVisit]:
    """Booked visits that start at or after ``starting_from`` (of ``provider_ids`` only, when given)."""
    a, p, v = models.Appointment, models.Patient, models.VisitType
    query = (
        select(a.id, a.reference, a.patient_id, p.given_name, p.family_name, v.code, a.provider_id, a.starts_at,
               a.ends_at, a.kept_outside_hours)  # fmt: skip
        .join(p, p.id == a.patient_id)
        .join(v, v.id == a.visit_type_id)
        .where(a.status == AppointmentStatus.BOOKED, a.starts_at >= starting_from)
        .order_by(a.starts_at, a.id)
    )
    if provider_ids is not None:
        query = query.where(a.provider_id.in_(sorted(provider_ids)))
    return [
        BookedVisit(ident, reference, patient_id, f"{family}, {given}", code, provider_id, starts, ends, kept)
        for ident, reference, patient_id, given, family, code, provider_id, starts, ends, kept in db.session.execute(
            query
        )
    ]


def holds(ending_after: datetime, provider_ids: frozenset[int] | None = None) -> list[HeldTime]:
    """Unexpired-looking holds of times that end after ``ending_after``."""
    h = models.Hold
    query = select(h.id, h.provider_id, h.starts_at, h.ends_at).where(h.ends_at > ending_after)
    if provider_ids is not None:
        query = query.where(h.provider_id.in_(sorted(provider_ids)))
    return [HeldTime(*row) for row in db.session.execute(query)]


def drop_holds(hold_ids: Iterable[int]) -> None:
    ids = sorted(hold_ids)
    if ids:
        db.session.execute(delete(models.Hold).where(models.Hold.id.in_(ids)).execution_options(synchronize_session=False))


def write_hours(provider_id: int, pattern: Iterable[WorkBlock], effective_from: date | None) -> bool:
    """Set the provider's weekly pattern from ``effective_from`` on (None: now, replacing every
    pattern they had); a pattern set from a date replaces those set from that date or later.
    False when there is no such provider."""
    provider = db.session.get(models.Provider, provider_id)
    if provider is None:
        return False
    kept = [h for h in provider.hours if effective_from is not None and (h.effective_from or date.min) < effective_from]
    provider.hours = [
        *kept,
        *(models.ProviderHours(weekday=b.weekday, starts=b.starts, ends=b.ends, effective_from=effective_from)
          for b in pattern),
    ]  # fmt: skip
    db.session.flush()
    return True


def keep_outside_hours(appointment_id: int) -> None:
    db.session.execute(
        update(models.Appointment).where(models.Appointment.id == appointment_id).values(kept_outside_hours=True)
    )
