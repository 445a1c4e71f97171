"""The times a patient may choose from, grouped by day (staff pages) or day then time (the
patient's picker), and reading their choice back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.services.availability import find_availability
from scheduler.web.sane_input import query_day
from scheduler.web.sane_input import sane_year

# How many days with free times a page shows at once, and how far ahead it looks.
DAYS_PER_PAGE = 3
HORIZON_DAYS = 62
DAYS_PER_STEP = 10  # the picker's first step: about two working weeks


@dataclass(frozen=True)
class OfferedTime:
    value: str  # what the radio button posts: "<ISO start>|<provider id>"
    start: datetime
    provider_name: str


@dataclass(frozen=True)
class OfferedDay:
    """A Central date with free times: how many distinct starts, and the first of them."""

    day: date
    count: int
    earliest: datetime


def days_with_times(
    visit_type: str, specialty: str, first: date, *, provider_id: int | None = None, patient_id: int | None = None
) -> tuple[list[OfferedDay], date | None]:
    """Up to DAYS_PER_STEP days with free times from ``first`` on, and the day "later dates"
    continues from (None when nothing more is free before the horizon). ``provider_id``: only
    that provider's times (raises InvalidInput when they do not perform the visit)."""
    horizon = clinic_today(utc_now()) + timedelta(days=HORIZON_DAYS)
    starts: dict[date, set[datetime]] = {}
    day, full = first, False
    while day < horizon and not full:
        found = find_availability(
            visit_type, day, 14, specialty_code=specialty, provider_id=provider_id, patient_id=patient_id
        )
        for slot in found.slots:
            local_day = to_clinic(slot.start).date()
            if local_day not in starts:
                if len(starts) == DAYS_PER_STEP:
                    full = True
                    break
                starts[local_day] = set()
            starts[local_day].add(slot.start)
        day += timedelta(days=14)
    shown = [OfferedDay(d, len(s), min(s)) for d, s in sorted(starts.items())]
    return shown, (shown[-1].day + timedelta(days=1) if full else None)


def times_on(
    visit_type: str, specialty: str, day: date, *, provider_id: int | None = None, patient_id: int | None = None
) -> list[OfferedTime]:
    """The free starts on Central date ``day``, each once with the provider the clinic would
    choose (or ``provider_id``'s), earliest first."""
    found = find_availability(
        visit_type, day, 1, specialty_code=specialty, provider_id=provider_id, patient_id=patient_id
    )
    chosen: dict[datetime, OfferedTime] = {}
    for slot in found.slots:
        if to_clinic(slot.start).date() == day:
            provider = found.providers[slot.provider_id].described
            value = f"{slot.start.isoformat()}|{slot.provider_id}"
            chosen.setdefault(slot.start, OfferedTime(value, slot.start, provider))
    return sorted(chosen.values(), key=lambda t: t.start)


def offered_days(
    visit_type: str,
    specialty: str,
    first: date,
    *,
    patient_id: int | None = None,
    urgent: bool = False,
    provider_id: int | None = None,
    days_wanted: int = DAYS_PER_PAGE,
) -> tuple[dict[date, list[OfferedTime]], date | None]:
    """Up to ``days_wanted`` days with free times from ``first`` on (Central dates), each start
    shown once with the provider the clinic would choose (the engine ranks the lighter day first),
    and the day "show later dates" continues from (None when there is nothing more to show).
    ``urgent``: staff finding a time for an urgent patient (see find_availability);
    ``provider_id``: that provider's times only (InvalidInput when they may not be offered it)."""
    horizon = clinic_today(utc_now()) + timedelta(days=HORIZON_DAYS)
    days: dict[date, dict[datetime, OfferedTime]] = {}
    day, full = first, False
    while day < horizon and not full:
        found = find_availability(visit_type, day, 7, specialty_code=specialty, patient_id=patient_id, urgent=urgent,
                                  provider_id=provider_id)  # fmt: skip
        for slot in found.slots:
            local_day = to_clinic(slot.start).date()
            if local_day not in days:
                if len(days) == days_wanted:
                    full = True
                    break
                days[local_day] = {}
            offered = OfferedTime(
                f"{slot.start.isoformat()}|{slot.provider_id}", slot.start, found.providers[slot.provider_id].described
            )
            days[local_day].setdefault(slot.start, offered)
        day += timedelta(days=7)
    shown = {d: sorted(times.values(), key=lambda t: t.start) for d, times in sorted(days.items())}
    return shown, (max(shown) + timedelta(days=1) if full else None)


def first_day_asked() -> date:
    """The ``from`` date of "show later dates", kept between today and the horizon (InvalidInput
    naming ``from`` for a year outside 1900-2200, see sane_input.query_day)."""
    today = clinic_today(utc_now())
    asked = query_day("from") or today
    return min(max(asked, today), today + timedelta(days=HORIZON_DAYS))


def parse_choice(value: str | None) -> tuple[datetime | None, int | None]:
    """(start, provider id) from a posted choice; (None, None) when it is not a time at all."""
    start_text, _, provider_text = (value or "")[:80].partition("|")
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        return None, None
    if start.tzinfo is None or not sane_year(start.year):  # year 9999 would overflow the booking rules
        return None, None
    return start, int(provider_text) if provider_text.isdigit() and len(provider_text) < 10 else None
