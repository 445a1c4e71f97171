"""The CapabilityStatement at /fhir/metadata: what this server reads, searches and does."""

from __future__ import annotations

from typing import Any

from scheduler.settings import settings
from scheduler.web.fhir.codes import published
from scheduler.web.fhir.codes import published_identifier

# The canonical URLs of the operation definitions $find/$hold/$book follow: IHE ITI Scheduling's
# (which take up the Argonaut Scheduling IG's; Argonaut's parameter names are accepted too).
ARGONAUT = "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition"
RELEASE_DATE = "2026-11-24"


def _param(name: str, kind: str, documentation: str) -> dict[str, str]:
    return {"name": name, "type": kind, "documentation": documentation}


# What every search takes besides its own parameters (params.RESULT_PARAMETERS).
PAGING = [
    _param("_count", "number", "Page size: default 100; more than 1000 is read as 1000; 0 gives the total only."),
    _param("_offset", "number", "Where the page starts (0 first); the Bundle's next link carries it."),
    _param("_summary", "token", "count: the total only, no entries. No other summary is supported."),
    _param("_total", "token", "Accepted (as is fhirpy's _totalMethod); the total is always exact."),
]


def _resource(
    kind: str, search: list[dict[str, str]], *, read: bool = True, doc: str = "", **extra: Any
) -> dict[str, Any]:
    interactions = ([{"code": "read"}] if read else []) + [{"code": "search-type"}]
    entry: dict[str, Any] = {
        "type": kind,
        "interaction": interactions,
        **extra,
        "searchParam": [*search, *PAGING],
    }
    if doc:
        entry["documentation"] = doc
    return entry


