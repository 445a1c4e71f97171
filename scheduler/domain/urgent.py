"""Urgent patients: when the clinic can answer them, by when they must be called back, and the
times kept for them.

A red flag (DOMAIN.md, "Urgent patients") is never self-booked into a routine time. The patient
is told to call now when the clinic is open, or that it is closed and when it opens; either way a
call-back request is queued with a target time, which staff see counting down on the queue.
Physicians may keep blocks of their week for urgent patients only; those blocks are released to
everyone a cut-off before they start, so a quiet week wastes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.catalog import Provider
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import days_from
from scheduler.domain.clock import to_clinic
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.slots import provider_resource

# How far ahead the next opening is looked for: past any run of holidays and weekends.
_LOOKAHEAD_DAYS = 21
# Out of hours, an urgent call-back is due within the first hour of the next open day.
FIRST_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ClinicNow:
    """Whether the clinic is open at a moment, and what an urgent patient is told then."""

    open: bool
    next_opening: datetime | None  # when closed: the next moment it opens (None: none in three weeks)
    call_back_by: datetime  # the target for calling an urgent patient back


def clinic_now(calendar: ClinicCalendar, moment: datetime, target: timedelta) -> ClinicNow:
    """Open or closed at ``moment``; the call-back target is ``target`` of open clinic time from
    now when open, the first hour of the next opening when closed."""
    if _open_at(calendar, moment):
        return ClinicNow(True, None, _whole_minute(_after_open_time(calendar, moment, target)))
    opening = next_opening(calendar, moment)
    due = opening + min(target, FIRST_HOUR) if opening else moment + target
    return ClinicNow(False, opening, _whole_minute(due))


def _whole_minute(moment: datetime) -> datetime:
    """A target people read: the next whole minute (never earlier than the exact target)."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _open_at(calendar: ClinicCalendar, moment: datetime) -> bool:
    return any(i.start <= moment < i.end for i in calendar.open_intervals(to_clinic(moment).date()))


def _open_intervals_from(calendar: ClinicCalendar, moment: datetime) -> list[Interval]:
    first = to_clinic(moment).date()
    return [
        Interval(max(i.start, moment), i.end)
        for day in days_from(first, _LOOKAHEAD_DAYS)
        for i in calendar.open_intervals(day)
        if i.end > moment
    ]


def next_opening(calendar: ClinicCalendar, moment: datetime) -> datetime | None:
    """The first moment at or after ``moment`` that the clinic is open."""
    found = _open_intervals_from(calendar, moment)
    return found[0].start if found else None


def _after_open_time(calendar: ClinicCalendar, moment: datetime, amount: timedelta) -> datetime:
    """``moment`` plus ``amount`` of time the clinic is open (so 4:30 p.m. plus two hours is 9:30
    the next open morning)."""
    left = amount
    for interval in _open_intervals_from(calendar, moment):
        if interval.end - interval.start >= left:
            return interval.start + left
        left -= interval.end - interval.start
    return moment + amount


def keep_for_urgent(
    busy: dict[str, list[Interval]], providers: Iterable[Provider], days: list[date], now: datetime
) -> None:
    """Count each provider's unreleased urgent-only times as busy in ``busy`` (by resource key):
    what a routine booking sees."""
    for provider in providers:
        kept = urgent_only(provider, days, now)
        if kept:
            busy[provider_resource(provider.id)] = [*busy.get(provider_resource(provider.id), []), *kept]


def urgent_only(provider: Provider, days: list[date], now: datetime) -> list[Interval]:
    """The provider's times kept for urgent patients on ``days`` that are not yet released to
    everyone (a block is released ``provider.urgent_release`` before it starts)."""
    kept = []
    for day in days:
        for block in provider.urgent_blocks:
            if block.weekday != day.weekday():
                continue
            start = clinic_instant(day, block.starts)
            if start - provider.urgent_release > now:
                kept.append(Interval(start, clinic_instant(day, block.ends)))
    return kept
