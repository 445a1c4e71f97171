"""Finding the patient a booking or request is for, and what the clinic knows of them."""

from __future__ import annotations

from datetime import date
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


def identified(*, patient_id: int | None = None, mrn: str | None = None) -> PatientRecord | None:
    """The patient on file with this id, or else this medical record number (None: no such patient)."""
    if patient_id is not None:
        return patient_with_id(patient_id)
    if mrn:
        found = store_patients.ids_with_identity(mrn=mrn, limit=1)
        return patient_with_id(found[0]) if found else None
    return None


def with_identity(
    *,
    mrn: str | None = None,
    family_name: str | None = None,
    given_name: str | None = None,
    birth_date: date | None = None,
    limit: int = 100,
) -> list[PatientRecord]:
    """Patients by MRN, or by whole family name (and given name) together with the birth date:
    never a partial name, never a name alone (an integration looking a person up, not browsing)."""
    if mrn is None and (family_name is None or birth_date is None):
        return []
    ids = store_patients.ids_with_identity(
        mrn=mrn, family_name=family_name, given_name=given_name, birth_date=birth_date, limit=limit
    )
    return [p for p in (store_patients.patient(i) for i in ids) if p is not None]


def details_on_file(patient: PatientRecord) -> PatientDetails:
    """A known patient's details as a booking takes them (naming the patient by id, so that the
    booking is theirs and no one else's); their consent to texts stays as it is."""
    return PatientDetails(
        given_name=patient.given_name,
        family_name=patient.family_name,
        birth_date=patient.birth_date,
        phone=patient.phone,
        email=patient.email,
        sms_consent=patient.sms_consent,
        patient_id=patient.id,
        mrn=patient.mrn,
    )


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
