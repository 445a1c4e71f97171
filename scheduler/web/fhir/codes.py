"""The URIs our FHIR resources use for their code systems, identifiers and extensions.

Our own code systems are published: their canonical URL is an address of this service
(PUBLIC_BASE_URL + /fhir/CodeSystem/<name>), where the CodeSystem resource is served. Standard
systems are used beside them where one exists (SNOMED CT for the specialties, HL7 v2 table 0276
for the appointment type). The ``urn:si-joint-clinic:fhir:*`` names below were the systems
before; input in them is still accepted, so integrations built on them keep working.
"""

from __future__ import annotations

from scheduler.settings import settings

BASE = "urn:si-joint-clinic:fhir"
VISIT_TYPE_SYSTEM = f"{BASE}:visit-type"  # Slot/Appointment.serviceType: our visit type codes
SPECIALTY_SYSTEM = f"{BASE}:specialty"
ERROR_SYSTEM = f"{BASE}:error"  # OperationOutcome.issue.details: the JSON API's error codes
REFERENCE_SYSTEM = f"{BASE}:appointment-reference"  # the reference patients read out, SIJ-XXXX-XXXX
HOLD_TOKEN_SYSTEM = f"{BASE}:hold-token"  # a $hold's secret: only its bearer can $book the time
# Appointment.reasonCode on $book: the patient's answers, so a red flag is never booked routinely.
RED_FLAG_SYSTEM = f"{BASE}:red-flag"  # fever, cannot-bear-weight
CAUSE_SYSTEM = f"{BASE}:cause"  # the likely cause, as the patient pages ask it (infection, trauma, ...)
HOLD_EXPIRES_URL = f"{BASE}:extension:hold-expires"
NEXT_OPEN_URL = f"{BASE}:extension:next-open"
# HL7 terminology the resources use.
LOCATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
SERVICE_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/service-category"
SNOMED_SYSTEM = "http://snomed.info/sct"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"  # Practitioner.identifier
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"  # MR: a medical record number
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
# The clinic's specialties as SNOMED CT practice settings (the c80 practice codes), where one fits.
SPECIALTY_SNOMED = {
    "pmr": ("394602003", "Rehabilitation - specialty"),
    "radiology-pain": ("394882004", "Pain management - specialty"),
    "ortho": ("394801008", "Trauma & orthopedics - specialty"),
    "endo": ("394583002", "Endocrinology - specialty"),
}
# Our published code systems: name -> the urn it replaces (still accepted on input).
PUBLISHED = {
    "visit-type": VISIT_TYPE_SYSTEM,
    "specialty": SPECIALTY_SYSTEM,
    "red-flag": RED_FLAG_SYSTEM,
    "cause": CAUSE_SYSTEM,
}


def published(name: str) -> str:
    """The canonical URL of our code system ``name`` (one of :data:`PUBLISHED`), served there."""
    return f"{settings().public_base_url}/fhir/CodeSystem/{name}"


def published_identifier(name: str) -> str:
    """The URL of one of our identifier systems (``hold-token``, ``appointment-reference``)."""
    return f"{settings().public_base_url}/fhir/sid/{name}"


def systems(name: str) -> tuple[str, str]:
    """The systems a code of ours may come in: the published URL, and the urn it replaces."""
    return published(name), PUBLISHED[name]
