"""What staff do to visits and requests, each with its audit row in the same transaction.

Every change goes through the same services as the patient's own (booking, moving, cancelling),
so staff get the same database guarantee against double booking and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy import update

from scheduler import models
from scheduler.database import write_transaction
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.visit_status import NotAllowed
from scheduler.domain.visit_status import VisitAction
from scheduler.domain.visit_status import next_status
from scheduler.extensions import db
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import moves
from scheduler.services.booking import Then
from scheduler.services.patients import PatientDetails


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member (id and role) on a channel ("web" for the calendars, "phone")."""

    staff_id: int
    role: str
    channel: str = "web"


def _audited(actor: Actor, action: str, detail: str = "") -> Then:
    def write(appointment: models.Appointment) -> None:
        audit.record(
            action,
            actor_kind="staff",
            actor_id=actor.staff_id,
            record_type="appointment",
            record_id=appointment.id,
            patient_id=appointment.patient_id,
            channel=actor.channel,
            detail=detail,
        )

    return write


def book_for_patient(
    *, visit_type_code: str, start: datetime, patient: PatientDetails, actor: Actor, provider_id: int | None = None,
    duplicates_shown: tuple[int, ...] = (), now: datetime | None = None,
) -> booking.Booked:  # fmt: skip
    """Book on the patient's behalf (phone staff, schedulers): any visit type, recorded with the
    channel and the staff member. ``duplicates_shown``: the likely duplicates staff were warned
    about; when the booking makes a new patient anyway, that choice is audited in the same
    transaction (patient ids only)."""
    audit_booking = _audited(actor, "appointment.book")

    def write(appointment: models.Appointment) -> None:
        audit_booking(appointment)
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

    return booking.place_visit(
        visit_type_code=visit_type_code,
        start=start,
        patient=patient,
        channel=actor.channel,
        provider_id=provider_id,
        then=write,
        now=now,
    )


def move(
    appointment_id: int, start: datetime, *, actor: Actor, notify: bool, provider_id: int | None = None,
    now: datetime | None = None,
) -> models.Appointment:  # fmt: skip
    return moves.move_appointment(
        appointment_id,
        start,
        provider_id=provider_id,
        notify=notify,
        then=_audited(actor, "appointment.move", "patient notified" if notify else "patient not notified"),
        now=now,
    )


def cancel(
    appointment_id: int, reason: str, *, actor: Actor, notify: bool, now: datetime | None = None
) -> models.Appointment:
    return booking.cancel_visit(
        appointment_id,
        reason,
        notify=notify,
        then=_audited(actor, "appointment.cancel", "patient notified" if notify else "patient not notified"),
        now=now,
    )


def set_status(
    appointment_id: int, action: VisitAction, *, actor: Actor, now: datetime | None = None
) -> models.Appointment:
    """Check in, complete, mark a no-show or undo the last of these. Raises NotFound or NotAllowed."""
    now = now or utc_now()
    with write_transaction():
        appointment = db.session.get(models.Appointment, appointment_id)
        if appointment is None:
            raise NotFound("No such appointment.")
        transition = next_status(
            action, AppointmentStatus(appointment.status), role=actor.role, starts_at=appointment.starts_at, now=now
        )
        appointment.status = transition.after.value
        appointment.version += 1
        _audited(actor, f"appointment.{action.value}", transition.label)(appointment)
    return appointment


def record_view(appointment: models.Appointment, actor: Actor) -> None:
    """Every staff view of a patient's visit is in the trail (committed at once: a view changes nothing else)."""
    with write_transaction():
        _audited(actor, "appointment.view")(appointment)


def record_day_list(provider_id: int, visits: list[models.Appointment], actor: Actor, action: str) -> None:
    """A day list shows (or exports) every listed patient's details: one audit row per patient."""
    with write_transaction():
        for visit in visits:
            _audited(actor, action, f"provider {provider_id}")(visit)


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
    transaction. Raises NotFound, NotAllowed (no longer open) or any booking refusal."""
    visit_request = db.session.get(models.VisitRequest, request_id)
    if visit_request is None:
        raise NotFound("No such request.")
    if visit_request.status != "open":
        raise NotAllowed("This request has already been dealt with.")
    patient = visit_request.patient
    details = PatientDetails(
        patient.given_name, patient.family_name, patient.birth_date, patient.phone, patient.email, patient.sms_consent
    )
    audit_row = _audited(actor, "request.place", visit_request.reference)

    def mark_placed(appointment: models.Appointment) -> None:
        placed = db.session.execute(
            update(models.VisitRequest)
            .where(models.VisitRequest.id == request_id, models.VisitRequest.status == "open")
            .values(status="placed")
        ).rowcount
        if placed != 1:  # another scheduler placed or declined it a moment ago
            raise NotAllowed("This request has just been dealt with by someone else.")
        db.session.execute(
            update(models.Appointment).where(models.Appointment.id == appointment.id).values(request_id=request_id)
        )
        audit_row(appointment)

    return booking.place_visit(
        visit_type_code=visit_request.routed_visit_type.code,
        start=start,
        patient=details,
        channel=actor.channel,
        provider_id=provider_id or visit_request.preferred_provider_id,
        then=mark_placed,
        now=now,
    )


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
    with write_transaction():
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
