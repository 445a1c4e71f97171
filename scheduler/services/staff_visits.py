"""What staff do to visits and requests, each with its audit row in the same transaction.

Every change goes through the same services as the patient's own (booking, moving, cancelling),
so staff get the same database guarantee against double booking and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from typing import TypeAlias

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.call_back import notified_words
from scheduler.domain.catalog import Provider
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.messages import MessageKind
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.visit_status import NotAllowed
from scheduler.domain.visit_status import VisitAction
from scheduler.domain.visit_status import next_status
from scheduler.domain.visits import Visit
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import moves
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store import request_queue as store_requests
from scheduler.store import visits as store_visits
from scheduler.store.request_queue import RequestOnFile as RequestOnFile  # what placing and declining read
from scheduler.store.unit_of_work import unit_of_work

# The rows the staff pages render, loaded with what they read (the visit's patient, provider, room
# and visit type; the request's patient, visit type and specialty): only for presenting.
VisitRow: TypeAlias = models.Appointment
RequestRow: TypeAlias = models.VisitRequest


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member (id and role) on a channel ("web" for the calendars, "phone")."""

    staff_id: int
    role: str
    channel: str = "web"


def _audit(actor: Actor, action: str, appointment_id: int, patient_id: int, detail: str = "") -> None:
    audit.record(
        action,
        actor_kind="staff",
        actor_id=actor.staff_id,
        record_type="appointment",
        record_id=appointment_id,
        patient_id=patient_id,
        channel=actor.channel,
        detail=detail,
    )


def _told(notify: bool, visit: Visit, kind: MessageKind, notice: str) -> str:
    """Who was told of a move or a cancellation, and how: from the notice rows really queued
    under the visit's version (none for a patient with no email and no text consent)."""
    if not notify:
        return "patient not notified"
    return notified_words(store_requests.queued_channels(visit.id, kind, visit.version), notice)


def book_for_patient(
    *, visit_type_code: str, start: datetime, patient: PatientDetails, actor: Actor, provider_id: int | None = None,
    duplicates_shown: tuple[int, ...] = (), intake: Intake | None = None, urgent: bool = False,
    specialty_code: str | None = None, now: datetime | None = None,
) -> booking.Booked:  # fmt: skip
    """Book on the patient's behalf (phone staff, schedulers): any visit type, recorded with the
    channel and the staff member. ``duplicates_shown``: the likely duplicates staff were warned
    about; when the booking makes a new patient anyway, that choice is audited in the same
    transaction (patient ids only). ``intake``: the caller's answers, kept with the visit;
    ``urgent``: they need an urgent visit (a physician, in the times kept for urgent patients if
    need be); ``specialty_code``: the team routing chose (a follow-up's)."""
    with unit_of_work():
        booked = booking.place_visit(
            visit_type_code=visit_type_code,
            start=start,
            patient=patient,
            channel=actor.channel,
            provider_id=provider_id,
            intake=intake,
            urgent=urgent,
            specialty_code=specialty_code,
            now=now,
        )
        appointment = booked.appointment
        _audit(actor, "appointment.book", appointment.id, appointment.patient_id)
        if duplicates_shown and appointment.patient_id not in duplicates_shown:
            audit.record(
                "patient.create-despite-duplicate",
                actor_kind="staff",
                actor_id=actor.staff_id,
                record_type="patient",
                record_id=appointment.patient_id,
                patient_id=appointment.patient_id,
                channel=actor.channel,
                detail="likely duplicates shown: " + ", ".join(map(str, sorted(duplicates_shown))),
            )
    return booked


def move(
    appointment_id: int, start: datetime, *, actor: Actor, notify: bool, provider_id: int | None = None,
    now: datetime | None = None,
) -> Visit:  # fmt: skip
    with unit_of_work():
        moved = moves.move_appointment(appointment_id, start, provider_id=provider_id, notify=notify, now=now)
        told = _told(notify, moved, MessageKind.RESCHEDULED, "rescheduled notice")
        _audit(actor, "appointment.move", moved.id, moved.patient_id, told)
    return moved


def cancel(appointment_id: int, reason: str, *, actor: Actor, notify: bool, now: datetime | None = None) -> Visit:
    with unit_of_work():
        cancelled = booking.cancel_visit(appointment_id, reason, notify=notify, now=now)
        told = _told(notify, cancelled, MessageKind.CANCELLED, "cancellation notice")
        _audit(actor, "appointment.cancel", cancelled.id, cancelled.patient_id, told)
    return cancelled


def set_status(appointment_id: int, action: VisitAction, *, actor: Actor, now: datetime | None = None) -> Visit:
    """Check in, complete, mark a no-show or undo the last of these. Raises NotFound or NotAllowed."""
    now = now or utc_now()
    with unit_of_work():
        visit = store_bookings.visit(appointment_id)
        if visit is None:
            raise NotFound("No such appointment.")
        transition = next_status(action, visit.status, role=actor.role, starts_at=visit.starts_at, now=now)
        store_bookings.set_status(visit.id, transition.after)
        _audit(actor, f"appointment.{action.value}", visit.id, visit.patient_id, transition.label)
        changed = store_bookings.visit(visit.id)
        assert changed is not None
    return changed


def find_visit(appointment_id: int) -> VisitRow:
    """The visit's row, for a page that shows it. Raises NotFound."""
    row = store_visits.visit_row(appointment_id)
    if row is None:
        raise NotFound("No such appointment.")
    return row


