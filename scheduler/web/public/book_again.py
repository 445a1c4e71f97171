"""After cancelling: "Book a new time" starts the journey again with the patient's answers and
details kept (in their session, as any journey), so they only choose a time."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask import url_for

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.patients import PatientDetails
from scheduler.web.public import bp
from scheduler.web.public import journey
from scheduler.web.public.manage import _appointment
from scheduler.web.public.manage import _bad_link


@bp.post("/manage/<reference>/<token>/book-again")
def book_again(reference: str, token: str) -> Any:
    appointment = _appointment(reference, token)
    if appointment is None:
        return _bad_link()
    if appointment.status != AppointmentStatus.CANCELLED:
        return redirect(url_for("public.manage", reference=reference, token=token))
    patient = appointment.patient
    details = PatientDetails(
        patient.given_name, patient.family_name, patient.birth_date, patient.phone, patient.email, patient.sms_consent
    )
    journey.start_again(appointment.visit_type.code, appointment.answers, details)
    return redirect(url_for("public.time"))
