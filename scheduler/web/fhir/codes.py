"""The URIs our FHIR resources use for their code systems, identifiers and extensions.

Fixed names rather than URLs built from PUBLIC_BASE_URL: integrations match on them, so they must
not change when the service moves. They are documented in the CapabilityStatement and the README.
"""

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
