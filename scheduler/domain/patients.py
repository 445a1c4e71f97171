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
