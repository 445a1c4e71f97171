"""Words for the patient's pages: times in Central time, refusals with the next open time."""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import about_the_time
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
