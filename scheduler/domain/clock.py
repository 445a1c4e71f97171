"""Time rules: UTC in storage, America/Chicago for clinic rules, Central time on screens.

Every datetime that crosses a function boundary here is timezone-aware. Local wall-clock values
(a ``date`` plus a ``time``) are turned into instants only through :func:`clinic_instant`, which
lets zoneinfo apply the right offset on daylight-saving days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

CLINIC_TZ = ZoneInfo("America/Chicago")


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: every instant must carry its time zone")
    return moment


def clinic_instant(day: date, wall: time) -> datetime:
    """The UTC instant at which Central wall-clock ``wall`` happens on ``day``."""
    return datetime.combine(day, wall, tzinfo=CLINIC_TZ).astimezone(UTC)


def to_clinic(moment: datetime) -> datetime:
    return require_aware(moment).astimezone(CLINIC_TZ)


def clinic_today(now: datetime) -> date:
    return to_clinic(now).date()


def iso_central(moment: datetime) -> str:
    """ISO-8601 with the Central offset of that instant, e.g. ``2027-03-08T08:00:00-06:00``."""
    return to_clinic(moment).isoformat(timespec="seconds")


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))


class IsoCentralMemo:
    """:func:`iso_central` for the many instants of one answer (thousands of slots), same text.

    Each instant is formatted once, and a whole-minute UTC instant is written from parts kept per
    UTC day (the Central date's text and offset): converting to Central and formatting costs
    microseconds, and a 62-day answer has over a thousand instants. A day's parts are used only
    when its first and last minute carry the same whole-hour offset and the Central hour falls on
    the same date; any other instant (a daylight-saving night, say) goes through
    :func:`iso_central`.

    With ``limit``, it may be kept for a process's life and shared between threads: the text of
    an instant never changes, so the memo can only be missing an entry, never wrong, and once
    it holds ``limit`` instants it starts again empty. Answers then share their instants (the
    same days' grid points), which an answer's own memo formatted anew each time.
    """

    __slots__ = ("_instants", "_days", "_limit")

    def __init__(self, limit: int | None = None) -> None:
        self._instants: dict[datetime, str] = {}
        self._days: dict[date, tuple[str, int, str] | None] = {}
        self._limit = limit

    @property
    def known(self) -> Mapping[datetime, str]:
        """The texts formatted so far, to look up without a call per instant (a miss goes
        through the memo itself). A memo that starts again empty leaves this mapping as it is."""
        return self._instants

    def __call__(self, moment: datetime) -> str:
        text = self._instants.get(moment)
        if text is None:
            if self._limit is not None and len(self._instants) >= self._limit:
                self._instants = {}  # a new dict, not clear(): another thread may be reading the old one
                self._days = {}
            text = self._instants[moment] = self._format(moment)
        return text

    def _format(self, moment: datetime) -> str:
        if moment.tzinfo is not UTC or moment.second or moment.microsecond:
            return iso_central(moment)
        day = moment.date()
        try:
            parts = self._days[day]
        except KeyError:
            parts = self._days[day] = _day_parts(day)
        if parts is not None:
            prefix, hours, suffix = parts
            hour = moment.hour + hours
            if 0 <= hour < 24:
                return prefix + _TWO_DIGITS[hour] + ":" + _TWO_DIGITS[moment.minute] + suffix
        return iso_central(moment)


def _day_parts(day: date) -> tuple[str, int, str] | None:
    """("2027-03-08T", -6, ":00-06:00") for the UTC ``day``: its date, the Central offset in
    hours and the text after the minutes; None when the offset changes during it or is no whole
    number of hours."""
    try:
        first = to_clinic(datetime.combine(day, time(), tzinfo=UTC))
        last = to_clinic(datetime.combine(day, time(23, 59), tzinfo=UTC))
    except OverflowError:  # the first day of year 1 begins before Central's first date
        return None
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset() or offset % timedelta(hours=1):
        return None
    hours = offset // timedelta(hours=1)
    sign = "-" if hours < 0 else "+"
    return day.isoformat() + "T", hours, f":00{sign}{abs(hours):02d}:00"


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def ceil_to_grid(moment: datetime, minutes: int) -> datetime:
    """The first instant at or after ``moment`` that is a whole multiple of ``minutes`` in UTC.

    Clinic grid points (quarter hours from 8:00 Central) are such instants because Central's
    offsets are whole hours, so rounding a cut-off up to the grid never changes which starts pass.
    """
    step = timedelta(minutes=minutes)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + -((epoch - require_aware(moment)) // step) * step
