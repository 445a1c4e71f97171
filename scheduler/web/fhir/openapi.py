"""An OpenAPI 3.1 description of /fhir, for tools that do not read CapabilityStatements (and for
schemathesis). Request bodies come from the pydantic models the operations validate with; the
answers are described loosely (a FHIR resource, or an OperationOutcome), since the FHIR
specification, not this document, defines their shapes."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

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
        409: "OperationOutcome slot_taken: the time is no longer free",
        413: "OperationOutcome too_large: the body is over 64 KB",
        422: "OperationOutcome refused by the clinic's rules: outside_clinic_hours, clinic_closed, not_on_grid, "
        "requires_request, routed_elsewhere",
        429: "OperationOutcome rate_limited",
        503: "OperationOutcome unavailable: the call could not be audited, so it was not answered",
    }
    return {str(s): _answer(text[s], "OperationOutcome") for s in statuses}


def _query(name: str, description: str, *, repeat: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": 200}
    if repeat:
        schema = {"type": "array", "items": schema, "maxItems": 4}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if repeat else {}),
    }


PAGING = [
    {"name": "_count", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "_offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
]
IDENT = {"name": "ident", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
READ_ERRORS = (400, 401, 403, 429, 503)
FIND_ERRORS = (400, 401, 403, 413, 422, 429, 503)


def _search(kind: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"search{kind}",
            "summary": f"Search {kind} (a searchset Bundle)",
            "security": BEARER,
            "parameters": [_query("_id", "Resource id"), *extra, *PAGING],
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
            "responses": {"200": _answer(kind), **_errors(*READ_ERRORS, 404)},
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
                    FHIR_JSON: {"schema": {"$ref": REF.format(model="ParametersIn")}},
                    "application/json": {"schema": {"$ref": REF.format(model="ParametersIn")}},
                },
            },
            "responses": {"201" if created else "200": _answer(ok), **_errors(*statuses)},
        }
    }


@cache
def openapi_document() -> dict[str, Any]:
    _, defs = models_json_schema([(ParametersIn, "validation")], ref_template=REF)
    components = dict(defs.get("$defs", {}))
    components["Resource"] = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}},
    }
    components["Bundle"] = {
        "type": "object",
        "required": ["resourceType", "type", "total", "link"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "type": {"const": "searchset"},
            "total": {"type": "integer", "minimum": 0},
            "link": {"type": "array", "minItems": 1},
            "entry": {"type": "array", "minItems": 1},
        },
    }
    components["OperationOutcome"] = {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array", "minItems": 1}},
    }
    write_errors = (400, 401, 403, 409, 413, 422, 429, 503)
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
                    "responses": {"200": _answer("CapabilityStatement"), **_errors(429)},
                }
            },
            "/fhir/Slot": {
                "get": {
                    "operationId": "searchSlot",
                    "summary": "Free and busy slots",
                    "security": BEARER,
                    "parameters": [
                        _query("schedule", "Schedule/provider-N or Schedule/room-N"),
                        _query("start", "ge2027-03-08, lt2027-03-15, ...", repeat=True),
                        _query("status", "free, busy, busy-tentative"),
                        _query("service-type", "A visit type code (needed for free slots)"),
                        _query("specialty", "A specialty code"),
                        *PAGING,
                    ],
                    "responses": {"200": _answer("Bundle (searchset)", "Bundle"), **_errors(*READ_ERRORS)},
                }
            },
            "/fhir/Appointment": _search(
                "Appointment",
                [
                    _query("patient", "Patient/N"),
                    _query("practitioner", "Practitioner/N"),
                    _query("date", "ge2027-03-08, ...", repeat=True),
                    _query("status", "booked, cancelled, ..."),
                    _query("identifier", "An appointment reference"),
                ],
            ),
            "/fhir/Appointment/{ident}": _read("Appointment"),
            "/fhir/Patient/{ident}": _read("Patient"),
            "/fhir/Schedule": _search("Schedule", [_query("actor", "Practitioner/N")]),
            "/fhir/Schedule/{ident}": _read("Schedule"),
            "/fhir/Practitioner": _search("Practitioner", []),
            "/fhir/Practitioner/{ident}": _read("Practitioner"),
            "/fhir/Location": _search("Location", []),
            "/fhir/Location/{ident}": _read("Location"),
            "/fhir/HealthcareService": _search("HealthcareService", []),
            "/fhir/HealthcareService/{ident}": _read("HealthcareService"),
            "/fhir/Appointment/$find": _operation(
                "find", "Proposed appointments for a service type and window", "Bundle", FIND_ERRORS
            ),
            "/fhir/Appointment/$hold": _operation("hold", "Hold a free time", "Appointment (pending)", write_errors),
            "/fhir/Appointment/$book": _operation(
                "book", "Book a held or free time", "Appointment (booked)", write_errors, created=True
            ),
        },
    }
