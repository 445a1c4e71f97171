"""Free slots: provider pattern AND clinic hours, MINUS closures, time off and reservations.

Cost is linear in the days, providers and reservations of the window asked for (each provider-
day's starts come from the catalog's :class:`WorkingTime`, and one walk over them and the day's
reservations rules out those they overlap), never in the clinic's whole history: callers pass only
the reservations that overlap the window.
"""

from __future__ import annotations

from bisect import bisect_left
from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import partial
from operator import itemgetter
from typing import Any
from typing import NamedTuple

from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import Room
from scheduler.domain.catalog import VisitType
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import days_from
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import intersect
from scheduler.domain.intervals import merge
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
    away = [Interval(t.starts_at, t.ends_at) for t in provider.time_off]
    return subtract(_worked(provider, day, open_today), [*away, *busy])


def _worked(provider: Provider, day: date, open_today: list[Interval]) -> list[Interval]:
    worked = [
        Interval(clinic_instant(day, block.starts), clinic_instant(day, block.ends))
        for block in provider.blocks_for(day)
    ]
    return intersect(worked, open_today) if worked else []


class WorkingTime:
    """What a catalog alone decides about each Central day: when the clinic is open, when each
    provider works then, less their time off, and the grid starts a visit of each length could
    take in that time. Bookings change far more often than the catalog, so
    one of these per catalog snapshot spares every availability question made with it this part
    of the work (most of it, for a day with few bookings).

    The providers given must be the catalog's (their id names them). Remembers at most ``limit``
    days and provider-days, and ``starts_limit`` provider-days of starts, forgetting the oldest
    first; safe to share between threads (at worst
    a day is worked out twice).
    """

    def __init__(self, calendar: ClinicCalendar, limit: int = 20_000, starts_limit: int = 5_000) -> None:
        self.calendar = calendar
        self.limit = limit
        self.starts_limit = starts_limit
        self._days: dict[date, tuple[datetime, datetime, list[Interval]]] = {}
        self._free: dict[tuple[int, date], list[Interval]] = {}
        self._grid: dict[date, dict[int, datetime]] = {}
        self._starts: dict[tuple[int, date, int], tuple[Slot, ...]] = {}

    def day(self, day: date) -> tuple[datetime, datetime, list[Interval]]:
        """Central midnight starting ``day``, its opening time (the grid's anchor) and the
        intervals the clinic is open (none on weekends and closed days)."""
        found = self._days.get(day)
        if found is None:
            found = (
                clinic_instant(day, time()),
                clinic_instant(day, self.calendar.hours.opens),
                self.calendar.open_intervals(day),
            )
            self._keep(self._days, day, found)
        return found

    def free(self, provider: Provider, day: date) -> list[Interval]:
        """When ``provider`` works on ``day`` within clinic hours, less time off (not bookings)."""
        key = (provider.id, day)
        found = self._free.get(key)
        if found is None:
            midnight, _, open_today = self.day(day)
            found = _worked(provider, day, open_today)
            if found and provider.time_off:
                after = self.day(day + timedelta(days=1))[0]
                away = [Interval(t.starts_at, t.ends_at) for t in provider.time_off]
                found = subtract(found, [i for i in away if i.start < after and i.end > midnight])
            self._keep(self._free, key, found)
        return found

    def starts(self, provider: Provider, day: date, minutes: int) -> tuple[Slot, ...]:
        """Every start on the day's grid at which a visit of ``minutes`` fits in the time
        :meth:`free` gives, earliest first, as slots with no room: before any booking.

        Only the catalog decides them, so every question under this catalog shares them, and
        shares their instants: one datetime object per grid point, whose hash Python keeps (an
        answer's text is looked up by instant, and hashing a new aware datetime costs more than
        the lookup). At most ``starts_limit`` provider-days and days of grid points are kept
        (about 3 KB and 2 KB each)."""
        key = (provider.id, day, minutes)
        found = self._starts.get(key)
        if found is None:
            found = tuple(self._grid_starts(provider, day, minutes))
            self._keep(self._starts, key, found, self.starts_limit)
        return found

    def _grid_starts(self, provider: Provider, day: date, minutes: int) -> Iterator[Slot]:
        free = self.free(provider, day)
        if not free:
            return
        _, anchor, _ = self.day(day)
        grid = self._grid.get(day)
        if grid is None:
            grid = {}
            self._keep(self._grid, day, grid, self.starts_limit)
        step = timedelta(minutes=self.calendar.hours.grid_minutes)
        duration = timedelta(minutes=minutes)
        span, uneven = divmod(minutes, self.calendar.hours.grid_minutes)

        def point(k: int) -> datetime:
            moment = grid.get(k)
            if moment is None:
                moment = grid[k] = anchor + k * step
            return moment

        for piece_start, piece_end in free:
            first = -((anchor - piece_start) // step) if piece_start > anchor else 0  # ceiling division
            stop = (piece_end - duration - anchor) // step + 1  # past the latest start that fits
            for k in range(first, stop):
                start = point(k)
                yield _new_slot((start, start + duration if uneven else point(k + span), provider.id, None))

    def _keep(self, memo: dict[Any, Any], key: Any, value: Any, limit: int | None = None) -> None:
        if len(memo) >= (limit or self.limit):
            memo.pop(next(iter(memo)), None)  # the oldest (dicts keep insertion order)
        memo[key] = value


# Slots are made by the thousand per request: tuple.__new__ directly costs half of Slot(...),
# whose generated __new__ is a Python function.
_new_slot = partial(tuple.__new__, Slot)


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
    working: WorkingTime | None = None,
) -> list[Slot]:
    """Every start on the clinic's grid at which ``visit_type`` fits, earliest first.

    ``busy`` maps resource keys (:func:`provider_resource`, :func:`room_resource`) to the
    reservations overlapping the window. A visit that needs a room is offered only when the
    provider and at least one room of that kind are both free; the slot names the first such room.
    Ties at the same start go to the provider with the lighter day (fewer booked minutes).
    ``working``: the :class:`WorkingTime` kept for this catalog (used only if made for this
    ``calendar``), else one is made for this call.
    """
    if working is None or working.calendar is not calendar:
        working = WorkingTime(calendar)
    candidate_rooms = [r for r in rooms if visit_type.room_kind and r.kind == visit_type.room_kind]
    if visit_type.room_kind and not candidate_rooms:
        return []
    duration = timedelta(minutes=visit_type.minutes)
    days_and_the_next = days_from(first_day, days + 1)
    days_wanted = days_and_the_next[:-1]
    midnights = [working.day(day)[0] for day in days_and_the_next]
    # Bucket every resource's reservations by Central day once, so each provider-day works on
    # its own few intervals rather than the whole window's.
    busy_by_day = {key: _by_day(intervals, days_wanted, midnights) for key, intervals in busy.items()}
    patient_by_day = _by_day(patient_busy, days_wanted, midnights)
    provider_keys = [(provider, provider_resource(provider.id)) for provider in providers]
    found: list[Slot] = []
    for day in days_wanted:
        _, _, open_today = working.day(day)
        if not open_today:
            continue
        room_indexes = [
            (room.id, _FreeIndex(subtract(open_today, busy_by_day.get(room_resource(room.id), {}).get(day, ()))))
            for room in candidate_rooms
        ]
        patient_today = patient_by_day.get(day, [])
        offers: list[tuple[list[Interval], int, Sequence[Slot]]] = []
        for provider, resource in provider_keys:
            # The provider's starts before any booking (kept for the catalog), less those that
            # are too soon or overlap a reservation of the provider or the patient.
            mine: Sequence[Slot] = working.starts(provider, day, visit_type.minutes)
            if not mine:
                continue
            if mine[0].start < not_before:
                mine = mine[bisect_left(mine, not_before, key=_slot_start) :]
            booked = busy_by_day.get(resource, {}).get(day, [])
            if booked or patient_today:
                mine = _clear_of(mine, [*booked, *patient_today], duration)
            if room_indexes:
                placed = []
                for start, end, pid, _ in mine:
                    room_id = next((rid for rid, idx in room_indexes if idx.fits(start, end)), None)
                    if room_id is not None:
                        placed.append(_new_slot((start, end, pid, room_id)))
                mine = placed
            if mine:
                offers.append((booked, provider.id, mine))
        if len(offers) == 1:
            found += offers[0][2]
        elif offers:
            # Each provider's times are in order; a stable sort by start of the lists laid end to
            # end, lightest day (fewest booked minutes, then lowest id) first, breaks ties at one
            # start the same way. One provider's reservations never overlap (the database
            # refuses it): their minutes add up without a merge.
            offers.sort(key=lambda offer: (sum((i.end - i.start for i in offer[0]), timedelta()), offer[1]))
            today = [slot for offer in offers for slot in offer[2]]
            today.sort(key=_slot_start)
            found += today
    return found


def _clear_of(starts: Sequence[Slot], blocked: Iterable[Interval], duration: timedelta) -> Sequence[Slot]:
    """The slots of ``starts`` (in order, each ``duration`` long) that overlap none of ``blocked``.

    A slot overlaps ``[b0, b1)`` when it starts after ``b0 - duration`` and before ``b1``. The
    bookings are joined where they touch (a full day is one stretch), then one walk over both, in
    order, keeps the slots between the stretches; the slots after the last are kept by slicing.
    (A walk beats bisecting per stretch: a day has a few dozen starts, and a bisection calls its
    key at every probe.)"""
    kept: list[Slot] = []
    at = 0
    count = len(starts)
    for b0, b1 in merge(blocked):
        last_clear = b0 - duration
        while at < count and starts[at][0] <= last_clear:
            kept.append(starts[at])
            at += 1
        while at < count and starts[at][0] < b1:
            at += 1
        if at == count:
            return kept
    kept += starts[at:]
    return kept


_slot_start = itemgetter(0)


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
