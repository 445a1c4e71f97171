"""Finding the patient a booking or request is for, and what the clinic knows of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from scheduler import models
from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.routing import History
from scheduler.domain.routing import LastVisit
from scheduler.extensions import db


@dataclass(frozen=True)
class PatientDetails:
    """Validated details as given (phone in E.164, email normalized)."""

    given_name: str
    family_name: str
    birth_date: date
    phone: str | None
    email: str | None
    sms_consent: bool = False


def find_patient(details: PatientDetails) -> models.Patient | None:
    """The existing patient with the same names and birth date and a matching phone or email."""
    contact = [
        c
        for c in (
            models.Patient.phone == details.phone if details.phone else None,
            models.Patient.email == details.email if details.email else None,
        )
        if c is not None
    ]
    if not contact:
        return None
    return db.session.execute(
        select(models.Patient)
        .where(
            models.Patient.birth_date == details.birth_date,
            func.lower(models.Patient.family_name) == details.family_name.lower(),
            func.lower(models.Patient.given_name) == details.given_name.lower(),
            or_(*contact),
        )
        .order_by(models.Patient.id)
        .limit(1)
    ).scalar_one_or_none()


def save_patient(details: PatientDetails, found: models.Patient | None, now: datetime) -> models.Patient:
    """``found`` (from :func:`find_patient`) with its contact details and consent brought up to
    date, or a new patient; flushed, so it has an id. Call inside a write transaction."""
    patient = found
    if patient is None:
        patient = models.Patient(
            given_name=details.given_name,
            family_name=details.family_name,
            birth_date=details.birth_date,
        )
        db.session.add(patient)
    patient.phone = details.phone or patient.phone
    patient.email = details.email or patient.email
    if details.sms_consent and not patient.sms_consent:
        patient.sms_consent_at = now
    patient.sms_consent = details.sms_consent
    db.session.flush()
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
