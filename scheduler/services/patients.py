"""Finding the patient a booking or request is for, and what the clinic knows of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.routing import History
from scheduler.domain.routing import LastVisit
from scheduler.store import models
from scheduler.store.driver import driver
from scheduler.store.engine import db


@dataclass(frozen=True)
class PatientDetails:
    """Validated details as given (phone in E.164, email normalized)."""

    given_name: str
    family_name: str
    birth_date: date
    phone: str | None
    email: str | None
    sms_consent: bool = False


# The patient a booking or request is for: the same names and birth date and a matching phone or
# email. A contact given as None compares as NULL, which matches nothing: one expression for
# phone, email or both. Plain SQL: it runs in every booking and request (see store.driver.Driver).
MATCHING_PATIENT_ID = (
    "(SELECT id FROM patient WHERE birth_date = :birth_date "
    "AND lower(family_name) = :family_name AND lower(given_name) = :given_name "
    "AND (phone = :phone OR email = :email) ORDER BY id LIMIT 1)"
)


def matching_params(details: PatientDetails) -> dict[str, object]:
    """The values :data:`MATCHING_PATIENT_ID` takes."""
    return {
        "birth_date": details.birth_date,
        "family_name": details.family_name.lower(),
        "given_name": details.given_name.lower(),
        "phone": details.phone or None,
        "email": details.email or None,
    }


def find_patient(details: PatientDetails) -> models.Patient | None:
    """The existing patient with the same names and birth date and a matching phone or email."""
    if not details.phone and not details.email:
        return None
    ((patient_id,),) = driver().rows(f"SELECT {MATCHING_PATIENT_ID}", matching_params(details))
    return patient_with_id(patient_id)


def patient_with_id(patient_id: int | None) -> models.Patient | None:
    return db.session.get(models.Patient, patient_id) if patient_id is not None else None


def save_patient(details: PatientDetails, found: models.Patient | None, now: datetime) -> models.Patient:
    """``found`` (from :func:`find_patient`) with its contact details and consent brought up to
    date, or a new patient; flushed, so it has an id. Call inside a write transaction."""
    if found is None:
        return _insert_patient(details, now)
    update_patient(found, details, now)
    return found


def update_patient(found: models.Patient, details: PatientDetails, now: datetime) -> None:
    """Bring a known patient's contact details and consent up to date (flushed)."""
    found.phone = details.phone or found.phone
    found.email = details.email or found.email
    if details.sms_consent and not found.sms_consent:
        found.sms_consent_at = now
    found.sms_consent = details.sms_consent
    db.session.flush()


def new_patient_row(details: PatientDetails, now: datetime) -> dict[str, object]:
    """The row of a new patient, but for its id."""
    return {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "birth_date": details.birth_date,
        "phone": details.phone,
        "email": details.email,
        "sms_consent": details.sms_consent,
        "sms_consent_at": now if details.sms_consent else None,
        "created_at": now,
    }


def attach_inserted(patient: models.Patient) -> None:
    """Put a patient whose row was written in plain SQL in the session as persistent, without
    another statement (the unit of work's flush of one new object costs several times as much)."""
    make_transient_to_detached(patient)
    db.session.add(patient)


def _insert_patient(details: PatientDetails, now: datetime) -> models.Patient:
    """One INSERT ... RETURNING. It runs in every request for a new patient."""
    values = new_patient_row(details, now)
    (patient_id,) = driver().rows(
        "INSERT INTO patient (given_name, family_name, birth_date, phone, email, sms_consent, sms_consent_at, "
        "created_at) VALUES (:given_name, :family_name, :birth_date, :phone, :email, :sms_consent, "
        ":sms_consent_at, :created_at) RETURNING id",
        values,
    )[0]
    patient = models.Patient(id=patient_id, **values)
    attach_inserted(patient)
    return patient


def history(patient: models.Patient | None) -> History:
    if patient is None or patient.id is None:
        return History()
    a = models.Appointment
    rows = (
        db.session.execute(
            select(a)
            .where(a.patient_id == patient.id, a.status.not_in([s.value for s in RELEASED_STATUSES]))
            .order_by(a.starts_at.desc())
        )
        .scalars()
        .all()
    )
    fulfilled = frozenset(r.visit_type.code for r in rows if r.status == AppointmentStatus.FULFILLED)
    last = next((r for r in rows if r.status in (AppointmentStatus.FULFILLED, AppointmentStatus.ARRIVED)), None)
    last_visit = LastVisit(last.visit_type.code, last.provider.specialty.code, last.provider_id) if last else None
    return History(fulfilled, last_visit)
