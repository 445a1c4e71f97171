"""What the booking, move and cancel services hand back: the visit whole, as it was saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import Flask

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.patients import PatientDetails
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.services import booking
from scheduler.services import moves
from scheduler.store import bookings as store_bookings
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com", sms_consent=True)


def test_a_booked_visit_comes_back_with_its_patient_provider_room_and_reservations(
    app: Flask, make_provider: Any, make_room: Any
) -> None:
    provider_id = make_provider("radiology-pain", name="Dr. Priya Raman")
    room_id = make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    start = central(next_clinic_day(), 10)
    with app.app_context():
        booked = booking.place_visit(visit_type_code="injection", start=start, patient=ANN, channel="phone")
        visit = booked.appointment
        assert (visit.patient.given_name, visit.patient.email, visit.patient.sms_consent) == (
            "Ann", "ann.lee@example.com", True,
        )  # fmt: skip
        assert (visit.provider.id, visit.provider.name, visit.provider.specialty) == (
            provider_id, "Dr. Priya Raman", "radiology-pain",
        )  # fmt: skip
        assert visit.room is not None and (visit.room.id, visit.room.name) == (room_id, "Fluoroscopy Suite 1")
        assert {r.resource for r in visit.reservations} == {
            provider_resource(provider_id), room_resource(room_id), patient_resource(visit.patient.id),
        }  # fmt: skip
        assert all((r.start, r.end) == (visit.starts_at, visit.ends_at) for r in visit.reservations)
        assert visit.status is AppointmentStatus.BOOKED and visit.starts_at == start
        # Exactly what a fresh read of the saved rows gives: nothing was made up or left out.
        assert store_bookings.visit(visit.id) == visit


def test_a_moved_and_a_cancelled_visit_come_back_as_saved(app: Flask, make_provider: Any) -> None:
    make_provider("pmr")
    day = next_clinic_day()
    with app.app_context():
        booked = booking.place_visit(visit_type_code="evaluation", start=central(day, 9), patient=ANN, channel="web")
        moved = moves.move_appointment(booked.appointment.id, central(day, 13))
        assert (moved.starts_at, moved.version) == (central(day, 13), 2)
        assert {(r.start, r.end) for r in moved.reservations} == {(moved.starts_at, moved.ends_at)}
        assert moved.ends_at - moved.starts_at == booked.appointment.ends_at - booked.appointment.starts_at
        assert moved == replace(
            booked.appointment,
            starts_at=moved.starts_at,
            ends_at=moved.ends_at,
            version=2,
            reservations=moved.reservations,
            updated_at=moved.updated_at,
        )
        cancelled = booking.cancel_visit(moved.id, "  feeling better  ", notify=True)
        assert cancelled.status is AppointmentStatus.CANCELLED
        assert [r.active for r in cancelled.reservations] == [False] * len(moved.reservations)
        assert cancelled.updated_at >= moved.updated_at
