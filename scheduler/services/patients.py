"""Finding the patient a booking or request is for, and what the clinic knows of them."""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import History
from scheduler.domain.routing import LastVisit
from scheduler.store import patients as store_patients


def find_patient(details: PatientDetails) -> PatientRecord | None:
    """The existing patient with the same names and birth date and a matching phone or email."""
    return patient_with_id(store_patients.find_patient_id(details))


def patient_with_id(patient_id: int | None) -> PatientRecord | None:
    return store_patients.patient(patient_id) if patient_id is not None else None


def save_patient(details: PatientDetails, found: PatientRecord | None, now: datetime) -> PatientRecord:
    """``found`` (from :func:`find_patient`) with its contact details and consent brought up to
    date, or a new patient. Call inside a unit of work."""
    if found is None:
        return store_patients.insert_patient(details, now)
    return store_patients.update_contact(found, details, now)


def history(patient: PatientRecord | None) -> History:
    """What routing needs of the patient's past: the visit types they completed, and their last
    visit that took place (or is taking place)."""
    if patient is None:
        return History()
    visits = store_patients.visits_on_file(patient.id)
    fulfilled = frozenset(v.visit_type for v in visits if v.status == AppointmentStatus.FULFILLED)
    last = next((v for v in visits if v.status in (AppointmentStatus.FULFILLED, AppointmentStatus.ARRIVED)), None)
    return History(fulfilled, LastVisit(last.visit_type, last.specialty, last.provider_id) if last else None)
