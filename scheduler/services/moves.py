"""Moving a booked visit to another time (a patient through their manage link, or staff).

A move is a booking in every way that matters: one write transaction, the same checks, the same
database guarantee against double booking. The visit keeps its reference and manage link; its
version goes up (the iCalendar SEQUENCE), old reminders are withdrawn and one "rescheduled" notice
plus a reminder for the new time are queued, all in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import SlotTaken
from scheduler.domain.errors import about_the_time
from scheduler.domain.messages import on_moved
from scheduler.services import clinic
from scheduler.services import outbox
from scheduler.services.availability import next_free_slot
from scheduler.services.holds import find_hold
from scheduler.services.placement import SLOT_TAKEN_MESSAGE
from scheduler.services.placement import catalog_for_placing
from scheduler.services.placement import choose_place
from scheduler.services.placement import insert_reservations
from scheduler.services.placement import reservation_rows
from scheduler.store import models
from scheduler.store.driver import is_overlap_violation
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work


class NotMovable(DomainError):
    code = "not_movable"


def move_appointment(
    appointment_id: int,
    start: datetime,
    *,
    provider_id: int | None = None,
    hold_token: str | None = None,
    notify: bool = True,
    enforce_notice: bool = True,
    now: datetime | None = None,
) -> models.Appointment:
    """Move a booked, future visit to ``start`` (aware), in a unit of work.

    ``provider_id`` keeps or changes the provider (any provider of the visit's specialty when None);
    ``hold_token`` is the caller's hold on the new time, used up here; ``notify`` queues the
    rescheduled notice and new reminder (staff may move without telling the patient, e.g. on the
    phone with them); ``enforce_notice`` applies the patients' minimum notice (staff may book
    sooner). Raises NotFound,
    NotMovable, InvalidInput, OutsideClinicHours, ClinicClosed, NotOnGrid
    or SlotTaken; time refusals carry ``next_open``.
    """
    now = now or utc_now()
    code, specialty = None, None
    try:
        try:
            with unit_of_work():
                appointment = db.session.execute(
                    select(models.Appointment).where(models.Appointment.id == appointment_id)
                ).scalar_one_or_none()
                if appointment is None:
                    raise NotFound("No such appointment.")
                if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
                    raise NotMovable("Only a booked visit that has not started yet can be moved.")
                offer = catalog_for_placing(now)
                hold = find_hold(hold_token, now)
                if hold is not None:
                    if hold.starts_at == start and provider_id in (None, hold.provider_id):
                        provider_id = hold.provider_id
                    db.session.delete(hold)
                    db.session.flush()
                visit_type = offer.visit_type(appointment.visit_type.code)
                code, specialty = visit_type.code, appointment.provider.specialty.code
                not_before = clinic.earliest_bookable(now) if enforce_notice else now
                visit = check_visit_time(start, visit_type, offer.calendar, now=now, not_before=not_before)
                # The visit's own time must not stand in its way (moving it by a quarter of an hour).
                db.session.execute(
                    delete(models.Reservation)
                    .where(models.Reservation.appointment_id == appointment.id)
                    .execution_options(synchronize_session=False)
                )
                place = choose_place(
                    offer, visit_type, visit, specialty, provider_id=provider_id, patient_id=appointment.patient_id
                )
                insert_reservations(
                    reservation_rows(place, visit, appointment_id=appointment.id, patient_id=appointment.patient_id)
                )
                appointment.starts_at, appointment.ends_at = visit.start, visit.end
                appointment.provider_id = place.provider.id
                appointment.room_id = place.room.id if place.room else None
                appointment.version += 1
                outbox.withdraw_reminders(appointment.id)
                if notify:
                    planned = on_moved(visit.start, outbox.reach(appointment.patient), now)
                    outbox.queue(planned, appointment_id=appointment.id, version=appointment.version)
                db.session.flush()
        except IntegrityError as error:
            if not is_overlap_violation(error):
                raise
            raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
    except DomainError as refusal:
        if code is not None and about_the_time(refusal):
            slot = next_free_slot(code, max(start, now), specialty_code=specialty)
            refusal.next_open = slot.start if slot else None
        raise
    db.session.refresh(appointment)
    return appointment
