"""The waitlist: who is waiting for an earlier time, whether a freed time fits them, and who is
offered it first (DOMAIN.md, "Waitlist").

Pure rules over values: the services load entries and freed times, ask :func:`why_not` (or
:func:`fits`) and :func:`batch`, and write what follows. Every refusal carries its reason, so staff
can be told why nobody was offered a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum

from scheduler.domain.catalog import Provider
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import require_aware
from scheduler.domain.clock import to_clinic
from scheduler.domain.day_parts import PartOfDay as PartOfDay  # where it was first defined
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import subtract
from scheduler.domain.messages import Reachable

# How long an entry waits unless renewed, and when the patient is asked to renew it.
ENTRY_DAYS = 90
EXPIRING_NOTICE = timedelta(days=7)
# Offers in batches of this many entries, each offer held this long (defaults; per visit type as data).
BATCH_SIZE = 3
OFFER_HOLD_MINUTES = 30
# Nobody gets more than this many offers in this window, however many times free up.
OFFERS_PER_PATIENT = 3
OFFER_WINDOW = timedelta(days=7)


class Priority(StrEnum):
    URGENT = "urgent"
    ROUTINE = "routine"


class EntryStatus(StrEnum):
    """waiting -> booked (a claim filled it), left (the patient or staff took it off), expired."""

    WAITING = "waiting"
    BOOKED = "booked"
    LEFT = "left"
    EXPIRED = "expired"


class OfferStatus(StrEnum):
    """An offer of one freed time to a batch: open while held, then claimed or expired; withdrawn
    when the time could no longer be kept (never written by a claim)."""

    OPEN = "open"
    CLAIMED = "claimed"
    EXPIRED = "expired"


class RecipientOutcome(StrEnum):
    """What became of one entry's offer: still offered, claimed by them, taken by someone else
    of the batch, or expired unclaimed."""

    OFFERED = "offered"
    CLAIMED = "claimed"
    TAKEN = "taken"
    EXPIRED = "expired"


class FreedCause(StrEnum):
    CANCELLED = "cancelled"
    MOVED = "moved"
    HOLD_EXPIRED = "hold-expired"
    OFFER_EXPIRED = "offer-expired"
    STAFF = "staff"  # hours extended or time off removed: told by the schedule's own code


@dataclass(frozen=True)
class Windows:
    """When a patient could come: dates (both ends included, Central; None: open-ended), weekdays
    (Monday=0; empty: any clinic day) and parts of the day (empty: any)."""

    earliest: date | None = None
    latest: date | None = None
    weekdays: frozenset[int] = frozenset()
    parts_of_day: frozenset[PartOfDay] = frozenset()

    def why_not(self, start: datetime) -> str | None:
        local = to_clinic(start)
        day = local.date()
        if self.earliest is not None and day < self.earliest:
            return "before the earliest date they gave"
        if self.latest is not None and day > self.latest:
            return "after the latest date they gave"
        if self.weekdays and day.weekday() not in self.weekdays:
            return "not on a weekday they gave"
        if self.parts_of_day and PartOfDay.of(start) not in self.parts_of_day:
            return "not in a part of the day they gave"
        return None


@dataclass(frozen=True)
class WaitlistEntry:
    """A patient waiting for a time of ``visit_type`` (with one of ``provider_ids``; empty: anyone
    capable), optionally instead of their booked visit ``replaces_appointment_id`` (which then
    starts at ``replaces_starts_at``: only an earlier time is worth offering)."""

    id: int
    reference: str
    patient_id: int
    visit_type: str
    windows: Windows
    created_at: datetime
    expires_at: datetime
    provider_ids: frozenset[int] = frozenset()
    replaces_appointment_id: int | None = None
    replaces_starts_at: datetime | None = None
    priority: Priority = Priority.ROUTINE
    reach: Reachable = Reachable(email=True, sms=False)
    status: EntryStatus = EntryStatus.WAITING

    def active(self, now: datetime) -> bool:
        return self.status is EntryStatus.WAITING and self.expires_at > now


@dataclass(frozen=True)
class FreedTime:
    """A time that became free: ``visit_type``'s length with ``provider_id`` from ``start`` to ``end``."""

    visit_type: str
    provider_id: int
    start: datetime
    end: datetime


def default_expiry(now: datetime) -> datetime:
    return require_aware(now) + timedelta(days=ENTRY_DAYS)


