"""Free slots: provider pattern AND clinic hours, MINUS closures, time off and reservations.

Cost is linear in the days, providers and reservations of the window asked for (merge once, then
bisect per candidate), never in the clinic's whole history: callers pass only the reservations
that overlap the window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import NamedTuple

from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import Room
from scheduler.domain.catalog import VisitType
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import days_from
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import intersect
from scheduler.domain.intervals import subtract


class Slot(NamedTuple):
    """An offered time. A NamedTuple rather than a frozen dataclass: thousands are built per
    availability request and tuples are several times cheaper to create."""

    start: datetime
    end: datetime
    provider_id: int
    room_id: int | None


def provider_resource(provider_id: int) -> str:
    return f"provider:{provider_id}"


def room_resource(room_id: int) -> str:
    return f"room:{room_id}"


def patient_resource(patient_id: int) -> str:
    return f"patient:{patient_id}"


Busy = Mapping[str, Sequence[Interval]]


class _FreeIndex:
    """Sorted disjoint free intervals with an O(log n) 'does this interval fit' test."""

    __slots__ = ("starts", "ends")

    def __init__(self, free: list[Interval]) -> None:
        self.starts = [i.start for i in free]
        self.ends = [i.end for i in free]

    def fits(self, start: datetime, end: datetime) -> bool:
        k = bisect_right(self.starts, start) - 1
        return k >= 0 and self.ends[k] >= end


def provider_free_intervals(
    provider: Provider, day: date, open_today: list[Interval], busy: Sequence[Interval]
) -> list[Interval]:
    """When ``provider`` is free on ``day``: their pattern within clinic hours, minus time off and busy."""
    worked = [
        Interval(clinic_instant(day, block.starts), clinic_instant(day, block.ends))
        for block in provider.blocks_for(day)
    ]
    if not worked:
        return []
    away = [Interval(t.starts_at, t.ends_at) for t in provider.time_off]
    return subtract(intersect(worked, open_today), [*away, *busy])


def free_slots(
    *,
    visit_type: VisitType,
    providers: Sequence[Provider],
    rooms: Sequence[Room],
    calendar: ClinicCalendar,
    first_day: date,
    days: int,
    busy: Busy,
    not_before: datetime,
    patient_busy: Sequence[Interval] = (),
) -> list[Slot]:
    """Every start on the clinic's grid at which ``visit_type`` fits, earliest first.

    ``busy`` maps resource keys (:func:`provider_resource`, :func:`room_resource`) to the
    reservations overlapping the window. A visit that needs a room is offered only when the
    provider and at least one room of that kind are both free; the slot names the first such room.
    Ties at the same start go to the provider with the lighter day (fewer booked minutes).
    """
    duration = timedelta(minutes=visit_type.minutes)
    step = timedelta(minutes=calendar.hours.grid_minutes)
    candidate_rooms = [r for r in rooms if visit_type.room_kind and r.kind == visit_type.room_kind]
    if visit_type.room_kind and not candidate_rooms:
        return []
    days_wanted = days_from(first_day, days)
    midnights = [clinic_instant(day, time()) for day in days_from(first_day, days + 1)]
    # Bucket every resource's reservations by Central day once, so each provider-day works on
    # its own few intervals rather than the whole window's.
    busy_by_day = {key: _by_day(intervals, days_wanted, midnights) for key, intervals in busy.items()}
    patient_by_day = _by_day(patient_busy, days_wanted, midnights)
    ranked: list[tuple[datetime, timedelta, int, Slot]] = []
    for day in days_wanted:
        open_today = calendar.open_intervals(day)
        if not open_today:
            continue
        anchor = clinic_instant(day, calendar.hours.opens)
        room_indexes = [
            (room, _FreeIndex(subtract(open_today, busy_by_day.get(room_resource(room.id), {}).get(day, ()))))
            for room in candidate_rooms
        ]
        for provider in providers:
            booked = busy_by_day.get(provider_resource(provider.id), {}).get(day, [])
            free = provider_free_intervals(provider, day, open_today, [*booked, *patient_by_day.get(day, ())])
            if not free:
                continue
            # One provider's reservations never overlap (the database refuses it): no merge needed.
            booked_minutes = sum((i.end - i.start for i in booked), timedelta())
            for piece in free:
                if piece.end - piece.start < duration:
                    continue  # most gaps between many reservations are too short: skip the grid maths
                start = _first_grid_point(piece.start if piece.start > not_before else not_before, anchor, step)
                while start + duration <= piece.end:
                    end = start + duration
                    room_id = None
                    if room_indexes:
                        room_id = next((room.id for room, idx in room_indexes if idx.fits(start, end)), None)
                    if room_id is not None or not room_indexes:
                        ranked.append((start, booked_minutes, provider.id, Slot(start, end, provider.id, room_id)))
                    start += step
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in ranked]


def _by_day(intervals: Sequence[Interval], days: list[date], midnights: list[datetime]) -> dict[date, list[Interval]]:
    """Intervals grouped under each Central day of ``days`` they touch.

    ``midnights`` are the UTC instants of Central midnight starting each day, plus the one after
    the last: a binary search places an interval without any time-zone conversion.
    """
    grouped: dict[date, list[Interval]] = {}
    last = len(days)
    for interval in intervals:
        start, end = interval
        k = bisect_right(midnights, start) - 1
        if k < 0:
            k = 0
        while k < last and midnights[k] < end:
            if start < midnights[k + 1]:
                grouped.setdefault(days[k], []).append(interval)
            k += 1
    return grouped


def _first_grid_point(moment: datetime, anchor: datetime, step: timedelta) -> datetime:
    """The first grid point at or after ``moment``, the grid running from ``anchor`` by ``step``."""
    if moment <= anchor:
        return anchor
    steps = -((anchor - moment) // step)  # ceiling division on timedeltas
    return anchor + steps * step
