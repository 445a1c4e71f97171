"""Rules a proposed visit time must pass before any database work, with the refusals' wording."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum

from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import Room
from scheduler.domain.catalog import VisitType
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import require_aware
from scheduler.domain.clock import to_clinic
from scheduler.domain.errors import BeyondHorizon
from scheduler.domain.errors import ClinicClosed
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotOnGrid
from scheduler.domain.errors import OutsideClinicHours
from scheduler.domain.errors import SlotTaken
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import clock_label
from scheduler.domain.intervals import Interval
from scheduler.domain.slots import provider_free_intervals
from scheduler.domain.time_words import clock_time
from scheduler.domain.time_words import long_day


class AppointmentStatus(StrEnum):
    """FHIR R4 Appointment.status codes, so export is a mapping, not a translation."""

    PENDING = "pending"
    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"
    ENTERED_IN_ERROR = "entered-in-error"


class RequestStatus(StrEnum):
    """A visit request waits ``open`` in its specialty's queue until a scheduler places a visit
    for it or declines it, or the patient withdraws it through their request link."""

    OPEN = "open"
    PLACED = "placed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# Statuses whose time no longer belongs to the visit: their reservations are released.
RELEASED_STATUSES = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR})


def describe_day(moment: datetime) -> str:
    """ "Monday, December 7, 2026" (domain.time_words, where every time and date is written)."""
    return long_day(moment)


def describe_time(moment: datetime) -> str:
    """ "8:45 a.m. CST" (domain.time_words)."""
    return clock_time(moment)


# How far ahead visits are booked, in days after today (Central): availability stops there, and a
# start beyond it is refused on every way in (check_visit_time), whoever asks.
BOOKING_HORIZON_DAYS = 730


def last_bookable_day(now: datetime, horizon_days: int = BOOKING_HORIZON_DAYS) -> date:
    """The last clinic day (Central) a visit may be booked on, seen from ``now``."""
    return clinic_today(now) + timedelta(days=horizon_days)


def check_within_horizon(start: datetime, *, now: datetime, horizon_days: int = BOOKING_HORIZON_DAYS) -> None:
    """Raise BeyondHorizon (field ``start``) when ``start`` is after the last bookable day.

    Compared as instants, so a start in year 9999 is refused without any arithmetic on it."""
    last = last_bookable_day(now, horizon_days)
    if require_aware(start) >= clinic_instant(last + timedelta(days=1), time(0)):
        ahead = f"{horizon_days // 365} years" if horizon_days % 365 == 0 else f"{horizon_days} days"
        raise BeyondHorizon(
            {
                "start": f"That is too far ahead: visits can be booked up to {ahead} ahead, until "
                f"{describe_day(clinic_instant(last, time(12)))}. Choose an earlier time."
            }
        )


def check_visit_time(
    start: datetime, visit_type: VisitType, calendar: ClinicCalendar, *, now: datetime, not_before: datetime
) -> Interval:
    """The visit's interval if ``start`` is a time the clinic could offer ``visit_type``.

    Raises BeyondHorizon (after the last bookable day), InvalidInput (in the past, or sooner than
    ``not_before``, the booking notice), OutsideClinicHours, ClinicClosed or NotOnGrid, in that
    order, each with a sentence that says why.
    """
    check_within_horizon(start, now=now)
    hours = calendar.hours
    end = start + timedelta(minutes=visit_type.minutes)
    local = to_clinic(start)
    day = local.date()
    if start < now:
        raise InvalidInput({"start": "That time has already passed. Choose a time in the future."})
    if start < not_before:
        raise InvalidInput(
            {
                "start": f"That time is too soon to book online: the earliest is {describe_time(not_before)} "
                f"on {describe_day(not_before)}. For a sooner visit, call the clinic."
            }
        )
    if day.weekday() not in hours.weekdays:
        raise OutsideClinicHours(
            f"The clinic is closed on {WEEKDAY_NAMES[day.weekday()]}s. It is open {hours.describe()}."
        )
    opens, closes = clinic_instant(day, hours.opens), clinic_instant(day, hours.closes)
    if start < opens:
        raise OutsideClinicHours(f"{describe_time(start)} is before the clinic opens. It is open {hours.describe()}.")
    if end > closes:
        raise OutsideClinicHours(
            f"A {visit_type.minutes}-minute visit starting at {describe_time(start)} would end after "
            f"the clinic closes at {clock_label(hours.closes)}. It is open {hours.describe()}."
        )
    closure = calendar.closure_overlapping(start, end)
    if closure is not None:
        raise ClinicClosed(f"The clinic is {closure.describe()} on {describe_day(start)}.")
    offset = start - opens
    if offset % timedelta(minutes=hours.grid_minutes) or local.second or local.microsecond:
        raise NotOnGrid(
            f"Visits start every {hours.grid_minutes} minutes from {clock_label(hours.opens)} "
            "(for example 9:00, 9:15, 9:30 or 9:45)."
        )
    return Interval(start, end)


def check_provider_free(
    provider: Provider, visit: Interval, calendar: ClinicCalendar, busy: Sequence[Interval]
) -> None:
    """Raise SlotTaken unless ``provider`` works and is free for the whole of ``visit``."""
    day = to_clinic(visit.start).date()
    free = provider_free_intervals(provider, day, calendar.open_intervals(day), busy)
    if not any(piece.contains(visit) for piece in free):
        raise SlotTaken(
            f"{provider.name} is not available at {describe_time(visit.start)} on {describe_day(visit.start)}."
        )


def first_free_room(rooms: Sequence[Room], visit: Interval, busy_by_room: dict[int, Sequence[Interval]]) -> Room | None:
    for room in rooms:
        if not any(b.overlaps(visit) for b in busy_by_room.get(room.id, ())):
            return room
    return None
