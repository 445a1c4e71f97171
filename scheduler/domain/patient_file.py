"""The patient record as staff read it: visits, requests, messages and the trail, and what stands
out about the patient (flags). Also "who did what" to a visit, in words, from its audit events.

Pure values and rules; the store loads them, the staff pages show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import RequestStatus
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.domain.staff import ROLE_NAMES
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffRole

# "No-shows in the last 12 months": counted back from now, a year of 365 days.
NO_SHOW_WINDOW = timedelta(days=365)
# Visits still ahead of the patient (not cancelled, not over): the record's "upcoming".
ACTIVE_STATUSES = frozenset({AppointmentStatus.PENDING, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED})


@dataclass(frozen=True)
class VisitEntry:
    id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    status: str
    visit_type: str  # its name
    provider: str
    channel: str
    urgent: bool
    intake: Intake | None
    request_reference: str | None  # the request it was placed from


@dataclass(frozen=True)
class RequestEntry:
    id: int
    reference: str
    created_at: datetime
    status: str
    visit_type: str  # the routed visit type's name
    specialty: str
    channel: str
    urgent: bool
    intake: Intake
    preferences: dict[str, Any]
    decline_reason: str | None

    @property
    def open(self) -> bool:
        return self.status == RequestStatus.OPEN

    @property
    def notes(self) -> str:
        """What the patient wrote about when suits them (free text), if anything."""
        return str(self.preferences.get("notes") or "").strip()


@dataclass(frozen=True)
class MessageEntry:
    id: int
    kind: str
    channel: str
    status: str
    send_after: datetime
    sent_at: datetime | None
    attempts: int
    appointment_id: int | None
    about: str  # the reference of the visit, request or waitlist entry it is about


@dataclass(frozen=True)
class TrailEntry:
    """One audit event, with its staff actor's name and role when a staff member did it."""

    id: int
    at: datetime
    action: str
    actor_kind: str
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None
    channel: str
    record_type: str
    record_id: str | None
    detail: str

    @property
    def who(self) -> str:
        """The actor in words: "Dana Cole (Scheduler)", "The patient", "The system"."""
        if self.actor_kind == "staff":
            if self.actor_name is None:
                return "A staff member"
            role = self.actor_role or ""
            return f"{self.actor_name} ({ROLE_NAMES[StaffRole(role)] if role in ROLES else role})"
        return ACTOR_WORDS.get(self.actor_kind, self.actor_kind)


@dataclass(frozen=True)
class ContactNeeds:
    """What helps the clinic talk to the patient, when recorded (empty: nothing recorded)."""

    interpreter_language: str = ""
    access_needs: str = ""


@dataclass(frozen=True)
class Flags:
    urgent: tuple[str, ...]  # why the patient is urgent now (references), empty when not
    no_shows: int  # in NO_SHOW_WINDOW
    interpreter_language: str
    access_needs: str

    @property
    def any(self) -> bool:
        return bool(self.urgent or self.no_shows or self.interpreter_language or self.access_needs)


@dataclass(frozen=True)
class PatientFile:
    patient: PatientRecord
    needs: ContactNeeds
    upcoming: list[VisitEntry]  # soonest first
    past: list[VisitEntry]  # latest first (taken place, missed or cancelled)
    requests: list[RequestEntry]  # open ones first, then newest first
    messages: list[MessageEntry]  # newest first
    trail: list[TrailEntry]  # newest first
    flags: Flags

    @property
    def next_visit(self) -> VisitEntry | None:
        return self.upcoming[0] if self.upcoming else None

    @property
    def seen_before(self) -> bool:
        """A visit here has taken place (or is taking place): the answer to "Seen here before?"."""
        return any(
            v.status in (AppointmentStatus.FULFILLED, AppointmentStatus.ARRIVED) for v in self.past + self.upcoming
        )


def split_visits(visits: Iterable[VisitEntry], now: datetime) -> tuple[list[VisitEntry], list[VisitEntry]]:
    """(upcoming, past): upcoming are active visits that have not ended, soonest first; the rest,
    latest first."""
    upcoming: list[VisitEntry] = []
    past: list[VisitEntry] = []
    for visit in visits:
        (upcoming if visit.status in ACTIVE_STATUSES and visit.ends_at > now else past).append(visit)
    upcoming.sort(key=lambda v: (v.starts_at, v.id))
    past.sort(key=lambda v: (v.starts_at, v.id), reverse=True)
    return upcoming, past


