"""An OpenAPI 3.1 description of /fhir, for tools that do not read CapabilityStatements (and for
schemathesis). Request bodies come from the pydantic models the operations validate with; the
answers are described loosely (a FHIR resource, or an OperationOutcome), since the FHIR
specification, not this document, defines their shapes."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from scheduler.web.fhir import params
from scheduler.web.fhir.schemas import ParametersIn

REF = "#/components/schemas/{model}"
FHIR_JSON = "application/fhir+json"
BEARER: list[dict[str, list[str]]] = [{"apiToken": []}]


def _answer(description: str, schema: str = "Resource") -> dict[str, Any]:
    return {"description": description, "content": {FHIR_JSON: {"schema": {"$ref": REF.format(model=schema)}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "OperationOutcome invalid_input: a parameter or the body cannot be used",
        401: "OperationOutcome unauthorized: no token, an unknown one, or a revoked one",
        403: "OperationOutcome forbidden: the token lacks the scope",
        404: "OperationOutcome not_found",
        406: "OperationOutcome not_acceptable: _format or Accept asks for something other than JSON",
        409: "OperationOutcome slot_taken: the time is no longer free",
        413: "OperationOutcome too_large: the body is over 64 KB",
        414: "OperationOutcome uri_too_long: the URL is over 4096 bytes",
        422: "OperationOutcome refused by the clinic's rules: outside_clinic_hours, clinic_closed, not_on_grid, "
        "requires_request, routed_elsewhere",
        429: "OperationOutcome rate_limited",
        503: "OperationOutcome unavailable: the call could not be audited, so it was not answered",
    }
    return {str(s): _answer(text[s], "OperationOutcome") for s in statuses}


# What each search parameter's values may be, as patterns the server reads exactly (params.py): a
# value that matches is answered (200, or a documented refusal of the clinic's rules), one that does
# not is a 400 naming the parameter. Dates are real days of 2000 to 2100, with the prefixes served.
_YEAR = r"(20[0-9]{2}|2100)"
_MONTH_DAY = r"((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_DAY = rf"({_YEAR}-{_MONTH_DAY}|20([02468][048]|[13579][26])-02-29)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PARAMETER = rf"^(eq|ge|gt|le|lt)?({_YEAR}|{_YEAR}-(0[1-9]|1[0-2])|{_DAY}|{_DAY}T{_TIME})$"
FHIR_ID = r"[A-Za-z0-9.-]{1,64}"
CODE = r"[a-z][a-z0-9-]{0,39}"
TEXT = r"[^,|\x00-\x1f\x7f]"  # a character of a token's system: no separator, nothing no person types
_SCHEDULE = r"(Schedule/)?(provider|room)-[0-9]{1,9}"
SCHEDULES = f"^{_SCHEDULE}(,{_SCHEDULE})*$"
# $find's start and end: a whole day, or a date-time with seconds and its offset.
MOMENT = (
    rf"^({_DAY}|{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$"
)
PATIENT = r"^((Patient/)?[1-9][0-9]{0,8}|[^|\x00-\x1f\x7f]*\|[A-Za-z0-9._-]{1,64})$"


def _codes(values: tuple[str, ...] | None = None) -> str:
    """One or more codes, comma-separated (ORed); ``values``: the only codes there are."""
    one = f"({'|'.join(values)})" if values else CODE
    return f"^{one}(,{one})*$"


def _query(
    name: str, description: str, *, repeat: bool = False, pattern: str | None = None, required: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": 200}
    if pattern:
        schema["pattern"] = pattern
    if repeat:
        schema = {"type": "array", "items": schema, "maxItems": params.REPEAT_LIMIT}
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if repeat else {}),
    }


def _reference(name: str, resource_type: str, *, several: bool = False) -> dict[str, Any]:
    one = rf"({resource_type}/)?[0-9]{{1,9}}"
    pattern = f"^{one}(,{one})*$" if several else f"^{one}$"
    return _query(name, f"{resource_type}/N", pattern=pattern)


def _date(name: str, description: str) -> dict[str, Any]:
    return _query(name, description, repeat=True, pattern=DATE_PARAMETER)


PAGING = [
    {
        "name": "_count",
        "in": "query",
        "required": False,
        "description": "Page size: default 100, more than 1000 is read as 1000, 0 gives the total only",
        "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999},
    },
    {
        "name": "_offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": params.MAX_OFFSET},
    },
    {
        "name": "_summary",
        "in": "query",
        "required": False,
        "description": "count: the total only",
        "schema": {"type": "string", "enum": ["count", "false"]},
    },
]
IDENT = {"name": "ident", "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{FHIR_ID}$"}}
NOT_MODIFIED = {"304": {"description": "Not modified: the client's If-None-Match is this version"}}
READ_ERRORS = (400, 401, 403, 406, 414, 429, 503)
FIND_ERRORS = (400, 401, 403, 406, 413, 414, 422, 429, 503)


def _search(kind: str, extra: list[dict[str, Any]], *, several_ids: bool = True) -> dict[str, Any]:
    ids = f"^{FHIR_ID}(,{FHIR_ID})*$" if several_ids else f"^{FHIR_ID}$"
    return {
        "get": {
            "operationId": f"search{kind}",
            "summary": f"Search {kind} (a searchset Bundle)",
            "security": BEARER,
            "parameters": [_query("_id", "Resource ids, comma-separated", pattern=ids), *extra, *PAGING],
            "responses": {"200": _answer("Bundle (searchset)", "Bundle"), **_errors(*READ_ERRORS)},
        }
    }


def _read(kind: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"read{kind}",
            "summary": f"Read one {kind}",
            "security": BEARER,
            "parameters": [IDENT],
            "responses": {
                "200": _answer(kind),
                # An Appointment answers with its weak ETag (W/"<versionId>"); If-None-Match may make it a 304.
                **(NOT_MODIFIED if kind == "Appointment" else {}),
                **_errors(*READ_ERRORS, 404),
            },
        }
    }


def _operation(name: str, summary: str, ok: str, statuses: tuple[int, ...], created: bool = False) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"appointment{name.title()}",
            "summary": summary,
            "security": BEARER,
            "requestBody": {
                "required": True,
                "content": {
                    # application/json is read the same; only one is listed, as two make
                    # openapi-python-client write a body argument it cannot import (Unset).
                    FHIR_JSON: {"schema": {"$ref": REF.format(model="ParametersIn")}},
                },
            },
            "responses": {
                "201" if created else "200": _answer(ok, "Bundle" if ok == "Bundle" else "Resource"),
                **_errors(*statuses),
            },
        }
    }


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _array(item: str | dict[str, Any], *, min_items: int = 0) -> dict[str, Any]:
    items = {"$ref": REF.format(model=item)} if isinstance(item, str) else item
    return {"type": "array", "items": items, **({"minItems": min_items} if min_items else {})}


STRING: dict[str, Any] = {"type": "string"}


def result_schemas() -> dict[str, Any]:
    """What the answers are, item by item, so that a generated client gets typed results (a Bundle
    whose entries hold resources, an OperationOutcome whose issues carry their codes). Only the
    elements a client needs to read answers are named; FHIR's other elements are allowed."""
    return {
        "Resource": _object(["resourceType"], resourceType=STRING, id=STRING),
        "Coding": _object([], system=STRING, code=STRING, display=STRING),
        "CodeableConcept": _object([], coding=_array("Coding"), text=STRING),
        "BundleLink": _object(["relation", "url"], relation=STRING, url=STRING),
        "BundleEntrySearch": _object([], mode={"type": "string", "enum": ["match", "include", "outcome"]}),
        "BundleEntry": _object(
            ["fullUrl", "resource"],
            fullUrl=STRING,
            resource={"$ref": REF.format(model="Resource")},
            search={"$ref": REF.format(model="BundleEntrySearch")},
        ),
        "Bundle": _object(
            ["resourceType", "type", "total", "link"],
            resourceType={"type": "string", "enum": ["Bundle"]},
            type={"type": "string", "enum": ["searchset"]},
            total={"type": "integer", "minimum": 0},
            link=_array("BundleLink", min_items=1),
            entry=_array("BundleEntry", min_items=1),
        ),
        "OperationOutcomeIssue": _object(
            ["severity", "code"],
            severity={"type": "string", "enum": ["fatal", "error", "warning", "information"]},
            code=STRING,
            details={"$ref": REF.format(model="CodeableConcept")},
            diagnostics=STRING,
            expression=_array(STRING),
        ),
        "OperationOutcome": _object(
            ["resourceType", "issue"],
            resourceType={"type": "string", "enum": ["OperationOutcome"]},
            issue=_array("OperationOutcomeIssue", min_items=1),
        ),
    }


