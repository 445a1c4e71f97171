"""Schedule changes and the visits they would strand.

A change of a provider's weekly hours (from a date on), new time off or a new closure can leave
booked visits outside their provider's hours or on a closed day. Nothing is changed silently:
the visits a change would strand are listed first (by applying the change to the catalog as a
value, here, before anything is written), and a person decides for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from scheduler.domain import catalog
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import to_clinic
from scheduler.domain.hours import Closure
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import merge
from scheduler.domain.offer import Catalog

# The longest closure one entry may add: a range is for holidays and building works, not a season.
LONGEST_CLOSURE_DAYS = 31


@dataclass(frozen=True)
class HoursChange:
    """A provider's new weekly pattern, from ``effective_from`` on (None: from now)."""

    provider_id: int
    pattern: tuple[catalog.WorkBlock, ...]
    effective_from: date | None = None

    def apply(self, offer: Catalog) -> Catalog:
        provider = offer.providers.get(self.provider_id)
        if provider is None:
            return offer
        if self.effective_from is None:
            changed = replace(provider, pattern=self.pattern, later_patterns=())
        else:
            kept = tuple(c for c in provider.later_patterns if c.effective_from < self.effective_from)
            changed = replace(
                provider, later_patterns=(*kept, catalog.PatternChange(self.effective_from, self.pattern))
            )
        return replace(offer, providers={**offer.providers, provider.id: changed})

    def providers(self) -> frozenset[int] | None:
        return frozenset({self.provider_id})

    def affects_from(self, now: datetime) -> datetime:
        """The first moment the change can affect."""
        if self.effective_from is None:
            return now
        return max(now, clinic_instant(self.effective_from, time()))


@dataclass(frozen=True)
class TimeOffChange:
    provider_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str = ""  # not shown to patients

    def apply(self, offer: Catalog) -> Catalog:
        provider = offer.providers.get(self.provider_id)
        if provider is None:
            return offer
        away = (*provider.time_off, catalog.TimeOff(self.starts_at, self.ends_at))
        return replace(offer, providers={**offer.providers, provider.id: replace(provider, time_off=away)})

    def providers(self) -> frozenset[int] | None:
        return frozenset({self.provider_id})

    def affects_from(self, now: datetime) -> datetime:
        return max(now, self.starts_at)


@dataclass(frozen=True)
class ClosureChange:
    """The clinic closed from ``first_day`` to ``last_day``: whole days, or the same part of each
    (``starts``/``ends`` None: from opening, to closing)."""

    first_day: date
    last_day: date
    name: str
    starts: time | None = None
    ends: time | None = None

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]

    def closures(self) -> list[Closure]:
        return [Closure(day, self.name, self.starts, self.ends) for day in self.days()]

    def apply(self, offer: Catalog) -> Catalog:
        calendar = replace(offer.calendar, closures=(*offer.calendar.closures, *self.closures()))
        return replace(offer, calendar=calendar)

    def providers(self) -> frozenset[int] | None:
        return None  # everyone

    def affects_from(self, now: datetime) -> datetime:
        return max(now, clinic_instant(self.first_day, time()))


ScheduleChange = HoursChange | TimeOffChange | ClosureChange


def misfit(offer: Catalog, provider_id: int, visit: Interval) -> str | None:
    """Why a visit with ``provider_id`` at ``visit`` could not be booked by the schedule in
    ``offer`` (None: it fits): a closure, outside clinic hours, outside the provider's hours, their
    time off, or a provider who no longer takes bookings."""
    calendar = offer.calendar
    day = to_clinic(visit.start).date()
    closure = calendar.closure_overlapping(visit.start, visit.end)
    if closure is not None:
        return f"The clinic is {closure.describe()}."
    if not any(i.contains(visit) for i in calendar.open_intervals(day)):
        return "Outside the clinic's hours."
    provider = offer.providers.get(provider_id)
    name = offer.provider_names.get(provider_id, "The provider")
    if provider is None:
        return f"{name} no longer takes bookings."
    # Merged: a visit may run from one block into the next (8-12 and 12-17).
    worked = merge(
        Interval(clinic_instant(day, b.starts), clinic_instant(day, b.ends)) for b in provider.blocks_for(day)
    )
    if not any(w.contains(visit) for w in worked):
        return f"Outside {name}'s hours."
    if any(Interval(t.starts_at, t.ends_at).overlaps(visit) for t in provider.time_off):
        return f"{name} is away (time off)."
    return None
