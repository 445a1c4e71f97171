"""Visits as calendars show them: the schedulers' day and week grids, and staff calendar feeds."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.calendar_grid import VisitBox
from scheduler.domain.intervals import Interval
from scheduler.domain.urgent import urgent_answers
from scheduler.store import models
from scheduler.store.engine import db


def visit_boxes(provider_ids: Sequence[int], window: Interval) -> dict[int, list[VisitBox]]:
    """The visits (not cancelled) of ``provider_ids`` overlapping ``window``, earliest first, by
    provider (every provider asked for has a list, empty or not)."""
    a = models.Appointment
    found: dict[int, list[VisitBox]] = {p: [] for p in provider_ids}
    for row in _visits_overlapping(a.provider_id.in_(provider_ids), window):
        found[row.provider_id].append(_box(row))
    return found


def room_visit_boxes(room_ids: Sequence[int], window: Interval) -> dict[int, list[VisitBox]]:
    """The visits (not cancelled) booked in ``room_ids`` overlapping ``window``, earliest first,
    by room (every room asked for has a list), each naming its provider."""
    a = models.Appointment
    found: dict[int, list[VisitBox]] = {r: [] for r in room_ids}
    for row in _visits_overlapping(a.room_id.in_(room_ids), window):
        assert row.room_id is not None  # chosen by room
        found[row.room_id].append(_box(row, provider_name=row.provider.name))
    return found


def _visits_overlapping(which: Any, window: Interval) -> Iterable[models.Appointment]:
    a = models.Appointment  # its provider and room are always loaded with it (lazy="joined")
    return db.session.execute(
        select(a)
        .options(joinedload(a.patient), joinedload(a.visit_type))
        .where(
            which,
            a.starts_at < window.end,
            a.ends_at > window.start,
            a.status.not_in([s.value for s in RELEASED_STATUSES]),
        )
        .order_by(a.starts_at)
    ).scalars()


def _box(row: models.Appointment, provider_name: str = "") -> VisitBox:
    return VisitBox(
        row.id,
        row.starts_at,
        row.ends_at,
        row.visit_type.code,
        row.visit_type.name,
        f"{row.patient.family_name}, {row.patient.given_name}",
        row.status,
        urgent=row.urgent,
        urgent_answers=urgent_answers(row.answers) if row.urgent else (),
        kept_outside_hours=row.kept_outside_hours,
        patient_id=row.patient_id,
        provider_name=provider_name,
    )


@dataclass(frozen=True)
class FeedEntry:
    """One visit in a calendar feed, with the patient's names (the feed shows only their initials)."""

    reference: str
    version: int
    starts_at: datetime
    ends_at: datetime
    status: str
    visit_type: str
    provider: str
    room: str | None
    given_name: str
    family_name: str


def feed_entries(
    starts_from: datetime, starts_before: datetime, *, provider_id: int | None, specialty_id: int | None
) -> list[FeedEntry]:
    """The visits (not cancelled) starting in [``starts_from``, ``starts_before``) of one provider
    (``provider_id``) or else of every provider of one specialty (``specialty_id``), earliest first."""
    a, p, v, pr, r = models.Appointment, models.Patient, models.VisitType, models.Provider, models.Room
    query = (
        select(
            a.reference,
            a.version,
            a.starts_at,
            a.ends_at,
            a.status,
            v.name,
            pr.name,
            r.name,
            p.given_name,
            p.family_name,
        )
        .join(p, p.id == a.patient_id)
        .join(v, v.id == a.visit_type_id)
        .join(pr, pr.id == a.provider_id)
        .outerjoin(r, r.id == a.room_id)
        .where(
            a.status.not_in([s.value for s in RELEASED_STATUSES]),
            a.starts_at >= starts_from,
            a.starts_at < starts_before,
        )
        .order_by(a.starts_at, a.id)
    )
    if provider_id is not None:
        query = query.where(a.provider_id == provider_id)
    else:
        query = query.where(pr.specialty_id == specialty_id)
    return [
        FeedEntry(reference, version, starts, ends, status, kind, provider, room, given, family)
        for reference, version, starts, ends, status, kind, provider, room, given, family in db.session.execute(query)
    ]


def provider_name(provider_id: int) -> str | None:
    provider = db.session.get(models.Provider, provider_id)
    return None if provider is None else provider.name


def specialty_name(specialty_id: int) -> str | None:
    specialty = db.session.get(models.Specialty, specialty_id)
    return None if specialty is None else specialty.name
