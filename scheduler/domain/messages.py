"""Which messages a change to a visit must send, on which channels, and when.

Messages are planned here and written as outbox rows in the same transaction as the change; a
worker delivers them. Nothing here renders text: bodies are built at delivery from the current
records, so no copy of a patient's details waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum

from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import to_clinic


class MessageKind(StrEnum):
    REQUEST_RECEIVED = "request-received"
    CONFIRMED = "confirmed"
    REMINDER = "reminder"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


# Default reminder: two days before the visit, at a daytime hour Central (never at night).
REMINDER_DAYS_BEFORE = 2
REMINDER_AT = time(10, 0)


@dataclass(frozen=True)
class Reachable:
    """How the patient may be contacted: email when they gave one; SMS only with recorded consent."""

    email: bool
    sms: bool

    def channels(self) -> list[Channel]:
        return [c for c, ok in ((Channel.EMAIL, self.email), (Channel.SMS, self.sms)) if ok]


@dataclass(frozen=True)
class PlannedMessage:
    kind: MessageKind
    channel: Channel
    send_after: datetime


def reminder_time(starts_at: datetime) -> datetime:
    """10 a.m. Central, two calendar days before the visit (DST-safe: computed on the local date)."""
    day = to_clinic(starts_at).date() - timedelta(days=REMINDER_DAYS_BEFORE)
    return clinic_instant(day, REMINDER_AT)


def on_booked(starts_at: datetime, reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """A confirmation now, and a reminder unless its time has already passed (the confirmation,
    sent now, then serves as the reminder)."""
    planned = [PlannedMessage(MessageKind.CONFIRMED, c, now) for c in reach.channels()]
    remind_at = reminder_time(starts_at)
    if remind_at > now:
        planned += [PlannedMessage(MessageKind.REMINDER, c, remind_at) for c in reach.channels()]
    return planned


def on_cancelled(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """The notice now; the caller withdraws the visit's pending reminders in the same transaction."""
    return [PlannedMessage(MessageKind.CANCELLED, c, now) for c in reach.channels()]


def on_request_received(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    return [PlannedMessage(MessageKind.REQUEST_RECEIVED, c, now) for c in reach.channels()]
