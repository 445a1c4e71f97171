"""The times a patient may choose from, grouped by day, and reading their choice back."""

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


@dataclass(frozen=True)
class OfferedTime:
    value: str  # what the radio button posts: "<ISO start>|<provider id>"
    start: datetime
    provider_name: str


def offered_days(
    visit_type: str, specialty: str, first: date, *, patient_id: int | None = None, urgent: bool = False
) -> tuple[dict[date, list[OfferedTime]], date | None]:
    """Up to DAYS_PER_PAGE days with free times from ``first`` on (Central dates), each start shown
    once with the provider the clinic would choose (the engine ranks the lighter day first), and
    the day "show later dates" continues from (None when there is nothing more to show).
    ``urgent``: staff finding a time for an urgent patient (see find_availability)."""
    horizon = clinic_today(utc_now()) + timedelta(days=HORIZON_DAYS)
    days: dict[date, dict[datetime, OfferedTime]] = {}
    day, full = first, False
    while day < horizon and not full:
        found = find_availability(visit_type, day, 7, specialty_code=specialty, patient_id=patient_id, urgent=urgent)
        for slot in found.slots:
            local_day = to_clinic(slot.start).date()
            if local_day not in days:
                if len(days) == DAYS_PER_PAGE:
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
