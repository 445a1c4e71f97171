"""Clinic opening hours and closures, and the open intervals they leave on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time

from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import to_clinic
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import subtract
from scheduler.domain.time_words import WEEKDAY_NAMES as WEEKDAY_NAMES
from scheduler.domain.time_words import clock


@dataclass(frozen=True)
class ClinicHours:
    """When the clinic sees patients, in Central wall-clock time."""

    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 ... Friday=4
    opens: time = time(8, 0)
    closes: time = time(17, 0)
    grid_minutes: int = 15

    def describe(self) -> str:
        days = sorted(self.weekdays)
        span = f"{WEEKDAY_NAMES[days[0]]} to {WEEKDAY_NAMES[days[-1]]}" if days else "no days"
        return f"{span}, {_clock(self.opens)} to {_clock(self.closes)} Central time"


@dataclass(frozen=True)
class Closure:
    """A day (or part of one) the whole clinic is closed.

    ``starts``/``ends`` are Central wall-clock times; ``None`` means the start or end of the
    clinic day, so ``Closure(day, None, None, ...)`` closes the whole day and
    ``Closure(day, time(12), None, ...)`` closes from noon.
    """

    day: date
    name: str
    starts: time | None = None
    ends: time | None = None

    @property
    def whole_day(self) -> bool:
        return self.starts is None and self.ends is None

    def interval(self, hours: ClinicHours) -> Interval:
        return Interval(
            clinic_instant(self.day, self.starts or hours.opens),
            clinic_instant(self.day, self.ends or hours.closes),
        )

    def describe(self) -> str:
        if self.whole_day:
            return f"closed all day for {self.name}"
        starts = self.starts or time(0)  # only a whole-day closure has neither end
        if self.ends is None:
            return f"closes at {_clock(starts)} for {self.name}"
        return f"closed from {_clock(starts)} to {_clock(self.ends)} for {self.name}"


@dataclass(frozen=True)
class ClinicCalendar:
    """Hours plus the closures known for some span of days; the input to every time rule."""

    hours: ClinicHours = ClinicHours()
    closures: tuple[Closure, ...] = field(default=())

    def closures_on(self, day: date) -> list[Closure]:
        return [c for c in self.closures if c.day == day]

    def open_intervals(self, day: date) -> list[Interval]:
        """The UTC intervals the clinic is open on ``day`` (empty on weekends and closed days).

        Computed from Central wall-clock times per day, so DST days are ordinary days here.
        """
        if day.weekday() not in self.hours.weekdays:
            return []
        opening = Interval(clinic_instant(day, self.hours.opens), clinic_instant(day, self.hours.closes))
        return subtract([opening], (c.interval(self.hours) for c in self.closures_on(day)))

    def closure_overlapping(self, start: datetime, end: datetime) -> Closure | None:
        span = Interval(start, end)
        for closure in self.closures_on(to_clinic(start).date()):
            if closure.interval(self.hours).overlaps(span):
                return closure
        return None


def _clock(moment: time) -> str:
    return clock(moment)


def clock_label(moment: time) -> str:
    """12-hour clock the way the clinic writes it: 8 a.m., 12:30 p.m., noon (domain.time_words)."""
    return clock(moment)
