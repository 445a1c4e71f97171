"""Bookings made by integration clients (the FHIR API's ``$book``), each with its audit row."""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.store.unit_of_work import unit_of_work


def client_intake(visit_type_code: str, cause: str = "unknown", red_flags: frozenset[str] = frozenset()) -> Intake:
    """An integration books what it was asked for; its answers (if any) can only make it urgent.
    Whether the patient is new is the clinic's records' to say, not the client's."""
    return Intake(visit_type_code, seen_before=False, cause=cause, referred=False, red_flags=red_flags)


def bookable(
    visit_type_code: str,
    patient: PatientRecord | None,
    *,
    cause: str = "unknown",
    red_flags: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> RoutingDecision:
    """What :func:`book_for_client` would decide for ``patient`` (None: a patient not on file, so
    only visit types that need no history): the FHIR API's $find and $hold offer only this.
    Raises NotFound (no such visit type), RequiresRequest, UrgentCareNeeded or RoutedElsewhere."""
    offer = clinic.current_catalog(now or utc_now())
    kind = offer.visit_type(visit_type_code)
    return booking.route_booking(client_intake(kind.code, cause, red_flags), kind, patient, offer)


def book_for_client(
    client_id: int | None,
    *,
    visit_type_code: str,
    start: datetime,
    patient: PatientDetails,
    provider_id: int | None,
    hold_token: str | None,
    detail: str,
    cause: str = "unknown",
    red_flags: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> booking.Booked:
    """Book as the patient would (routing, holds and time rules alike) for an API client, and
    write the call's audit row in the same unit of work: the visit and its audit row are saved
    together or not at all. ``detail``: the audit note (never PHI). Raises what
    :func:`booking.book_appointment` raises: UrgentCareNeeded for a red flag or an infection
    (``cause``, ``red_flags``: the patient's answers, when the client sends them)."""
    with unit_of_work():
        booked = booking.book_appointment(
            visit_type_code=visit_type_code,
            start=start,
            patient=patient,
            intake=client_intake(visit_type_code, cause, red_flags),
            channel="api",
            provider_id=provider_id,
            hold_token=hold_token,
            now=now,
        )
        audit.record(
            "fhir.book",
            actor_kind="api",
            actor_id=client_id,
            record_type="appointment",
            record_id=booked.appointment.reference,
            patient_id=booked.appointment.patient_id,
            channel="api",
            detail=detail,
        )
    return booked