def capability_statement(base: str) -> dict[str, Any]:
    config = settings()
    ident = _param("_id", "token", "The resource's id.")
    visit_types, errors = published("visit-type"), published("error")
    reference, hold_token = published_identifier("appointment-reference"), published_identifier("hold-token")
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": config.clinic_name,
        "kind": "instance",
        "software": {"name": "SI Joint Clinic scheduler", "version": "1.0.0"},
        "implementation": {"description": f"{config.clinic_name} scheduling (FHIR R4)", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Times carry the America/Chicago offset; the clinic sees patients Monday to Friday, 08:00 to "
                    f"17:00 Central. Visit types are codes of {visit_types} (service-type). Errors are "
                    f"OperationOutcome whose issue.details.coding ({errors}) holds the JSON API's error "
                    "code: invalid_input (400), slot_taken (409), outside_clinic_hours, clinic_closed, "
                    "not_on_grid, requires_request, routed_elsewhere (422). Searches are strict: a parameter, "
                    "modifier or chain not listed here (and _include, _revinclude, _sort, _elements) is a 400 "
                    "naming it, unless the request says 'Prefer: handling=lenient', when it is ignored and left "
                    "out of the Bundle's links. Answers are JSON only (_format=json or an Accept of "
                    "application/fhir+json or application/json; anything else is a 406); URLs of more than "
                    "4096 bytes are a 414."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Every interaction except /metadata needs 'Authorization: Bearer <token>' of an API "
                        "client an administrator created. Scope 'read' allows reads, searches and $find; scope "
                        "'book' allows $hold and $book as well. Every call is audited and rate-limited."
                    ),
                },
                "resource": [
                    _resource(
                        "Slot",
                        [
                            _param("schedule", "reference", "Schedule/provider-N or Schedule/room-N."),
                            _param("start", "date", "With ge, gt, le, lt (ANDed); at most 62 days; default 14."),
                            _param("status", "token", "free, busy, busy-tentative (a hold)."),
                            _param("service-type", "token", "A visit type code; needed for free slots."),
                            _param("specialty", "token", "A specialty code."),
                        ],
                        doc="Free slots are computed for a service type, busy slots come from booked visits "
                        "and holds. Room schedules list busy slots only; free times are offered per provider. "
                        "A read (each entry's fullUrl) answers a free slot while it is still offered and a busy "
                        "one while it is booked or held; otherwise 404.",
                    ),
                    _resource(
                        "Appointment",
                        [
                            ident,
                            _param(
                                "identifier",
                                "token",
                                f"The appointment reference (SIJ-XXXX-XXXX), as {reference}|value or value "
                                "alone; another system matches nothing.",
                            ),
                            _param("patient", "reference", "Patient/N."),
                            _param("practitioner", "reference", "Practitioner/N."),
                            _param("date", "date", "The start, with ge, gt, le, lt."),
                            _param("status", "token", "booked, cancelled, fulfilled, ...; status:not leaves them out."),
                            _param("_lastUpdated", "date", "The last change, with ge, gt, le, lt."),
                        ],
                        versioning="versioned",
                        conditionalRead="full-support",
                        doc='A read carries meta.versionId and a weak ETag (W/"<versionId>") and Last-Modified; '
                        "If-None-Match (or If-Modified-Since) answers 304 when nothing changed.",
                    ),
                    _resource("Schedule", [ident, _param("actor", "reference", "Practitioner/N.")]),
                    _resource("Practitioner", [ident]),
                    _resource("Location", [ident]),
                    _resource(
                        "CodeSystem",
                        [ident],
                        doc="This service's own code systems (visit types, specialties, red flags, causes, error "
                        "codes), each published at its canonical URL. The urn: names they replace are accepted on "
                        "input.",
                    ),
                    _resource(
                        "NamingSystem",
                        [ident],
                        doc="This service's own identifier systems (appointment references, hold tokens, and "
                        "the MRN when PATIENT_MRN_SYSTEM is left to this service's), each also answered at its "
                        "URL (/fhir/sid/<name>, no token needed). The urn: names they replace are accepted on "
                        "input.",
                    ),
                    _resource(
                        "HealthcareService",
                        [ident],
                        doc="One per specialty: availableTime is the clinic's hours, notAvailable its closures.",
                    ),
                    _resource(
                        "Patient",
                        [
                            _param("identifier", "token", "The MRN, as system|value (the system: PATIENT_MRN_SYSTEM)."),
                            _param("name", "string", "The whole name ('Ann Lee'); only with birthdate."),
                            _param("family", "string", "The whole family name; only with birthdate."),
                            _param("given", "string", "The whole given name; with family and birthdate."),
                            _param("birthdate", "date", "YYYY-MM-DD; with name or family."),
                        ],
                        doc="Name, birth date and the MRN. Found by identifier, or by whole name and birth "
                        "date together (never a partial name, never a name alone); every read and search is "
                        "audited.",
                    ),
                ],
                "operation": [
                    {
                        "name": "find",
                        "definition": f"{ARGONAUT}/appointment-find",
                        "documentation": "POST Appointment/$find (or GET): Parameters service-type, start, end "
                        "(dates or date-times), practitioner, _count, _offset; answers a Bundle of proposed "
                        "Appointments with the total and next/previous links (GET $find with the same question). "
                        "Like a search, GET $find refuses a query parameter it does not read (lenient: ignores it); "
                        "called by POST, an operation reads nothing of its query string but _format.",
                    },
                    {
                        "name": "hold",
                        "definition": f"{ARGONAUT}/appointment-hold",
                        "documentation": "POST Appointment/$hold: Parameters appointment (a proposal) or start + "
                        "service-type (+ practitioner); answers a pending Appointment whose identifier "
                        f"({hold_token}) is the hold token, valid for minutes.",
                    },
                    {
                        "name": "book",
                        "definition": f"{ARGONAUT}/appointment-book",
                        "documentation": "POST Appointment/$book: Parameters appointment (held or proposed) and "
                        "patient (name, birthDate, telecom); answers the booked Appointment (201).",
                    },
                ],
            }
        ],
    }
