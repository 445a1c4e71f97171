"""Time rules: UTC in storage, America/Chicago for clinic rules, Central time on screens.

Every datetime that crosses a function boundary here is timezone-aware. Local wall-clock values
(a ``date`` plus a ``time``) are turned into instants only through :func:`clinic_instant`, which
lets zoneinfo apply the right offset on daylight-saving days.
"""

from __future__ import annotations

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
