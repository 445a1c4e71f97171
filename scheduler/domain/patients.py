"""Patients as the booking rules see them: the details a person gives, and the record on file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduler.domain.messages import Reachable


@dataclass(frozen=True)
class PatientDetails:
    """Validated details as given (phone in E.164, email normalized)."""

    given_name: str
    family_name: str
    birth_date: date
    phone: str | None
    email: str | None
    sms_consent: bool = False
    # Who the caller says the patient is, matched before the details (an integration's $book):
    # a patient on file by id, or a medical record number (kept on a new patient's record).
    patient_id: int | None = None
    mrn: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    """A patient on file, as saved."""

    id: int
    given_name: str
    family_name: str
    birth_date: date
    phone: str | None
    email: str | None
    sms_consent: bool
    mrn: str | None = None

    def reach(self) -> Reachable:
        """How messages can reach them: email when they gave one, texts only with their consent."""
        return Reachable(email=bool(self.email), sms=bool(self.sms_consent and self.phone))


@dataclass(frozen=True)
class VisitOnFile:
    """One of the patient's visits that still counts (not cancelled), as routing reads history."""

    visit_type: str
    specialty: str
    provider_id: int
    status: str
