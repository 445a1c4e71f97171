"""B3: the pure slot computation (no database, no HTTP) for one provider-month."""

from __future__ import annotations

import random
import timeit
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.intervals import Interval
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import provider_resource

# Monday 1 March 2027 for 29 days: 21 weekdays, no default holiday, and the DST change of 14 March.
FIRST_DAY = date(2027, 3, 1)
DAYS = 29
PROVIDER = Provider(1, "Dr. Bench", "pmr", tuple(WorkBlock(d, time(8), time(17)) for d in range(5)))
VISIT_TYPE = next(v for v in DEFAULT_VISIT_TYPES if v.code == "evaluation")  # 60 minutes, no room
CALENDAR = ClinicCalendar(ClinicHours(grid_minutes=15, opens=time(8), closes=time(17)), ())
PIECE = timedelta(minutes=5)


def _weekdays() -> list[date]:
    return [d for d in (FIRST_DAY + timedelta(days=i) for i in range(DAYS)) if d.weekday() < 5]


def reservations(count: int, *, seed: int = 2026, after_hours: bool = False) -> list[Interval]:
    """``count`` non-overlapping 5-minute reservations at random 5-minute marks of the provider's
    working hours (08:00-17:00 Central; a provider-month has 2,268 such marks, so 1,000 fit).
    ``after_hours`` puts them 17:00-24:00 instead: same cost to carry, no slot removed."""
    rng = random.Random(seed)
    opens, hours = (time(17), 7) if after_hours else (time(8), 9)
    marks = [clinic_instant(day, opens) + k * PIECE for day in _weekdays() for k in range(hours * 12)]
    return sorted(Interval(s, s + PIECE) for s in rng.sample(marks, count))


def _compute(busy: list[Interval]) -> int:
    return len(
        free_slots(
            visit_type=VISIT_TYPE,
            providers=[PROVIDER],
            rooms=[],
            calendar=CALENDAR,
            first_day=FIRST_DAY,
            days=DAYS,
            busy={provider_resource(PROVIDER.id): busy},
            not_before=datetime(2000, 1, 1).astimezone(),
        )
    )


def best_time(busy: list[Interval], *, repeat: int = 7) -> tuple[float, int]:
    """Best-of-``repeat`` seconds per call (timeit, each repeat ~0.2 s), and how many slots it returned."""
    timer = timeit.Timer(lambda: _compute(busy))
    number, _ = timer.autorange()
    number = max(1, number)
    best = min(timer.repeat(repeat=repeat, number=number)) / number
    return best, _compute(busy)


def run() -> dict[str, object]:
    cases = {
        "50": reservations(50),
        "200": reservations(200),
        "1000": reservations(1000),
        "1000_after_hours": reservations(1000, after_hours=True),
        "0": [],
    }
    timings = {}
    for name, busy in cases.items():
        seconds, slots = best_time(busy)
        timings[name] = {"reservations": len(busy), "ms": round(seconds * 1000, 3), "slots": slots}
    return {
        "weekdays": len(_weekdays()),
        "visit_type": VISIT_TYPE.code,
        "cases": timings,
        "ratio": timings["1000"]["ms"] / timings["50"]["ms"],
        "ratio_after_hours": timings["1000_after_hours"]["ms"] / timings["0"]["ms"],
    }
