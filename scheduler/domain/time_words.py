"""How times and dates are written for people: the one place for it, patients' pages, staff pages
and messages alike (machine formats, ISO-8601 in the API, feeds and CSV files, are not here).

The clinic's style, as its letters write it, in Central time:

- a time of day: "8 a.m.", "8:45 a.m.", "noon", "12:15 p.m." (:func:`clock`, :func:`time_of_day`);
  a time that stands alone carries its abbreviation, "8:45 a.m. CST" (:func:`clock_time`);
- a day: "Monday, December 7, 2026" (:func:`long_day`), or "Mon Dec 7, 2026" where space is
  short, in tables and headings of columns (:func:`short_day`);
- a moment: "Monday, December 7, 2026 at 8:45 a.m. CST" (:func:`long_when`), or
  "Mon Dec 7, 2026 at 8:45 a.m. CST" (:func:`short_when`);
- a birth date (not a moment: no time zone), "03/27/1970" (:func:`birth_date`), the order staff
  read and type it in (the phone console's search takes it so).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time

from scheduler.domain.clock import to_clinic

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def clock(moment: time, *, seconds: bool = False) -> str:
    """A wall-clock time, 12-hour: "8 a.m.", "12:30 p.m.", "noon" (``seconds``: "8:00:05 a.m.").

    Written from the numbers, not strftime, so the words never depend on the process's locale."""
    if seconds:
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment.minute:02d}:{moment.second:02d} {'a.m.' if moment.hour < 12 else 'p.m.'}"
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    hour = moment.hour % 12 or 12
    suffix = "a.m." if moment.hour < 12 else "p.m."
    return f"{hour}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour} {suffix}"


def time_of_day(moment: datetime, *, seconds: bool = False) -> str:
    """The Central wall-clock time of an instant, "8:45 a.m.", where the page says the zone once."""
    return clock(to_clinic(moment).time(), seconds=seconds)


def clock_time(moment: datetime, *, seconds: bool = False) -> str:
    """A time standing alone: "8:45 a.m. CST" (CST or CDT, as the clinic's clocks read then)."""
    local = to_clinic(moment)
    return f"{clock(local.time(), seconds=seconds)} {local.tzname()}"


def _day_of(when: date | datetime) -> date:
    return to_clinic(when).date() if isinstance(when, datetime) else when


def long_day(when: date | datetime) -> str:
    """ "Monday, December 7, 2026" (an instant: its Central date)."""
    day = _day_of(when)
    return f"{WEEKDAY_NAMES[day.weekday()]}, {MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def short_day(when: date | datetime) -> str:
    """ "Mon Dec 7, 2026" (an instant: its Central date)."""
    day = _day_of(when)
    return f"{WEEKDAY_NAMES[day.weekday()][:3]} {MONTH_NAMES[day.month - 1][:3]} {day.day}, {day.year}"


def long_when(moment: datetime) -> str:
    """ "Monday, December 7, 2026 at 8:45 a.m. CST"."""
    return f"{long_day(moment)} at {clock_time(moment)}"


def short_when(moment: datetime, *, seconds: bool = False) -> str:
    """ "Mon Dec 7, 2026 at 8:45 a.m. CST" (``seconds``, for the audit trail: "8:45:05 a.m.")."""
    return f"{short_day(moment)} at {clock_time(moment, seconds=seconds)}"


def birth_date(day: date) -> str:
    """ "03/27/1970"."""
    return f"{day.month:02d}/{day.day:02d}/{day.year}"
