"""Patients on file: finding the one a booking or request is for, saving their details, their visits.

Plain SQL through the driver: these run in every booking and request (see :class:`Driver`).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.patient_merge import MERGED_MEANWHILE
from scheduler.domain.patient_merge import MergedMeanwhile
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.patients import VisitOnFile
from scheduler.store.driver import driver

# The patient a booking or request is for: the one named by id or by MRN when the caller gives
# one (an integration), else the same names and birth date and a matching phone or email. A value
# given as None compares as NULL, which matches nothing: one expression for every case.
MATCHING_PATIENT_ID = (
    "COALESCE((SELECT id FROM patient WHERE id = :patient_id), (SELECT id FROM patient WHERE mrn = :mrn), "
    "(SELECT id FROM patient WHERE birth_date = :birth_date "
    "AND lower(family_name) = :family_name AND lower(given_name) = :given_name "
    "AND (phone = :phone OR email = :email) ORDER BY id LIMIT 1))"
)
_COLUMNS = "id, given_name, family_name, birth_date, phone, email, sms_consent, mrn"


def matching_params(details: PatientDetails) -> dict[str, Any]:
    """The values :data:`MATCHING_PATIENT_ID` takes."""
    return {
        "patient_id": details.patient_id,
        "mrn": details.mrn or None,
        "birth_date": details.birth_date,
        "family_name": details.family_name.lower(),
        "given_name": details.given_name.lower(),
        "phone": details.phone or None,
        "email": details.email or None,
    }


def find_patient_id(details: PatientDetails) -> int | None:
    """The patient named by id or MRN, else the one with the same names and birth date and a
    matching phone or email."""
    if not (details.phone or details.email or details.patient_id is not None or details.mrn):
        return None
    ((patient_id,),) = driver().rows(f"SELECT {MATCHING_PATIENT_ID}", matching_params(details))
    return int(patient_id) if patient_id is not None else None


def ids_with_identity(*, mrn: str | None = None, family_name: str | None = None, birth_date: date | None = None,
                      given_name: str | None = None, limit: int = 100) -> list[int]:  # fmt: skip
    """Patients by MRN, or by family name and birth date (and given name when given), compared
    whole and case-insensitively (never a partial name): ids in order, at most ``limit``."""
    where: list[str] = []
    values: dict[str, object] = {}
    if mrn is not None:
        where.append("mrn = :mrn")
        values["mrn"] = mrn
    if family_name is not None:
        where.append("lower(family_name) = :family_name")
        values["family_name"] = family_name.lower()
    if given_name is not None:
        where.append("lower(given_name) = :given_name")
        values["given_name"] = given_name.lower()
    if birth_date is not None:
        where.append("birth_date = :birth_date")
        values["birth_date"] = birth_date
    if not where:
        return []
    rows = driver().rows(f"SELECT id FROM patient WHERE {' AND '.join(where)} ORDER BY id LIMIT {int(limit)}", values)
    return [int(row[0]) for row in rows]


def patient(patient_id: int) -> PatientRecord | None:
    found = driver().rows(f"SELECT {_COLUMNS} FROM patient WHERE id = :id", {"id": patient_id})
    return _record(found[0]) if found else None


def new_patient_row(details: PatientDetails | PatientRecord, now: datetime) -> dict[str, Any]:
    """The row of a new patient, but for its id (from the details given, or the record a booking
    is about to write)."""
    return {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "birth_date": details.birth_date,
        "phone": details.phone,
        "email": details.email,
        "sms_consent": details.sms_consent,
        "sms_consent_at": now if details.sms_consent else None,
        "mrn": details.mrn or None,
        "created_at": now,
    }


def as_record(patient_id: int, details: PatientDetails) -> PatientRecord:
    """The record a new patient's row (from :func:`new_patient_row`) saves."""
    return PatientRecord(
        patient_id,
        details.given_name,
        details.family_name,
        details.birth_date,
        details.phone,
        details.email,
        details.sms_consent,
        details.mrn or None,
    )


def insert_patient(details: PatientDetails, now: datetime) -> PatientRecord:
    """One INSERT ... RETURNING."""
    (patient_id,) = driver().rows(
        "INSERT INTO patient (given_name, family_name, birth_date, phone, email, sms_consent, sms_consent_at, "
        "mrn, created_at) VALUES (:given_name, :family_name, :birth_date, :phone, :email, :sms_consent, "
        ":sms_consent_at, :mrn, :created_at) RETURNING id",
        new_patient_row(details, now),
    )[0]
    return as_record(patient_id, details)


def update_contact(found: PatientRecord, details: PatientDetails, now: datetime) -> PatientRecord:
    """Bring a known patient's contact details and consent up to date: a contact left out keeps
    the one on file; consent is as given now, and when it is newly given, when it was. An MRN
    given is recorded when the patient has none (one on file is never replaced). Raises
    MergedMeanwhile when the record is no longer on file."""
    updated = PatientRecord(
        found.id,
        found.given_name,
        found.family_name,
        found.birth_date,
        details.phone or found.phone,
        details.email or found.email,
        details.sms_consent,
        found.mrn or details.mrn or None,
    )
    changed = driver().run(
        "UPDATE patient SET phone = :phone, email = :email, sms_consent = :sms_consent, mrn = :mrn, "
        "sms_consent_at = CASE WHEN :newly_consented THEN :now ELSE sms_consent_at END WHERE id = :id",
        {
            "id": found.id,
            "phone": updated.phone,
            "email": updated.email,
            "mrn": updated.mrn,
            "sms_consent": updated.sms_consent,
            "newly_consented": details.sms_consent and not found.sms_consent,
            "now": now,
        },
    )
    if not changed:
        # The record was merged into another after it was found (on PostgreSQL this UPDATE waited
        # for the merge's lock on the row, then found the row gone): refuse, rather than save a
        # visit or a request for a patient who is no longer on file.
        raise MergedMeanwhile(MERGED_MEANWHILE)
    return updated


def visits_on_file(patient_id: int) -> list[VisitOnFile]:
    """The patient's visits that still count (not cancelled or entered in error), latest first."""
    released = {f"released{i}": status.value for i, status in enumerate(sorted(RELEASED_STATUSES))}
    rows = driver().rows(
        "SELECT vt.code, s.code, a.provider_id, a.status FROM appointment a "
        "JOIN visit_type vt ON vt.id = a.visit_type_id "
        "JOIN provider p ON p.id = a.provider_id JOIN specialty s ON s.id = p.specialty_id "
        f"WHERE a.patient_id = :patient_id AND a.status NOT IN ({', '.join(':' + name for name in released)}) "
        "ORDER BY a.starts_at DESC",
        {"patient_id": patient_id, **released},
    )
    return [VisitOnFile(*row) for row in rows]


def _record(row: tuple[Any, ...]) -> PatientRecord:
    patient_id, given_name, family_name, birth_date, phone, email, sms_consent, mrn = row
    return PatientRecord(
        patient_id,
        given_name,
        family_name,
        driver().day(birth_date),
        phone,
        email,
        bool(sms_consent),
        mrn,
    )