@cache
def openapi_document() -> dict[str, Any]:
    _, defs = models_json_schema([(ParametersIn, "validation")], ref_template=REF)
    components = dict(defs.get("$defs", {}))
    components.update(result_schemas())
    write_errors = (400, 401, 403, 406, 409, 413, 414, 422, 429, 503)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SI Joint Clinic FHIR R4 scheduling API",
            "version": "1.0.0",
            "description": "FHIR R4 (application/fhir+json). /fhir/metadata is the CapabilityStatement; every other "
            "path needs an API token. Times carry the America/Chicago offset.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {"apiToken": {"type": "http", "scheme": "bearer", "description": "An API client token"}},
        },
        "paths": {
            "/fhir/metadata": {
                "get": {
                    "operationId": "capabilities",
                    "summary": "The CapabilityStatement",
                    "responses": {"200": _answer("CapabilityStatement"), **_errors(406, 414, 429)},
                }
            },
            "/fhir/Slot": {
                "get": {
                    "operationId": "searchSlot",
                    "summary": "Free and busy slots",
                    "description": "Free slots need a service-type; the start bounds span at most 62 days (14 "
                    "from today by default); codes must be the clinic's. Otherwise 400, naming the parameter.",
                    "security": BEARER,
                    "parameters": [
                        _query("schedule", "Schedule/provider-N or Schedule/room-N", pattern=SCHEDULES),
                        _date("start", "ge2027-03-08, lt2027-03-15, ..."),
                        _query("status", "free, busy, busy-tentative", pattern=_codes(params.SLOT_STATUSES)),
                        _query("service-type", "A visit type code (needed for free slots)", pattern=_codes()),
                        _query("specialty", "A specialty code", pattern=_codes()),
                        *PAGING,
                    ],
                    "responses": {"200": _answer("Bundle (searchset)", "Bundle"), **_errors(*READ_ERRORS)},
                }
            },
            "/fhir/Appointment": _search(
                "Appointment",
                [
                    _reference("patient", "Patient"),
                    _reference("practitioner", "Practitioner"),
                    _date("date", "ge2027-03-08, ..."),
                    _query("status", "booked, cancelled, ...", pattern=_codes(params.APPOINTMENT_STATUSES)),
                    _query(
                        "status:not",
                        "Statuses to leave out: cancelled, ...",
                        pattern=_codes(params.APPOINTMENT_STATUSES),
                    ),
                    _date("_lastUpdated", "gt2027-03-08T10:00:00Z, ..."),
                    _query(
                        "identifier",
                        "An appointment reference, with its system (system|value) or without",
                        pattern=rf"^({TEXT}*\|)?{FHIR_ID}$",
                    ),
                ],
                several_ids=False,
            ),
            "/fhir/Slot/{ident}": _read("Slot"),
            "/fhir/Appointment/{ident}": _read("Appointment"),
            "/fhir/Patient/{ident}": _read("Patient"),
            "/fhir/Schedule": _search("Schedule", [_reference("actor", "Practitioner", several=True)]),
            "/fhir/Schedule/{ident}": _read("Schedule"),
            "/fhir/Practitioner": _search("Practitioner", []),
            "/fhir/Practitioner/{ident}": _read("Practitioner"),
            "/fhir/Location": _search("Location", []),
            "/fhir/Location/{ident}": _read("Location"),
            "/fhir/HealthcareService": _search("HealthcareService", []),
            "/fhir/HealthcareService/{ident}": _read("HealthcareService"),
            "/fhir/CodeSystem": _search("CodeSystem", []),
            "/fhir/CodeSystem/{ident}": _read("CodeSystem"),
            "/fhir/NamingSystem": _search("NamingSystem", []),
            "/fhir/NamingSystem/{ident}": _read("NamingSystem"),
            "/fhir/sid/{ident}": {
                "get": {
                    "operationId": "identifierSystem",
                    "summary": "What an identifier system of this service identifies (a NamingSystem)",
                    "parameters": [IDENT],
                    "responses": {"200": _answer("NamingSystem"), **_errors(404, 406, 414, 429)},
                }
            },
            "/fhir/Appointment/$find": {
                **_operation("find", "Proposed appointments for a service type and window", "Bundle", FIND_ERRORS),
                "get": {
                    "operationId": "appointmentFindByQuery",
                    "summary": "Proposed appointments, the question in the query string (the next links)",
                    "security": BEARER,
                    "parameters": [
                        _query("service-type", "A visit type code", pattern=f"^({TEXT}*\\|)?{CODE}$", required=True),
                        _query(
                            "start", "A date (2027-03-08) or a date-time with its offset", pattern=MOMENT, required=True
                        ),
                        _query("end", "A date (included) or a date-time", pattern=MOMENT, required=True),
                        _query("practitioner", "Practitioner/N", pattern=r"^(Practitioner/)?[1-9][0-9]{0,8}$"),
                        _query("patient", "Patient/N, or the MRN as system|value", pattern=PATIENT),
                        *PAGING,
                    ],
                    "responses": {"200": _answer("Bundle (searchset)", "Bundle"), **_errors(*FIND_ERRORS)},
                },
            },
            "/fhir/Appointment/$hold": _operation("hold", "Hold a free time", "Appointment (pending)", write_errors),
            "/fhir/Appointment/$book": _operation(
                "book", "Book a held or free time", "Appointment (booked)", write_errors, created=True
            ),
        },
    }
