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

from scheduler.domain.bookings import describe_time
from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import days_from
from scheduler.domain.clock import to_clinic
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.routing import Intake
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


def urgent_blocks_refusal(is_physician: bool, hours: Iterable[WorkBlock], kept: Iterable[WorkBlock]) -> str | None:
    """Why a provider cannot keep ``kept`` for urgent patients, in words that say what to fix
    (None: they can). Only physicians keep urgent times (DOMAIN.md), and each kept block lies
    inside one of the provider's working ``hours`` that weekday."""
    kept = sorted(kept, key=lambda b: (b.weekday, b.starts))
    if not kept:
        return None
    if not is_physician:
        return (
            "Only physicians keep times for urgent patients: empty the days under “Kept for urgent "
            "patients”, or choose a physician as the kind of provider."
        )
    hours = list(hours)
    for block in kept:
        that_day = sorted((h for h in hours if h.weekday == block.weekday), key=lambda h: h.starts)
        if any(h.starts <= block.starts and block.ends <= h.ends for h in that_day):
            continue
        day = WEEKDAY_NAMES[block.weekday]
        worked = ", ".join(f"{h.starts:%H:%M}-{h.ends:%H:%M}" for h in that_day)
        return (
            f"{day} {block.starts:%H:%M}-{block.ends:%H:%M} is kept for urgent patients but is not inside "
            + (f"their {day} hours ({worked})" if worked else f"their hours: they do not work on {day}")
            + ". Keep a time inside their hours, or change the hours."
        )
    return None


def describe_urgent_blocks(blocks: Iterable[WorkBlock]) -> str:
    """ "Tue 13:00-14:00, Thu 13:00-14:00": a provider's times kept for urgent patients."""
    return ", ".join(
        f"{WEEKDAY_NAMES[b.weekday][:3]} {b.starts:%H:%M}-{b.ends:%H:%M}"
        for b in sorted(blocks, key=lambda b: (b.weekday, b.starts))
    )


def urgent_answers(intake: Intake | None) -> tuple[str, ...]:
    """The answers that made a request or visit urgent, in words for staff: each red flag, and
    the cause when it is an infection (empty: nothing urgent was answered)."""
    if intake is None:
        return ()
    found = list(intake.red_flag_names)
    if intake.cause == "infection":
        found.append("Cause: infection")
    return tuple(found)


@dataclass(frozen=True)
class CallBackClock:
    """How long an urgent request has waited, against the time by which the clinic calls back.

    ``left`` is negative once the target has passed. ``due`` is None for a request kept without a
    target (made before targets were kept): then only the wait is known.
    """

    waited: timedelta
    due: datetime | None
    left: timedelta | None
    due_today: bool  # the target falls on the same Central day as now (so the time alone says it)

    @property
    def overdue(self) -> bool:
        return self.left is not None and self.left < timedelta(0)

    @property
    def waiting(self) -> str:
        """ "Waiting 35 min"."""
        return f"Waiting {duration_words(self.waited)}"

    @property
    def target(self) -> str:
        """ "call back by 10:15 a.m. CST (in 1 h 25 min)", or "Overdue by 20 min (call back by
        10:15 a.m. CST)"; empty without a target."""
        if self.due is None or self.left is None:
            return ""
        by = describe_time(self.due)
        if not self.due_today:
            local = to_clinic(self.due)
            by = f"{WEEKDAY_NAMES[local.weekday()][:3]} {local:%b} {local.day}, {by}"
        if self.overdue:
            return f"Overdue by {duration_words(-self.left)} (call back by {by})"
        return f"call back by {by} (in {duration_words(self.left)})"

    @property
    def words(self) -> str:
        return " · ".join(filter(None, (self.waiting, self.target)))


def call_back_clock(received: datetime, due: datetime | None, now: datetime) -> CallBackClock:
    """The clock of an urgent request received at ``received`` with call-back target ``due``, at
    ``now`` (aware datetimes; the day is compared in Central time)."""
    waited = max(now - received, timedelta(0))
    if due is None:
        return CallBackClock(waited, None, None, False)
    return CallBackClock(waited, due, due - now, to_clinic(due).date() == to_clinic(now).date())


def duration_words(amount: timedelta) -> str:
    """A span as staff read it at a glance, whole minutes rounded down: "35 min", "1 h 25 min",
    "2 h", "3 days 4 h" (minutes left out once it is a day or more), "under 1 min"."""
    minutes = int(amount.total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts)