def no_shows(visits: Iterable[VisitEntry], now: datetime) -> int:
    """Visits marked no-show that were due in the last 12 months."""
    return sum(1 for v in visits if v.status == AppointmentStatus.NOSHOW and now - NO_SHOW_WINDOW <= v.starts_at <= now)


def flags_of(
    visits: Sequence[VisitEntry], requests: Sequence[RequestEntry], needs: ContactNeeds, now: datetime
) -> Flags:
    """Urgent: an open urgent request or an urgent visit still ahead (named by reference)."""
    urgent = [r.reference for r in requests if r.urgent and r.open]
    urgent += [v.reference for v in visits if v.urgent and v.status in ACTIVE_STATUSES and v.ends_at > now]
    return Flags(tuple(urgent), no_shows(visits, now), needs.interpreter_language, needs.access_needs)


ACTOR_WORDS = {"patient": "The patient", "api": "An integration (API client)", "system": "The system"}


# ----- who did what to a visit ---------------------------------------------------------------------

# The audit actions that change a visit, in words. Views and day lists are not changes.
CHANGES = {
    "appointment.book": "Booked",
    "request.place": "Placed from a request",
    "fhir.book": "Booked",
    "appointment.move": "Moved",
    "appointment.cancel": "Cancelled",
    "appointment.check-in": "Checked in",
    "appointment.complete": "Marked completed",
    "appointment.no-show": "Marked no-show",
    "appointment.undo": "Status change undone",
    "appointment.keep-outside-hours": "Kept outside its provider's hours",
}
BOOKINGS = ("appointment.book", "request.place", "fhir.book")
CHANNEL_WORDS = {
    "phone": "by phone (phone console)",
    "web": "on the staff pages",
    "api": "through the API",
    "system": "by the system",
}
REQUEST_CHANNEL_WORDS = {"web": "an online request", "phone": "a phone request", "api": "a request through the API"}
# A booking nobody on staff made (no booking event): who, and how, by the visit's channel.
SELF_BOOKED = {
    "web": ("The patient", "online (patient pages)"),
    # The booking API (no staff member, no FHIR client): the patient, or an app acting for them.
    "api": ("The patient or an app for them", "through the booking API"),
    # Staff bookings write an event; one without it (imported or seeded data) names nobody.
    "phone": ("A staff member (not named in the audit trail)", "by phone"),
}


@dataclass(frozen=True)
class VisitChange:
    at: datetime
    what: str
    who: str
    how: str
    note: str = ""


def visit_changes(
    events: Sequence[TrailEntry],
    *,
    visit_channel: str,
    created_at: datetime,
    request_reference: str | None = None,
    request_channel: str | None = None,
) -> list[VisitChange]:
    """Who booked, moved, cancelled or changed the status of a visit, and how, oldest first, from
    its audit ``events``. A visit placed from a request names the staff member who placed it and
    the request's own channel (an online request, a phone request), never just "web". A visit
    with no booking event was booked by the patient online or by an integration (the staff and
    the API write one): that line comes from the visit's own channel and creation time."""
    changes: list[VisitChange] = []
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        what = CHANGES.get(event.action)
        if what is None:
            continue
        note = event.detail
        if event.action == "request.place":
            words = REQUEST_CHANNEL_WORDS.get(request_channel or "", "a request")
            note = f"from {words}, {request_reference or event.detail}"
        elif event.action == "fhir.book":
            note = ""
        how = CHANNEL_WORDS.get(event.channel, event.channel)
        if event.actor_kind == "patient" and event.channel == "web":
            how = SELF_BOOKED["web"][1]  # the patient's own pages, not the staff ones
        changes.append(VisitChange(event.at, what, event.who, how, note))
    if not any(event.action in BOOKINGS for event in events):
        who, how = SELF_BOOKED.get(visit_channel, ("Not in the audit trail", f"channel {visit_channel}"))
        changes.insert(0, VisitChange(created_at, "Booked", who, how))
    return changes
