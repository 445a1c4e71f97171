"""Who an operation is for: a patient on file named by reference or identifier (the MRN).

$find and $hold offer only what that patient may book; $book books for them (see
services.client_bookings.bookable, the one rule the three share).
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import ValidationError

from scheduler.domain.errors import InvalidInput
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.services import patients
from scheduler.settings import settings
from scheduler.web.fhir.schemas import PatientRef
from scheduler.web.fhir.schemas import PatientResourceIn


def patient_on_file(ref: PatientRef, field: str = "patient") -> PatientRecord:
    """The patient ``ref`` names. Raises InvalidInput (naming ``field``) for an identifier of
    another system, or when no patient on file is the one named."""
    system = settings().patient_mrn_system
    if ref.mrn is not None and ref.system not in (None, system):
        raise InvalidInput({field: f"Identify the patient by a medical record number of {system}, or as Patient/N."})
    found = patients.identified(patient_id=ref.id, mrn=ref.mrn)
    if found is None:
        named = f"Patient/{ref.id}" if ref.id is not None else "that identifier"
        raise InvalidInput({field: f"No patient on file is {named}: send the patient's details instead."})
    return found


def details_given(person: PatientResourceIn) -> PatientDetails:
    """A Patient resource sent with $book, as the booking's details: its MRN (in the system of
    PATIENT_MRN_SYSTEM) is matched before the name, birth date and contact."""
    name = person.name[0]
    try:
        mrn = person.mrn(settings().patient_mrn_system)
    except ValueError as problem:
        raise InvalidInput({"patient": str(problem)}) from None
    return PatientDetails(
        given_name=" ".join(name.given),
        family_name=name.family,
        birth_date=person.birthDate,
        phone=person.phone,
        email=person.email,
        sms_consent=False,  # consent to texts is asked by the clinic, never assumed for an integration
        mrn=mrn,
    )


def patient_ref(text: str, field: str = "identifier") -> PatientRef:
    """A token search's ``system|value`` (or a bare value) as a patient identifier."""
    try:
        return PatientRef.model_validate(text if "|" in text else f"|{text}")
    except ValidationError:
        raise InvalidInput({field: "Give the identifier as system|value, e.g. an MRN."}) from None


def birth_date(text: str, field: str = "birthdate") -> date:
    """A search's birth date: a whole day, YYYY-MM-DD (no prefix, no partial date)."""
    try:
        if re.fullmatch(r"(eq)?[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return date.fromisoformat(text.removeprefix("eq"))
    except ValueError:
        pass
    raise InvalidInput({field: "Give the whole birth date, as YYYY-MM-DD."})
