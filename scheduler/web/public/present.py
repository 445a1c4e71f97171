"""Words for the patient's pages: times in Central time, refusals with the next open time."""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.bookings import describe_day
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import about_the_time
from scheduler.domain.messages import Channel
from scheduler.domain.messages import Promises
from scheduler.services.availability import next_free_slot
from scheduler.web.public import central_when


def when(moment: datetime) -> str:
    """ "Monday, March 8, 2027 at 8:00 AM CST" (Central time, with CST/CDT)."""
    return central_when(moment)


def describe_refusal(refusal: DomainError, visit_type: str, start: datetime, specialty: str) -> str:
    """The reason a time was refused, plus the next open time when the refusal is about the time."""
    message = next(iter(refusal.fields.values())) if isinstance(refusal, InvalidInput) else refusal.message
    if about_the_time(refusal):
        next_open = refusal.next_open
        if next_open is None:
            slot = next_free_slot(visit_type, start, specialty_code=specialty)
            next_open = slot.start if slot else None
        if next_open is not None:
            message += f" The next open time is {when(next_open)}."
    return message


_CHANNEL_WORDS = {Channel.EMAIL: "email", Channel.SMS: "text message"}


def by_channels(channels: tuple[Channel, ...]) -> str:
    """ "by email", "by text message" or "by email and text message"."""
    return "by " + " and ".join(_CHANNEL_WORDS[c] for c in channels)


def reminder_sentence(promised: Promises) -> str | None:
    """ "We will remind you by email on Saturday, March 6, 2027." when a reminder is queued."""
    if not promised.reminder or promised.remind_at is None:
        return None
    return f"We will remind you {by_channels(promised.reminder)} on {describe_day(promised.remind_at)}."


def notice_sentence(promised: Promises, what: str, sending: str) -> str:
    """After a change on the visit page: ``what`` happened, then that ``sending`` ("a
    confirmation", "the new details") is on its way, only if a notice is queued."""
    if not promised.notice:
        return f"{what} We have not sent you a message about it: we have no email address or consent to texts for you."
    return f"{what} We are sending you {sending} {by_channels(promised.notice)}."
