"""The URIs our FHIR resources use for their code systems, identifiers and extensions.

Our own code systems are published: their canonical URL is an address of this service
(PUBLIC_BASE_URL + /fhir/CodeSystem/<name>), where the CodeSystem resource is served; our
identifier systems likewise (PUBLIC_BASE_URL + /fhir/sid/<name>, where a NamingSystem says what
they identify). Standard systems are used beside them where one exists (SNOMED CT for the
specialties, HL7 v2 table 0276 for the appointment type). The ``urn:si-joint-clinic:fhir:*``
names below were the systems before; input in them is still accepted, so that integrations that
stored them keep working.
"""

from __future__ import annotations

from scheduler.settings import settings

LEGACY_BASE = "urn:si-joint-clinic:fhir"
# Our code systems: name -> the urn it replaces (still accepted on input).
#   visit-type: Slot/Appointment.serviceType; specialty; error: OperationOutcome.issue.details (the
#   JSON API's error codes); red-flag and cause: Appointment.reasonCode on $book, the patient's
#   answers, so that a red flag is never booked routinely.
PUBLISHED = {name: f"{LEGACY_BASE}:{name}" for name in ("visit-type", "specialty", "red-flag", "cause", "error")}
# Our identifier systems: name -> the urn it replaces (still accepted on input).
#   appointment-reference: the reference patients read out, SIJ-XXXX-XXXX (Appointment.identifier);
#   hold-token: a $hold's secret, only its bearer can $book the time.
IDENTIFIER_SYSTEMS = {name: f"{LEGACY_BASE}:{name}" for name in ("appointment-reference", "hold-token")}
HOLD_EXPIRES_URL = f"{LEGACY_BASE}:extension:hold-expires"
NEXT_OPEN_URL = f"{LEGACY_BASE}:extension:next-open"
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


def published(name: str) -> str:
    """The canonical URL of our code system ``name`` (one of :data:`PUBLISHED`), served there."""
    return f"{settings().public_base_url}/fhir/CodeSystem/{name}"


def published_identifier(name: str) -> str:
    """The URL of one of our identifier systems (``hold-token``, ``appointment-reference``, and
    ``mrn`` when PATIENT_MRN_SYSTEM is left to its default), where its NamingSystem is served."""
    return f"{settings().public_base_url}/fhir/sid/{name}"


def systems(name: str) -> tuple[str, str]:
    """The systems a code of ours may come in: the published URL, and the urn it replaces."""
    return published(name), PUBLISHED[name]


def identifier_systems(name: str) -> tuple[str, str]:
    """The systems an identifier of ours may come in: the published URL, and the urn it replaces."""
    return published_identifier(name), IDENTIFIER_SYSTEMS[name]