def view_visit(appointment_id: int, actor: Actor) -> VisitRow:
    """:func:`find_visit`, written in the trail: every staff view of a patient's visit is there."""
    # Read inside the unit of work, so the row stays loaded for the page (ending a read
    # transaction to open the write one would expire it) and the audit row names what was shown.
    with unit_of_work():
        row = find_visit(appointment_id)
        _audit(actor, "appointment.view", row.id, row.patient_id)
    return row


@dataclass(frozen=True)
class VisitAnswers:
    """What the patient answered for a visit, as its page shows them: the visit's own answers, or
    those of the request it was placed from (``request_reference``) when the visit kept none."""

    urgent: bool
    intake: Intake | None
    request_reference: str | None


def visit_answers(row: VisitRow) -> VisitAnswers:
    """The answers and urgency of the visit ``row`` (read only)."""
    placed_from = store_requests.request_on_file(row.request_id) if row.request_id else None
    intake = row.answers or (placed_from.intake if placed_from else None)
    urgent = row.urgent or (placed_from is not None and placed_from.urgent)
    return VisitAnswers(urgent, intake, placed_from.reference if placed_from else None)


@dataclass(frozen=True)
class DayList:
    provider: Provider
    visits: list[VisitRow]


def day_list(provider_id: int, day: date, actor: Actor, action: str) -> DayList:
    """A provider's visits on ``day`` (Central), for the printable list or its export (``action``:
    "daylist.view" or "daylist.export"). The list shows every listed patient's details: one audit
    row per visit, in the same unit of work. Raises NotFound for a provider not offered."""
    provider = clinic.current_catalog(utc_now()).providers.get(provider_id)
    if provider is None:
        raise NotFound("No such provider.")
    with unit_of_work():
        visits = store_visits.day_list(provider_id, clinic.day_window(day, 1))
        for visit in visits:
            _audit(actor, action, visit.id, visit.patient_id, f"provider {provider_id}")
    return DayList(provider, visits)


# ----- the request queue ------------------------------------------------------------------------------


def open_requests(specialty_code: str) -> list[RequestRow]:
    """A specialty's open requests: urgent first, then oldest first."""
    return store_requests.open_requests(specialty_code)


def find_request(request_id: int) -> RequestOnFile:
    """Raises NotFound."""
    found = store_requests.request_on_file(request_id)
    if found is None:
        raise NotFound("No such request.")
    return found


def place_request(
    request_id: int, start: datetime, *, actor: Actor, provider_id: int | None = None, now: datetime | None = None
) -> booking.Booked:
    """Book the request's routed visit at ``start`` for its patient and mark it placed, in one
    unit of work. The audit row says who was sent the confirmation and how (from its queued
    rows), or that nobody was: then a "call to confirm" task is opened in the request's contact
    log. Raises NotFound, NotAllowed (no longer open) or any booking refusal."""
    visit_request = find_request(request_id)
    if visit_request.status != RequestStatus.OPEN:
        raise NotAllowed("This request has already been dealt with.")
    patient = visit_request.patient
    details = PatientDetails(
        patient.given_name, patient.family_name, patient.birth_date, patient.phone, patient.email, patient.sms_consent
    )
    with unit_of_work():
        if not store_requests.close_open_request(request_id, RequestStatus.PLACED):
            raise NotAllowed("This request has just been dealt with by someone else.")
        booked = booking.place_visit(
            visit_type_code=visit_request.visit_type_code,
            start=start,
            patient=details,
            channel=actor.channel,
            provider_id=provider_id,
            request_id=request_id,
            specialty_code=visit_request.specialty_code,
            preferred_provider_id=visit_request.preferred_provider_id,
            intake=visit_request.intake,
            urgent=visit_request.urgent,
            now=now,
        )
        # Say truthfully who was told, and how: the confirmation rows really queued for the visit.
        channels = store_requests.queued_channels(booked.appointment.id, MessageKind.CONFIRMED)
        told = notified_words(channels)
        _audit(actor, "request.place", booked.appointment.id, booked.appointment.patient_id,
               f"{visit_request.reference}; {told}")  # fmt: skip
        if not channels:  # no email and no text consent: someone must call to confirm (the queue shows it)
            audit.record(
                store_requests.CONFIRM_TASK,
                actor_kind="staff",
                actor_id=actor.staff_id,
                record_type="visit_request",
                record_id=request_id,
                patient_id=patient.id,  # the request's patient: its log is read through them
                channel=actor.channel,
                detail=f"visit {booked.appointment.id}",
            )
    return booked


# Why a scheduler declines a request: fixed choices, so the audit trail never holds free text
# (which could hold a patient's details).
DECLINE_REASONS = {
    "not-suitable": "Not something this clinic treats",
    "duplicate": "A duplicate of another request",
    "withdrawn": "The patient withdrew it",
    "referred-elsewhere": "Referred to another service",
}


def decline_request(request_id: int, reason: str, *, actor: Actor) -> RequestOnFile:
    """Close an open request without a visit; ``reason`` is a DECLINE_REASONS key."""
    if reason not in DECLINE_REASONS:
        raise NotAllowed("Choose one of the listed reasons.")
    with unit_of_work():
        visit_request = find_request(request_id)
        if visit_request.status != RequestStatus.OPEN or not store_requests.close_open_request(
            request_id, RequestStatus.DECLINED, decline_reason=reason
        ):
            raise NotAllowed("This request has already been dealt with.")
        audit.record(
            "request.decline",
            actor_kind="staff",
            actor_id=actor.staff_id,
            record_type="visit_request",
            record_id=visit_request.id,
            patient_id=visit_request.patient.id,
            channel=actor.channel,
            detail=DECLINE_REASONS[reason],
        )
    return replace(visit_request, status=RequestStatus.DECLINED)
