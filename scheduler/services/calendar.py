"""The schedulers' calendars: a specialty's day with providers side by side, a provider's week,
and the rooms' day (what is booked in each room)."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.calendar_grid import Grid
from scheduler.domain.calendar_grid import VisitBox
from scheduler.domain.calendar_grid import column
from scheduler.domain.calendar_grid import grid
from scheduler.domain.calendar_grid import room_column
from scheduler.domain.catalog import room_kind_label
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.offer import Catalog
from scheduler.services import clinic
from scheduler.store import calendar as store_calendar


def _visits(provider_ids: list[int], first: date, days: int) -> dict[int, list[VisitBox]]:
    return store_calendar.visit_boxes(provider_ids, clinic.day_window(first, days))


def _offer(now: datetime | None) -> Catalog:
    # The snapshot holds time off and closures from yesterday on: past days show visits, but
    # not the closures and time off they had (a known limit of the calendar's history).
    return clinic.current_catalog(now or utc_now())


def specialty_day(specialty_code: str, day: date, *, now: datetime | None = None) -> tuple[Grid, Catalog]:
    offer = _offer(now)
    if specialty_code not in offer.specialties:
        raise NotFound("No such specialty.")
    providers = sorted(offer.providers_of(specialty_code), key=lambda p: p.name)
    visits = _visits([p.id for p in providers], day, 1)
    columns = [column(str(p.id), p.name, p, day, offer.calendar, visits[p.id]) for p in providers]
    return grid(columns, offer.calendar, [day]), offer


def provider_week(provider_id: int, monday: date, *, now: datetime | None = None) -> tuple[Grid, Catalog]:
    offer = _offer(now)
    provider = offer.providers.get(provider_id)
    if provider is None:
        raise NotFound("No such provider.")
    days = [monday + timedelta(days=i) for i in range(5)]
    visits = _visits([provider_id], monday, 5)[provider_id]
    columns = []
    for day in days:
        window = clinic.day_window(day, 1)
        on_day = [v for v in visits if window.start <= v.start < window.end]
        columns.append(column(day.isoformat(), f"{day:%a %b} {day.day}", provider, day, offer.calendar, on_day))
    return grid(columns, offer.calendar, days), offer


def rooms_day(day: date, *, now: datetime | None = None) -> tuple[Grid, Catalog]:
    """One column per room in use, by name, with what is booked in it on ``day``; a room taken
    out of use appears too when visits are still booked in it that day (they must not vanish)."""
    offer = _offer(now)
    booked = store_calendar.room_visit_boxes(sorted(offer.rooms), clinic.day_window(day, 1))
    shown = sorted(
        (room for room in offer.rooms.values() if room.id in offer.active_room_ids or booked[room.id]),
        key=lambda room: room.name,
    )
    columns = [
        room_column(
            str(room.id), room.name,
            room_kind_label(room.kind) + ("" if room.id in offer.active_room_ids else ", out of use"),
            day, offer.calendar, booked[room.id],
        )
        for room in shown
    ]  # fmt: skip
    return grid(columns, offer.calendar, [day]), offer
