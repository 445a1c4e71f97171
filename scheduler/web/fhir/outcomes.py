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

from scheduler.web.fhir.codes import NEXT_OPEN_URL
from scheduler.web.fhir.codes import published

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
# Every code an OperationOutcome of /fhir may carry, and what it means: the CodeSystem published at
# <PUBLIC_BASE_URL>/fhir/CodeSystem/error (issue.details.coding). Each DomainError's code is here
# (a test holds them together).
ERROR_CODES = {
    "invalid_input": "A parameter or the body cannot be used (400); issue.expression names it.",
    "beyond_booking_horizon": "The time is after the last day that can be booked (400).",
    "bad_request": "The request cannot be read (400).",
    "unauthorized": "No API token, an unknown one or a revoked one (401).",
    "forbidden": "The token lacks the scope for this operation (403).",
    "not_found": "No such resource, or a free time no longer offered (404).",
    "method_not_allowed": "The method is not allowed here; the Allow header names those that are (405).",
    "not_acceptable": "The answer asked for (_format, Accept) is not JSON (406).",
    "slot_taken": "The time is no longer free (409).",
    "not_cancellable": "The appointment can no longer be cancelled (409).",
    "too_large": "The body is larger than this server reads (413).",
    "uri_too_long": "The URL is longer than this server reads (414).",
    "outside_clinic_hours": "The time is outside the clinic's hours or the provider's (422).",
    "clinic_closed": "The clinic is closed then (422).",
    "not_on_grid": "Visits start on the clinic's 15-minute grid (422).",
    "requires_request": "This visit is arranged by the clinic's schedulers, not booked directly (422).",
    "routed_elsewhere": "The patient's answers and history route this visit to another team or visit type (422).",
    "urgent": "A red flag or an infection: the patient should call the clinic now, not book (422).",
    "hold_not_renewable": "This time was already held for its whole allowance and cannot be held again (422).",
    "idempotency_key_reused": "The idempotency key was used before with another request (422).",
    "domain_error": "Refused by the clinic's rules (422).",
    "too_many_holds": "The client holds as many times as it may at once (429).",
    "rate_limited": "Too many requests; wait a minute (429).",
    "internal_error": "Something failed on the server (500).",
    "unavailable": "The call could not be audited, so it was not answered (503).",
    "http_error": "Another HTTP error; the status and issue.details.text say which.",
}
# The JSON API answers invalid input with 422; FHIR servers say 400 for parameters they cannot use.
STATUS_OVERRIDES = {"invalid_input": 400}


def outcome(
    code: str, message: str, *, fields: dict[str, str] | None = None, next_open: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome: one issue per field that needs fixing (with its FHIRPath-ish
    ``expression``), or one issue for the whole request."""
    issue_type = ISSUE_TYPES.get(code, "business-rule" if code != "http_error" else "processing")
    system = published("error")

    def issue(text: str, where: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "severity": "error",
            "code": issue_type,
            "details": {"coding": [{"system": system, "code": code}], "text": text},
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
