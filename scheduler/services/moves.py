"""Moving a booked visit to another time (a patient through their manage link, or staff).

A move is a booking in every way that matters: one write transaction, the same checks, the same
database guarantee against double booking. The visit keeps its reference and manage link; its
version goes up (the iCalendar SEQUENCE), old reminders are withdrawn and one "rescheduled" notice
plus a reminder for the new time are queued, all in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import about_the_time
from scheduler.domain.messages import on_moved
from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import FreedCause
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import freed_times
from scheduler.services import outbox
from scheduler.services.availability import next_free_slot
from scheduler.services.holds import find_hold
from scheduler.services.placement import catalog_for_placing
from scheduler.services.placement import choose_place
from scheduler.store import bookings as store_bookings
from scheduler.store.unit_of_work import unit_of_work


class NotMovable(DomainError):
    code = "not_movable"


def move_by_patient(
    reference: str,
    token: str,
    start: datetime,
    *,
    provider_id: int | None,
    hold_token: str | None,
    now: datetime | None = None,
) -> Visit:
    """The patient moving their visit through their link: :func:`move_appointment` with the
    patient's notice rules, and audited as the patient's own change. Raises NotFound for a link
    that matches no visit, or what move_appointment raises."""
    with unit_of_work():
        appointment = booking.appointment_for_token(reference, token)
        moved = move_appointment(appointment.id, start, provider_id=provider_id, hold_token=hold_token, now=now)
        booking.audit_by_patient("appointment.move", moved)
        return moved


def move_appointment(
    appointment_id: int,
    start: datetime,
    *,
    provider_id: int | None = None,
    hold_token: str | None = None,
    notify: bool = True,
    enforce_notice: bool = True,
    now: datetime | None = None,
) -> Visit:
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
        with unit_of_work():
            offer = catalog_for_placing(now)
            # Locked: its reservations are rewritten from the patient read here (see patient_merge).
            visit = store_bookings.visit(appointment_id, lock=True)
            if visit is None:
                raise NotFound("No such appointment.")
            if visit.status != AppointmentStatus.BOOKED or visit.starts_at <= now:
                raise NotMovable("Only a booked visit that has not started yet can be moved.")
            hold = find_hold(hold_token, now)
            if hold is not None:
                if hold.starts_at == start and provider_id in (None, hold.provider_id):
                    provider_id = hold.provider_id
                store_bookings.drop_hold(hold_id=hold.id)
            visit_type = offer.visit_type(visit.visit_type_code)
            code, specialty = visit_type.code, visit.provider.specialty
            not_before = clinic.earliest_bookable(now) if enforce_notice else now
            new_time = check_visit_time(start, visit_type, offer.calendar, now=now, not_before=not_before)
            # The visit's own time must not stand in its way (moving it by a quarter of an hour).
            store_bookings.drop_reservations(visit.id)
            # An urgent patient's visit may move within the times kept for urgent patients.
            place = choose_place(
                offer, visit_type, new_time, specialty, provider_id=provider_id, patient_id=visit.patient_id,
                urgent=visit.urgent, now=now,
            )  # fmt: skip
            store_bookings.reserve(place.times(new_time, patient_id=visit.patient_id), appointment_id=visit.id)
            store_bookings.move_visit(
                visit.id, new_time.start, new_time.end, place.provider.id, place.room.id if place.room else None
            )
            # In the same transaction: the waitlist is offered the time the visit left.
            freed_times.visit_freed(visit, FreedCause.MOVED, now)
            outbox.withdraw_reminders(visit.id)
            if notify:
                planned = on_moved(new_time.start, outbox.reach(visit.patient), now)
                outbox.queue(planned, appointment_id=visit.id, version=visit.version + 1)
            moved = store_bookings.visit(visit.id)
            assert moved is not None
    except DomainError as refusal:
        if code is not None and about_the_time(refusal):
            slot = next_free_slot(code, max(start, now), specialty_code=specialty)
            refusal.next_open = slot.start if slot else None
        raise
    return moved
