"""The schedulers' calendar as a grid: one row per 15-minute step of the clinic day (Central),
one column per provider (day view), per day (a provider's week) or per room (the rooms' day).
Server-rendered as an HTML table, so it works with a keyboard, a screen reader and print, with
no calendar widget.

A column with nothing to show all day (no visit, no free time: the provider is away or does not
work that day, or the clinic is closed) says so once (``Column.absent``) instead of in every row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from scheduler.domain.catalog import Provider
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import intersect
from scheduler.domain.intervals import merge
from scheduler.domain.intervals import subtract


@dataclass(frozen=True)
class VisitBox:
    """A visit as the calendar shows it (no more of the patient than a scheduler needs)."""

    appointment_id: int
    start: datetime
    end: datetime
    visit_type: str  # code: picks the colour and the legend entry
    visit_type_name: str
    patient_name: str
    status: str
    urgent: bool = False
    urgent_answers: tuple[str, ...] = ()  # what made it urgent, in words (domain.urgent.urgent_answers)
    kept_outside_hours: bool = False  # kept there on purpose by a schedule change
    patient_id: int | None = None  # for the link to the patient's record
    provider_name: str = ""  # who sees the patient (the rooms' calendar names them)


@dataclass(frozen=True)
class Cell:
    kind: str  # "visit" (first row of one), "covered" (later rows of a visit), "free", "unavailable"
    visit: VisitBox | None = None
    rows: int = 1
    reason: str = ""  # why unavailable: "closed", "not working", "time off"
    outside_hours: bool = False  # a visit outside its provider's hours, in time off or on a closure


@dataclass(frozen=True)
class Column:
    key: str  # provider id or ISO date
    heading: str
    day: date
    cells: list[Cell] = field(default_factory=list)
    subheading: str = ""  # the provider's kind (day view), the room's kind (rooms' day)
    # Why the whole column is unavailable, in words ("Not working today", "Away: time off",
    # "Clinic closed"), or "" when it has a visit or a free time: the page then says it once.
    absent: str = ""


NOT_WORKING = "Not working today"
AWAY = "Away: time off"
CLOSED = "Clinic closed"


def absence(cells: list[Cell]) -> str:
    """The words for a column none of whose ``cells`` is a visit or free ("" if one is): closed
    all day, else away when time off covers any of it, else not working."""
    if any(c.kind != "unavailable" for c in cells):
        return ""
    reasons = {c.reason for c in cells}
    if reasons <= {"closed"}:
        return CLOSED
    return AWAY if "time off" in reasons else NOT_WORKING


@dataclass(frozen=True)
class Grid:
    times: list[time]
    columns: list[Column]
    notes: list[str]  # closures and time off, in words


def _steps(calendar: ClinicCalendar) -> list[time]:
    hours = calendar.hours
    steps, moment = [], datetime.combine(date(2000, 1, 3), hours.opens)
    while moment.time() < hours.closes:
        steps.append(moment.time())
        moment += timedelta(minutes=hours.grid_minutes)
    return steps


def column(
    key: str, heading: str, provider: Provider, day: date, calendar: ClinicCalendar, visits: list[VisitBox]
) -> Column:
    """One provider's ``day``: visits where they are, free where they work and the clinic is open,
    unavailable elsewhere (with the reason)."""
    open_today = calendar.open_intervals(day)
    worked = [
        Interval(clinic_instant(day, b.starts), clinic_instant(day, b.ends)) for b in provider.blocks_for(day)
    ]
    away = [Interval(t.starts_at, t.ends_at) for t in provider.time_off]

    def why_not(slot: Interval) -> str:
        if not any(o.contains(slot) for o in open_today):
            return "closed"
        if any(a.overlaps(slot) for a in away):
            return "time off"
        return "not working"

    cells = _cells(day, calendar, visits, subtract(intersect(worked, open_today), away), why_not)
    return Column(key, heading, day, cells, provider.kind_label, absence(cells))


def room_column(key: str, heading: str, subheading: str, day: date, calendar: ClinicCalendar,
                visits: list[VisitBox]) -> Column:  # fmt: skip
    """One room's ``day``: the visits booked in it, free while the clinic is open, closed elsewhere
    (a room has no hours of its own). A visit there outside the clinic's hours is marked so."""
    cells = _cells(day, calendar, visits, calendar.open_intervals(day), lambda _slot: "closed")
    return Column(key, heading, day, cells, subheading, absence(cells))


def _cells(
    day: date,
    calendar: ClinicCalendar,
    visits: list[VisitBox],
    available: list[Interval],
    why_not: Callable[[Interval], str],
) -> list[Cell]:
    """A column's cells, a grid step each: a visit fills every step it touches (and is marked when
    it is not wholly within ``available``), a step within ``available`` is free, any other is
    unavailable for ``why_not`` of it."""
    step = timedelta(minutes=calendar.hours.grid_minutes)
    available_merged = merge(available)
    cells: list[Cell] = []
    covered_until: datetime | None = None
    for moment in _steps(calendar):
        start = clinic_instant(day, moment)
        if covered_until is not None and start < covered_until:
            cells.append(Cell("covered"))
            continue
        here = next((v for v in visits if v.start <= start < v.end), None)
        if here is not None:
            rows = max(1, math.ceil((here.end - start) / step))
            outside = not any(a.contains(Interval(here.start, here.end)) for a in available_merged)
            cells.append(Cell("visit", here, rows=rows, outside_hours=outside))
            covered_until = here.end
            continue
        slot = Interval(start, start + step)
        if any(a.contains(slot) for a in available):
            cells.append(Cell("free"))
        else:
            cells.append(Cell("unavailable", reason=why_not(slot)))
    return cells


def grid(columns: list[Column], calendar: ClinicCalendar, days: list[date]) -> Grid:
    notes = [f"{c.day:%a %b} {c.day.day}: clinic {c.describe()}" for d in days for c in calendar.closures_on(d)]
    return Grid(_steps(calendar), columns, notes)
