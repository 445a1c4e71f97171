"""Booking, viewing and cancelling appointments.

No double booking is enforced by the database (see ``store.models.Reservation``): the checks here
give the patient a precise reason, and the constraint (PostgreSQL) or the write lock (SQLite)
makes a lost race a clean SlotTaken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain import catalog
from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import RequiresRequest
from scheduler.domain.errors import RoutedElsewhere
from scheduler.domain.errors import UrgentCareNeeded
from scheduler.domain.errors import about_the_time
from scheduler.domain.intervals import Interval
from scheduler.domain.messages import on_booked
from scheduler.domain.messages import on_cancelled
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.domain.visits import ProviderRef
from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import FreedCause
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services import freed_times
from scheduler.services import outbox
from scheduler.services import routing
from scheduler.services.availability import next_free_slot
from scheduler.services.holds import find_hold
from scheduler.services.patients import history
from scheduler.services.patients import patient_with_id
from scheduler.services.placement import choose_place
from scheduler.services.references import manage_token
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.services.references import token_matches
from scheduler.services.urgent import urgent_advice
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store import patients as store_patients
from scheduler.store.unit_of_work import unit_of_work

# One answer for an unknown reference, a malformed one and a wrong token alike: a guess learns nothing.
APPOINTMENT_NOT_FOUND = "No appointment matches that reference and link."
# The rule name recorded on visits a scheduler placed directly, without patient-facing routing.
PLACED_BY_STAFF = "placed-by-staff"


@dataclass(frozen=True)
class Booked:
    appointment: Visit
    manage_token: str
    decision: RoutingDecision
    catalog: Catalog


# Decides, for the catalog, the visit type asked for and the patient (if known), where it goes;
# raises when it may not be booked this way.
Decide = Callable[[Catalog, catalog.VisitType, PatientRecord | None], RoutingDecision]


def book_appointment(
    *,
    visit_type_code: str,
    start: datetime,
    patient: PatientDetails,
    intake: Intake,
    channel: str,
    provider_id: int | None = None,
    hold_token: str | None = None,
    now: datetime | None = None,
) -> Booked:
    """Book a "book a slot" visit at ``start`` (aware), in a unit of work (which commits it unless
    the caller's own unit of work is open: then it commits with the caller's other writes).

    ``hold_token``: the hold the patient took on this time; it is used up by the booking. An
    expired or unknown hold is no error: the time is booked if it is still free.
    Raises InvalidInput, RequiresRequest, RoutedElsewhere, OutsideClinicHours, ClinicClosed,
    NotOnGrid or SlotTaken; refusals about the time carry the next open time in ``next_open``.
    """

    def decide(offer: Catalog, visit_type: catalog.VisitType, found: PatientRecord | None) -> RoutingDecision:
        if intake.requested != visit_type.code:
            raise InvalidInput({"reason.requested": "Must match the visit type being booked."})
        return route_booking(intake, visit_type, found, offer)

    return _book(
        visit_type_code, start, patient, channel, provider_id, now or utc_now(), decide, hold_token=hold_token,
        intake=intake,
    )  # fmt: skip


def route_booking(
    intake: Intake, visit_type: catalog.VisitType, found: PatientRecord | None, offer: Catalog
) -> RoutingDecision:
    """Where the patient's own booking of ``visit_type`` goes, given their answers and the clinic's
    records of them (``found``; None: not on file). The one rule for what a patient may book
    themselves: :func:`book_appointment` applies it, and the FHIR API offers ($find) and holds
    ($hold) only what it accepts. Raises RequiresRequest, UrgentCareNeeded or RoutedElsewhere."""
    if visit_type.mode is catalog.BookingMode.REQUEST:
        raise RequiresRequest(
            f"{visit_type.name} is arranged by our schedulers: send a request with your preferred times instead."
        )
    decision = routing.decide(intake, history(found), offer)
    if decision.urgent:
        raise UrgentCareNeeded(urgent_advice(), decision=decision)
    if decision.visit_type != visit_type.code:
        raise RoutedElsewhere(decision.reason, decision=decision)
    return decision


def place_visit(
    *,
    visit_type_code: str,
    start: datetime,
    patient: PatientDetails,
    channel: str,
    provider_id: int | None = None,
    request_id: int | None = None,
    specialty_code: str | None = None,
    preferred_provider_id: int | None = None,
    intake: Intake | None = None,
    urgent: bool = False,
    hold_token: str | None = None,
    now: datetime | None = None,
) -> Booked:
    """Staff placing a visit of any booking mode (a request-type injection, say) at ``start``
    (aware), in a unit of work. ``request_id``: the visit request this visit answers (its caller
    marks the request placed in the same unit of work); ``specialty_code`` and
    ``preferred_provider_id``: where routing sent it (a follow-up goes to the team, and when
    capable and free the provider, of the last visit); the visit type's own specialty otherwise.
    ``intake``: the patient's answers, kept with the visit; ``urgent``: they need an urgent visit
    (a physician, who may use the times kept for urgent patients); ``hold_token``: the hold
    keeping this time (a waitlist offer's), used up by the booking.

    No routing: the scheduler has already decided what the patient needs. The time
    rules and the no-double-booking guarantee are book_appointment's own. Raises InvalidInput,
    OutsideClinicHours, ClinicClosed, NotOnGrid or SlotTaken.
    """

    def decide(offer: Catalog, visit_type: catalog.VisitType, found: PatientRecord | None) -> RoutingDecision:
        return RoutingDecision(
            rule=PLACED_BY_STAFF,
            visit_type=visit_type.code,
            specialty=specialty_code or visit_type.specialty,
            reason=f"{visit_type.name} placed by the clinic's schedulers.",
            urgent=urgent,
            preferred_provider_id=preferred_provider_id,
        )

    return _book(
        visit_type_code, start, patient, channel, provider_id, now or utc_now(), decide, request_id=request_id,
        intake=intake, hold_token=hold_token,
    )  # fmt: skip


def _book(
    visit_type_code: str,
    start: datetime,
    details: PatientDetails,
    channel: str,
    provider_id: int | None,
    now: datetime,
    decide: Decide,
    *,
    hold_token: str | None = None,
    request_id: int | None = None,
    intake: Intake | None = None,
) -> Booked:
    """The whole booking in one write transaction (on SQLite the write lock is taken first, so
    nothing read here can change before the insert), then the next open time for a refusal."""
    specialty: str | None = None
    try:
        with unit_of_work():
            # One round trip reads the catalog's revision, the patient on file and the ids the new
            # rows will take, so that they are written together (see _reserve).
            read = store_bookings.open_placing(now, booking_for=details)
            offer = clinic.current_catalog(now, read.catalog_revision)
            visit_type = offer.visit_type(visit_type_code)
            specialty = visit_type.specialty
            provider_id, notice_from = _use_hold(
                hold_token, offer.visit_type_ids[visit_type.code], start, now, provider_id
            )
            found = patient_with_id(read.patient_id)
            decision = decide(offer, visit_type, found)
            specialty = decision.specialty
            visit = check_visit_time(
                start, visit_type, offer.calendar, now=now, not_before=clinic.earliest_bookable(notice_from)
            )
            assert read.new_patient_id is not None and read.new_appointment_id is not None  # read for a booking
            ids = NewIds(read.new_patient_id, read.new_appointment_id)
            booked = _reserve(
                offer, visit_type, visit, decision, details, found, provider_id, channel, now, ids, request_id, intake
            )
    except DomainError as refusal:
        if specialty is not None and about_the_time(refusal):
            refusal.next_open = _next_open(visit_type_code, max(start, now), specialty)
        raise
    return Booked(booked, manage_token(booked.reference, booked.manage_nonce), decision, offer)


def _use_hold(
    token: str | None, visit_type_id: int, start: datetime, now: datetime, provider_id: int | None
) -> tuple[int | None, datetime]:
    """Give up the caller's hold on this time (its rows would otherwise refuse the booking); return
    the provider it was held with and the moment the booking notice counts from.

    A held time keeps the notice it was held under: "we are keeping this time for you until ..."
    is a promise, so a patient who takes a few minutes over their details is not refused because
    the notice moved past the time meanwhile. A hold for another time is simply released."""
    hold = find_hold(token, now)
    if hold is None:
        return provider_id, now
    store_bookings.drop_hold(hold_id=hold.id)
    if hold.visit_type_id == visit_type_id and hold.starts_at == start:
        return hold.provider_id, hold.created_at
    return provider_id, now


@dataclass(frozen=True)
class NewIds:
    """The ids a booking's new rows take, read before they are written (``open_placing``)."""

    patient: int
    appointment: int


def _reserve(
    offer: Catalog,
    visit_type: catalog.VisitType,
    visit: Interval,
    decision: RoutingDecision,
    details: PatientDetails,
    found: PatientRecord | None,
    provider_id: int | None,
    channel: str,
    now: datetime,
    ids: NewIds,
    request_id: int | None,
    intake: Intake | None,
) -> Visit:
    """Inside the unit of work: choose provider and room, re-check, then write the new patient
    (if any), the appointment, its reservations and its messages in one statement (the hot path
    of every booking: see store.driver.Driver)."""
    place = choose_place(
        offer,
        visit_type,
        visit,
        decision.specialty,
        provider_id=provider_id,
        patient_id=found.id if found else None,
        preferred_provider_id=decision.preferred_provider_id,
        urgent=decision.urgent,
        now=now,
    )
    if found is None:
        patient = store_patients.as_record(ids.patient, details)
    else:
        patient = store_patients.update_contact(found, details, now)
    booked = Visit(
        id=ids.appointment,
        reference=new_reference("SIJ"),
        status=AppointmentStatus.BOOKED,
        channel=channel,
        visit_type_id=offer.visit_type_ids[visit_type.code],
        visit_type_code=visit_type.code,
        starts_at=visit.start,
        ends_at=visit.end,
        patient=patient,
        provider=ProviderRef(place.provider.id, place.provider.name, place.provider.specialty, place.provider.kind),
        room=place.room,
        reservations=place.times(visit, patient_id=patient.id),
        version=1,
        manage_nonce=new_nonce(),
        request_id=request_id,
        created_at=now,
        updated_at=now,
        urgent=decision.urgent,
        intake=intake,
    )
    messages = outbox.rows(on_booked(visit.start, outbox.reach(patient), now), appointment_id=ids.appointment, now=now)
    store_bookings.insert_booking(booked, new_patient_at=now if found is None else None, messages=messages)
    return booked


def _next_open(visit_type_code: str, after: datetime, specialty: str) -> datetime | None:
    slot = next_free_slot(visit_type_code, after, specialty_code=specialty)
    return slot.start if slot else None


def appointment_for_token(reference: str, token: str) -> models.Appointment:
    """The appointment ``reference`` if ``token`` is its valid manage token; NotFound otherwise,
    whether the reference is unknown or the token wrong, so a guess learns nothing."""
    appointment = store_bookings.appointment_by_reference(reference)
    if appointment is None or not token_matches(token, appointment.reference, appointment.manage_nonce):
        raise NotFound(APPOINTMENT_NOT_FOUND)
    return appointment


def cancel_appointment(reference: str, token: str, reason: str | None, *, now: datetime | None = None) -> Visit:
    """The patient cancelling through their link: releases the time. Cancelling twice is
    harmless; a visit that has started or taken place cannot be cancelled."""
    now = now or utc_now()
    with unit_of_work():
        appointment = appointment_for_token(reference, token)
        was_booked = appointment.status == AppointmentStatus.BOOKED
        cancelled = _cancel(appointment.id, reason, notify=True, now=now)
        if was_booked and cancelled.status != AppointmentStatus.BOOKED:
            audit_by_patient("appointment.cancel", cancelled)
        return cancelled


def audit_by_patient(action: str, visit: Visit) -> None:
    """A change the patient made to their visit through their link, for "who did what" on the
    staff pages. No detail: a cancel reason is in the patient's own words, which the audit trail
    never keeps."""
    audit.record(
        action,
        actor_kind="patient",
        actor_id=None,
        record_type="appointment",
        record_id=visit.id,
        patient_id=visit.patient.id,
        channel="web",
    )


def cancel_visit(appointment_id: int, reason: str | None, *, notify: bool, now: datetime | None = None) -> Visit:
    """Staff cancelling a visit (with the patient on the phone, or for the clinic's reasons);
    ``notify`` sends the patient the cancellation notice. Raises NotFound or NotCancellable."""
    now = now or utc_now()
    with unit_of_work():
        return _cancel(appointment_id, reason, notify=notify, now=now)


def _cancel(appointment_id: int, reason: str | None, *, notify: bool, now: datetime) -> Visit:
    visit = store_bookings.visit(appointment_id)
    if visit is None:
        raise NotFound("No such appointment.")
    if visit.status in RELEASED_STATUSES:
        return visit
    if visit.starts_at <= now or visit.status != AppointmentStatus.BOOKED:
        raise NotCancellable("This visit has already started or taken place, so it cannot be cancelled online.")
    store_bookings.cancel_visit(visit.id, (reason or "").strip()[:500] or None)
    # In the same transaction: the waitlist is offered the time (services.waitlist_offers).
    freed_times.visit_freed(visit, FreedCause.CANCELLED, now)
    # In the same transaction: a cancelled visit can never get a stale reminder.
    outbox.withdraw_reminders(visit.id)
    if notify:
        # Under the visit's current version: the notice's CANCEL then carries a SEQUENCE above the
        # last invite's (a moved visit's REQUEST had version - 1), so calendars act on it.
        outbox.queue(on_cancelled(outbox.reach(visit.patient), now), appointment_id=visit.id, version=visit.version)
    cancelled = store_bookings.visit(visit.id)
    assert cancelled is not None
    return cancelled


class NotCancellable(DomainError):
    code = "not_cancellable"
