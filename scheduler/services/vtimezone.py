"""America/Chicago as an iCalendar VTIMEZONE, for the invites in emails and the staff feeds.

icalendar's ``Timezone.from_tzinfo`` (7.x) gives each daylight-saving onset as the first wall-clock
time after it (03:00) rather than the time it happens at in the offset it leaves, as RFC 5545
3.8.3 asks of a DTSTART in a STANDARD or DAYLIGHT component: DST begins at 02:00 CST (-0600 to
-0500) and ends at 02:00 CDT (-0500 to -0600). So the transitions are taken here from tzdata (the
zoneinfo the rest of the clinic uses) and written with icalendar's components.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from functools import lru_cache

from icalendar import Timezone
from icalendar import TimezoneDaylight
from icalendar import TimezoneStandard

from scheduler.domain.clock import CLINIC_TZ

_DAY = timedelta(days=1)


def transitions(zone: tzinfo, first: date, last: date) -> list[tuple[datetime, timedelta, timedelta, str, bool]]:
    """Every change of ``zone``'s offset from ``first`` to ``last``, and the one in force on ``first``:
    (the moment in UTC, offset before, offset after, name after, whether daylight saving after).
    Found day by day in UTC, then to the minute, so no assumption about the rules is made."""

    def offset(moment: datetime) -> timedelta:
        value = moment.astimezone(zone).utcoffset()
        assert value is not None
        return value

    found = []
    moment = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=400)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + _DAY
    while moment < end:
        following = moment + _DAY
        before, after = offset(moment), offset(following)
        if before != after:
            low, high = moment, following  # offset(low) == before != offset(high)
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if offset(middle) == before:
                    low = middle
                else:
                    high = middle
            local = high.astimezone(zone)
            found.append((high, before, after, local.tzname() or "", bool(local.dst())))
        moment = following
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    earlier = [t for t in found if t[0] <= start]
    return earlier[-1:] + [t for t in found if t[0] > start]


@lru_cache(maxsize=32)
def clinic_vtimezone(first: date, last: date) -> Timezone:
    """America/Chicago from ``first`` to ``last``: one STANDARD and one DAYLIGHT component, each
    with its first onset as DTSTART and the later ones as RDATE lines, every onset in the local time of
    the offset it leaves (TZOFFSETFROM). Cached: callers must not change what they are given."""
    timezone = Timezone()
    timezone.add("tzid", CLINIC_TZ.key)
    grouped: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = {}
    for moment, before, after, name, daylight in transitions(CLINIC_TZ, first, last):
        onset = (moment + before).replace(tzinfo=None)  # wall-clock time in the offset it leaves
        grouped.setdefault((daylight, before, after, name), []).append(onset)
    for (daylight, before, after, name), onsets in grouped.items():
        component = TimezoneDaylight() if daylight else TimezoneStandard()
        component.add("dtstart", onsets[0])
        for onset in onsets[1:]:  # one RDATE each: vobject (0.9) reads only the first of a list
            component.add("rdate", onset)
        component.add("tzname", name)
        component.add("tzoffsetfrom", before)
        component.add("tzoffsetto", after)
        timezone.add_component(component)
    return timezone
