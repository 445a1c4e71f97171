"""Errors as FHIR OperationOutcome, with the same machine codes as the JSON API.

``issue[0].details.coding[0].code`` is the JSON API's ``error`` (slot_taken, outside_clinic_hours,
clinic_closed, invalid_input, ...); ``issue.code`` is the nearest FHIR IssueType. Statuses follow
the FHIR RESTful API: 400 for input that cannot be used (invalid_input), 409 for a time that is no
longer free, 422 for the clinic's rules refusing a well-formed request. Nothing here may raise.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import current_app

from scheduler.web.fhir.codes import ERROR_SYSTEM
from scheduler.web.fhir.codes import NEXT_OPEN_URL

FHIR_JSON = "application/fhir+json"
# Every /fhir answer says its charset (FHIR's JSON is always UTF-8; some clients assume otherwise).
FHIR_CONTENT_TYPE = f"{FHIR_JSON}; charset=utf-8"

ISSUE_TYPES = {
    "invalid_input": "invalid",
    "bad_request": "invalid",
    "slot_taken": "conflict",
    "not_cancellable": "conflict",
    "not_found": "not-found",
    "unauthorized": "login",
    "forbidden": "forbidden",
    "rate_limited": "throttled",
    "too_many_holds": "throttled",
    "too_large": "too-costly",
    "method_not_allowed": "not-supported",
    "not_acceptable": "not-supported",
    "uri_too_long": "too-long",
    "internal_error": "exception",
    "unavailable": "transient",
}
# The JSON API answers invalid input with 422; FHIR servers say 400 for parameters they cannot use.
STATUS_OVERRIDES = {"invalid_input": 400}


def outcome(
    code: str, message: str, *, fields: dict[str, str] | None = None, next_open: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome: one issue per field that needs fixing (with its FHIRPath-ish
    ``expression``), or one issue for the whole request."""
    issue_type = ISSUE_TYPES.get(code, "business-rule" if code != "http_error" else "processing")

    def issue(text: str, where: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "severity": "error",
            "code": issue_type,
            "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": text},
        }
        if where:
            entry["expression"] = [where]
        if next_open:
            entry["extension"] = [{"url": NEXT_OPEN_URL, "valueDateTime": next_open}]
        return entry

    issues = [issue(text, where) for where, text in (fields or {}).items()] or [issue(message, None)]
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    """The error handlers' answer for /fhir: ``extra`` may hold ``fields`` and ``next_open``;
    anything else the JSON API adds (routed_to) is left out."""
    status = STATUS_OVERRIDES.get(code, status)
    body = outcome(code, message, fields=extra.get("fields"), next_open=extra.get("next_open"))
    response = current_app.response_class(current_app.json.dumps(body), status=status, content_type=FHIR_CONTENT_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response, status
