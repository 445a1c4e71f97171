"""Morning and afternoon, and free times grouped the way people choose them: a day first, then a
part of that day, then a time.

The clinic's parts of the day are Central wall-clock ones, split at noon: a visit starting before
12:00 Central is a morning visit, one starting at noon or later an afternoon visit (the patient
pages, the waitlist and the request queue's preferences all mean this by them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from enum import StrEnum
from typing import Generic
from typing import Protocol
from typing import TypeVar

from scheduler.domain.clock import to_clinic

NOON = time(12)


class PartOfDay(StrEnum):
    """As the public preferences page names them: morning (8 a.m. to noon), afternoon (noon to 5 p.m.)."""

    MORNING = "morning"
    AFTERNOON = "afternoon"

    @classmethod
    def of(cls, moment: datetime) -> PartOfDay:
        """The part of the clinic day a visit starting at ``moment`` (aware) is in."""
        return cls.MORNING if to_clinic(moment).time() < NOON else cls.AFTERNOON

    @property
    def heading(self) -> str:
        """ "Morning", "Afternoon": the words above a part's times."""
        return self.value.capitalize()


class Timed(Protocol):
    """Anything offered at a start (an aware instant)."""

    @property
    def start(self) -> datetime: ...


T = TypeVar("T", bound=Timed)


@dataclass(frozen=True)
class DayOfTimes(Generic[T]):
    """One Central date's times: its parts of the day that have any, in order (morning first),
    each part's times earliest first."""

    day: date
    parts: tuple[tuple[PartOfDay, tuple[T, ...]], ...]

    @property
    def times(self) -> tuple[T, ...]:
        return tuple(t for _, times in self.parts for t in times)

    @property
    def count(self) -> int:
        return sum(len(times) for _, times in self.parts)


def by_day_and_part(times: Iterable[T]) -> list[DayOfTimes[T]]:
    """``times`` grouped by the Central date they start on (earliest day first) and, within a
    day, by part of the day (morning, then afternoon; a part without times is left out), each
    group earliest first. Two times with the same start keep the order they came in. Raises
    ValueError for a naive start."""
    days: dict[date, dict[PartOfDay, list[T]]] = {}
    for offered in sorted(times, key=lambda t: to_clinic(t.start)):
        local = to_clinic(offered.start)
        part = PartOfDay.MORNING if local.time() < NOON else PartOfDay.AFTERNOON
        days.setdefault(local.date(), {}).setdefault(part, []).append(offered)
    return [
        DayOfTimes(day, tuple((part, tuple(parts[part])) for part in PartOfDay if part in parts))
        for day, parts in days.items()
    ]
