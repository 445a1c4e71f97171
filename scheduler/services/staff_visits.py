"""What staff do to visits and requests, each with its audit row in the same transaction.

Every change goes through the same services as the patient's own (booking, moving, cancelling),
so staff get the same database guarantee against double booking and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.patients import PatientDetails
from scheduler.domain.visit_status import NotAllowed
from scheduler.domain.visit_status import VisitAction
from scheduler.domain.visit_status import next_status
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import moves
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work


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


def _told(notify: bool) -> str:
    return "patient notified" if notify else "patient not notified"


def book_for_patient(
    *, visit_type_code: str, start: datetime, patient: PatientDetails, actor: Actor, provider_id: int | None = None,
    duplicates_shown: tuple[int, ...] = (), now: datetime | None = None,
) -> booking.Booked:  # fmt: skip
    """Book on the patient's behalf (phone staff, schedulers): any visit type, recorded with the
    channel and the staff member. ``duplicates_shown``: the likely duplicates staff were warned
    about; when the booking makes a new patient anyway, that choice is audited in the same
    transaction (patient ids only)."""
    with unit_of_work():
        booked = booking.place_visit(
            visit_type_code=visit_type_code,
            start=start,
            patient=patient,
            channel=actor.channel,
            provider_id=provider_id,
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
) -> models.Appointment:  # fmt: skip
    with unit_of_work():
        moved = moves.move_appointment(appointment_id, start, provider_id=provider_id, notify=notify, now=now)
        _audit(actor, "appointment.move", moved.id, moved.patient_id, _told(notify))
    return moved


def cancel(
    appointment_id: int, reason: str, *, actor: Actor, notify: bool, now: datetime | None = None
) -> models.Appointment:
    with unit_of_work():
        cancelled = booking.cancel_visit(appointment_id, reason, notify=notify, now=now)
        _audit(actor, "appointment.cancel", cancelled.id, cancelled.patient_id, _told(notify))
    return cancelled


def set_status(
    appointment_id: int, action: VisitAction, *, actor: Actor, now: datetime | None = None
) -> models.Appointment:
    """Check in, complete, mark a no-show or undo the last of these. Raises NotFound or NotAllowed."""
    now = now or utc_now()
    with unit_of_work():
        appointment = db.session.get(models.Appointment, appointment_id)
        if appointment is None:
            raise NotFound("No such appointment.")
        transition = next_status(
            action, AppointmentStatus(appointment.status), role=actor.role, starts_at=appointment.starts_at, now=now
        )
        appointment.status = transition.after.value
        appointment.version += 1
        _audit(actor, f"appointment.{action.value}", appointment.id, appointment.patient_id, transition.label)
    return appointment


def record_view(appointment: models.Appointment, actor: Actor) -> None:
    """Every staff view of a patient's visit is in the trail (committed at once: a view changes nothing else)."""
    with unit_of_work():
        _audit(actor, "appointment.view", appointment.id, appointment.patient_id)


def record_day_list(provider_id: int, visits: list[models.Appointment], actor: Actor, action: str) -> None:
    """A day list shows (or exports) every listed patient's details: one audit row per patient."""
    with unit_of_work():
        for visit in visits:
            _audit(actor, action, visit.id, visit.patient_id, f"provider {provider_id}")


# ----- the request queue ------------------------------------------------------------------------------


def open_requests(specialty_code: str) -> list[models.VisitRequest]:
    """A specialty's open requests: urgent first, then oldest first."""
    r = models.VisitRequest
    return list(
        db.session.execute(
            select(r)
            .join(models.Specialty, r.routed_specialty_id == models.Specialty.id)
            .where(models.Specialty.code == specialty_code, r.status == "open")
            .order_by(r.urgent.desc(), r.created_at, r.id)
        ).scalars()
    )


def place_request(
    request_id: int, start: datetime, *, actor: Actor, provider_id: int | None = None, now: datetime | None = None
) -> booking.Booked:
    """Book the request's routed visit at ``start`` for its patient and mark it placed, in one
    unit of work. Raises NotFound, NotAllowed (no longer open) or any booking refusal."""
    visit_request = db.session.get(models.VisitRequest, request_id)
    if visit_request is None:
        raise NotFound("No such request.")
    if visit_request.status != "open":
        raise NotAllowed("This request has already been dealt with.")
    patient = visit_request.patient
    details = PatientDetails(
        patient.given_name, patient.family_name, patient.birth_date, patient.phone, patient.email, patient.sms_consent
    )
    visit_type_code = visit_request.routed_visit_type.code
    preferred_provider_id = visit_request.preferred_provider_id
    reference = visit_request.reference
    with unit_of_work():
        placed = db.session.execute(
            update(models.VisitRequest)
            .where(models.VisitRequest.id == request_id, models.VisitRequest.status == "open")
            .values(status="placed")
        ).rowcount
        if placed != 1:  # another scheduler placed or declined it a moment ago
            raise NotAllowed("This request has just been dealt with by someone else.")
        booked = booking.place_visit(
            visit_type_code=visit_type_code,
            start=start,
            patient=details,
            channel=actor.channel,
            provider_id=provider_id or preferred_provider_id,
            request_id=request_id,
            now=now,
        )
        _audit(actor, "request.place", booked.appointment.id, booked.appointment.patient_id, reference)
    return booked


# Why a scheduler declines a request: fixed choices, so the audit trail never holds free text
# (which could hold a patient's details).
DECLINE_REASONS = {
    "not-suitable": "Not something this clinic treats",
    "duplicate": "A duplicate of another request",
    "withdrawn": "The patient withdrew it",
    "referred-elsewhere": "Referred to another service",
}


def decline_request(request_id: int, reason: str, *, actor: Actor) -> models.VisitRequest:
    """Close an open request without a visit; ``reason`` is a DECLINE_REASONS key."""
    if reason not in DECLINE_REASONS:
        raise NotAllowed("Choose one of the listed reasons.")
    with unit_of_work():
        visit_request = db.session.get(models.VisitRequest, request_id)
        if visit_request is None:
            raise NotFound("No such request.")
        if visit_request.status != "open":
            raise NotAllowed("This request has already been dealt with.")
        visit_request.status = "declined"
        audit.record(
            "request.decline",
            actor_kind="staff",
            actor_id=actor.staff_id,
            record_type="visit_request",
            record_id=visit_request.id,
            patient_id=visit_request.patient_id,
            channel=actor.channel,
            detail=DECLINE_REASONS[reason],
        )
    return visit_request