def why_not(
    entry: WaitlistEntry,
    freed: FreedTime,
    provider: Provider | None,
    visit_type_notice: timedelta,
    closures: ClinicCalendar,
    now: datetime,
) -> str | None:
    """Why ``freed`` must not be offered to ``entry``, or None when it fits.

    ``provider``: the freed time's provider as the catalog has them now (None: gone or inactive);
    ``visit_type_notice``: the least time between an offer and the visit's start; ``closures``: the
    clinic's hours and closures. The rules, in order: the entry is waiting and unexpired; the same
    visit type; a provider who performs it and whom the entry accepts; inside the entry's dates,
    weekdays and parts of the day; an earlier time than the visit it replaces; outside the notice;
    inside clinic hours and on no closure."""
    if not entry.active(now):
        return "the entry is not waiting"
    if entry.visit_type != freed.visit_type:
        return "another visit type"
    if provider is None or provider.id != freed.provider_id or not provider.does(freed.visit_type):
        return "the provider does not perform this visit"
    if entry.provider_ids and provider.id not in entry.provider_ids:
        return "a provider they did not choose"
    outside = entry.windows.why_not(freed.start)
    if outside is not None:
        return outside
    if entry.replaces_appointment_id is not None and (
        entry.replaces_starts_at is None or freed.start >= entry.replaces_starts_at
    ):
        return "no earlier than the visit they have"
    if freed.start < now + visit_type_notice:
        return "inside the visit type's minimum notice"
    if not _open_for(freed, closures):
        return "outside clinic hours or on a closure"
    return None


def fits(
    entry: WaitlistEntry,
    freed: FreedTime,
    provider: Provider | None,
    visit_type_notice: timedelta,
    closures: ClinicCalendar,
    now: datetime,
) -> bool:
    """Whether ``freed`` may be offered to ``entry`` (see :func:`why_not`)."""
    return why_not(entry, freed, provider, visit_type_notice, closures, now) is None


def _open_for(freed: FreedTime, calendar: ClinicCalendar) -> bool:
    day = to_clinic(freed.start).date()
    return any(piece.start <= freed.start and freed.end <= piece.end for piece in calendar.open_intervals(day))


def batch(
    entries: Iterable[WaitlistEntry],
    size: int = BATCH_SIZE,
    offers_in_last_7_days: Mapping[int, int] | None = None,
) -> list[WaitlistEntry]:
    """The entries to offer a time to together: urgent first, then the longest waiting; at most
    ``size``; one entry per patient; nobody who has had OFFERS_PER_PATIENT offers in the last week
    (``offers_in_last_7_days``: by patient id)."""
    counts = offers_in_last_7_days or {}
    chosen: list[WaitlistEntry] = []
    patients: set[int] = set()
    ranked = sorted(entries, key=lambda e: (e.priority is not Priority.URGENT, e.created_at, e.id))
    for entry in ranked:
        if len(chosen) >= size:
            break
        if entry.patient_id in patients or counts.get(entry.patient_id, 0) >= OFFERS_PER_PATIENT:
            continue
        chosen.append(entry)
        patients.add(entry.patient_id)
    return chosen


def starts_within(start: datetime, end: datetime, minutes: int, calendar: ClinicCalendar) -> list[datetime]:
    """The starts of a ``minutes``-long visit that fit wholly inside ``start``-``end`` and inside
    the clinic's open time (hours, closures), on the clinic's grid, earliest first: where a freed
    span (time off removed, a closure lifted) could hold visits."""
    require_aware(start)
    found: list[datetime] = []
    step = timedelta(minutes=calendar.hours.grid_minutes)
    length = timedelta(minutes=minutes)
    day = to_clinic(start).date()
    last = to_clinic(end).date()
    while day <= last:
        for piece in calendar.open_intervals(day):
            first = max(piece.start, start)
            # Open pieces start on the grid: count whole steps from the piece's start.
            moment = piece.start + -((piece.start - first) // step) * step
            while moment + length <= min(piece.end, end):
                found.append(moment)
                moment += step
        day += timedelta(days=1)
    return found


# How far ahead hours extended are offered to the waitlist: the weeks patients wait for.
HOURS_ADDED_DAYS = 56


def hours_added(before: Provider, after: Provider, first_day: date, days: int = HOURS_ADDED_DAYS) -> list[Interval]:
    """The time ``after`` (a provider's new weekly pattern) works that ``before`` did not, day by
    day from ``first_day`` (Central) for ``days`` days: what extending their hours frees."""
    added: list[Interval] = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        old = [Interval(clinic_instant(day, b.starts), clinic_instant(day, b.ends)) for b in before.blocks_for(day)]
        new = [Interval(clinic_instant(day, b.starts), clinic_instant(day, b.ends)) for b in after.blocks_for(day)]
        added += subtract(new, old)
    return added


def sms_in_time(earliest_text: datetime, offer_expires_at: datetime) -> bool:
    """Whether a text that may go at ``earliest_text`` (after quiet hours and the texting pace)
    still reaches the patient before the offer runs out; if not, the offer goes by email only."""
    return earliest_text < offer_expires_at


def expiring_soon(entry: WaitlistEntry, now: datetime) -> bool:
    """Whether the patient should be asked to renew: waiting, and expiring within EXPIRING_NOTICE."""
    return entry.active(now) and entry.expires_at - now <= EXPIRING_NOTICE
