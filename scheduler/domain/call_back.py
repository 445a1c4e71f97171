"""The request queue as a call-back worklist: what the patient said suits them, by when the
clinic calls them back, and what staff record of each call.

Pure rules, no storage: the preferences are read from the structure the patient pages keep on a
request ({"days": ["tuesday", ...], "parts_of_day": ["morning", ...], "notes": "..."}); the
contact log's outcomes are a fixed list so that the trail they are kept in never holds free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from typing import Any

from scheduler.domain.clock import to_clinic
from scheduler.domain.day_parts import PartOfDay
from scheduler.domain.hours import ClinicCalendar

# As the patient pages (and the JSON API) store them: Monday first, the clinic's open weekdays.
WEEKDAY_CODES = ("monday", "tuesday", "wednesday", "thursday", "friday")
DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
PARTS_OF_DAY = ("morning", "afternoon")
PART_WORDS = {"morning": "mornings", "afternoon": "afternoons"}

# A routine request is called back by the close of the second clinic day after the day it came.
ROUTINE_CLINIC_DAYS = 2
_LOOKAHEAD_DAYS = 31  # past any run of weekends and holidays


@dataclass(frozen=True)
class Preferences:
    """When the patient said they can come: weekdays (Monday=0), parts of the day, and their
    own words. Empty sets mean "any"."""

    weekdays: frozenset[int] = frozenset()
    parts_of_day: frozenset[str] = frozenset()
    notes: str = ""

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Preferences:
        """Read a request's stored preferences, ignoring what is not a known day or part (older
        requests kept none, some kept only notes)."""
        stored = stored or {}
        days = stored.get("days") or []
        parts = stored.get("parts_of_day") or []
        notes = stored.get("notes") or ""
        return cls(
            frozenset(WEEKDAY_CODES.index(d) for d in days if isinstance(d, str) and d in WEEKDAY_CODES),
            frozenset(p for p in parts if isinstance(p, str) and p in PARTS_OF_DAY),
            notes if isinstance(notes, str) else "",
        )

    @property
    def narrows(self) -> bool:
        """Whether they rule any clinic time out (a choice of every day and both parts does not)."""
        return (bool(self.weekdays) and len(self.weekdays) < len(WEEKDAY_CODES)) or len(self.parts_of_day) == 1

    def fits(self, start: datetime) -> bool:
        """Whether a visit starting at ``start`` (aware) is on a day and in a part they gave."""
        local = to_clinic(start)
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        return not self.parts_of_day or part_of_day(start) in self.parts_of_day

    @property
    def words(self) -> str:
        """ "Tuesday or Thursday, mornings" ("" when they gave no day and no part)."""
        days = [DAY_WORDS[d] for d in sorted(self.weekdays)]
        day_words = ", ".join(days[:-1]) + " or " + days[-1] if len(days) > 1 else "".join(days)
        parts = " or ".join(PART_WORDS[p] for p in PARTS_OF_DAY if p in self.parts_of_day)
        return ", ".join(w for w in (day_words, parts) if w)


def part_of_day(start: datetime) -> str:
    """ "morning" or "afternoon", split at noon Central (see domain.day_parts)."""
    return PartOfDay.of(start).value


def routine_call_back_by(
    calendar: ClinicCalendar, received: datetime, clinic_days: int = ROUTINE_CLINIC_DAYS
) -> datetime:
    """The target for calling back a routine request received at ``received`` (aware): the
    close of the ``clinic_days``-th open clinic day after the Central day it arrived (received
    Monday at 10:00 -> Wednesday at close; on a Saturday -> Tuesday at close). Closed days and
    closures are skipped; a day closing early closes early here too."""
    day: date = to_clinic(received).date()
    counted = 0
    for _ in range(_LOOKAHEAD_DAYS):
        day += timedelta(days=1)
        intervals = calendar.open_intervals(day)
        if intervals:
            counted += 1
            if counted == clinic_days:
                return max(i.end for i in intervals)
    return received + timedelta(days=clinic_days)


class ContactOutcome(StrEnum):
    """What came of one attempt to reach the patient about a request (the contact log)."""

    NO_ANSWER = "no-answer"
    VOICEMAIL = "voicemail"
    WILL_CALL_BACK = "will-call-back"
    SPOKE_WILL_PLACE = "spoke-will-place"
    WRONG_NUMBER = "wrong-number"
    CONFIRMED = "confirmed"

    @property
    def words(self) -> str:
        return OUTCOME_WORDS[self]


OUTCOME_WORDS = {
    ContactOutcome.NO_ANSWER: "Called, no answer",
    ContactOutcome.VOICEMAIL: "Called, left a voicemail",
    ContactOutcome.WILL_CALL_BACK: "Spoke, the patient will call back",
    ContactOutcome.SPOKE_WILL_PLACE: "Spoke, will place the visit",
    ContactOutcome.WRONG_NUMBER: "Wrong or unreachable number",
    ContactOutcome.CONFIRMED: "Spoke, the visit is confirmed",
}


@dataclass(frozen=True)
class ContactEntry:
    """One line of a request's contact log: what came of a call, who made it, when. A
    "call to confirm" task opened by a placement is a line too (``task``: True)."""

    at: datetime
    who: str
    outcome: ContactOutcome | None  # None: the task line
    task: bool = False

    @property
    def words(self) -> str:
        if self.task:
            return "Placed with no email and no text consent: call the patient to confirm"
        return self.outcome.words if self.outcome else ""


def confirmation_pending(log: list[ContactEntry]) -> bool:
    """Whether a "call to confirm" task is open: opened by a placement and not yet answered by a
    call that confirmed the visit."""
    opened = [e.at for e in log if e.task]
    if not opened:
        return False
    return not any(e.outcome == ContactOutcome.CONFIRMED and e.at >= max(opened) for e in log)


def notified_words(channels: set[str], notice: str = "confirmation") -> str:
    """What an audit row says of the patient's ``notice`` (a placement's confirmation, a move's
    or a cancellation's notice), from the channels its outbox rows were really queued on:
    "confirmation queued by email and text message", or that nobody was notified (a placement
    then needs a call to confirm)."""
    names = [word for channel, word in (("email", "email"), ("sms", "text message")) if channel in channels]
    if not names:
        return "nobody notified (no email, no text consent)" + (": call to confirm" if notice == "confirmation" else "")
    return f"{notice} queued by " + " and ".join(names)
