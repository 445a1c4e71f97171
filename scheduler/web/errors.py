"""Errors translated once, at the edge: JSON ``{"error", "message", ...}`` under /api, HTML elsewhere.

Nothing here may raise: an error handler that fails turns a clean 4xx into a 500.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from scheduler.domain.clock import iso_central
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import RoutedElsewhere
from scheduler.domain.errors import SlotTaken
from scheduler.domain.errors import TooManyHolds
from scheduler.domain.errors import UrgentCareNeeded
from scheduler.web.api.schemas import PATTERN_MESSAGES
from scheduler.web.auth import is_staff_path
from scheduler.web.sane_input import CONTROL_MESSAGE
from scheduler.web.sane_input import control_problem

log = logging.getLogger(__name__)

STATUS_BY_CODE = {
    SlotTaken.code: 409,
    NotFound.code: 404,
    "not_cancellable": 409,
    TooManyHolds.code: 429,
    "offer_taken": 409,  # services.waitlist_claims.OfferTaken: someone else of the batch was first
    "offer_expired": 410,  # services.waitlist_claims.OfferExpired
}


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


# Machine clients get JSON; people (the patient and staff pages) get a page with the clinic's phone.
JSON_PREFIXES = ("/api/", "/hooks/", "/healthz", "/readyz", "/fhir")
FHIR_PREFIX = "/fhir"
PAGE_HEADINGS = {
    400: "Sorry, we could not accept that",
    403: "You cannot open this page",
    404: "Page not found",
    405: "Sorry, we could not accept that",
    413: "Sorry, that was too much to send",
    429: "Too many tries",
    500: "Sorry, there is a problem with the service",
}


def _wants_page() -> bool:
    return not request.path.startswith(JSON_PREFIXES)


def _error(status: int, code: str, message: str, *, generic: bool = False, **extra: Any) -> tuple[Response | str, int]:
    """``generic``: ``message`` is the server's default wording, not ours (staff pages replace it)."""
    if request.path == FHIR_PREFIX or request.path.startswith(FHIR_PREFIX + "/"):
        from scheduler.web.fhir.outcomes import outcome_response

        return outcome_response(status, code, message, **extra)  # FHIR clients read OperationOutcome
    if is_staff_path(request.path):
        from scheduler.web.staff.errors import page as staff_page

        return staff_page(status, None if generic else message), status  # the staff layout
    if _wants_page():
        heading = PAGE_HEADINGS.get(status, "Sorry, we could not do that")
        return render_template("public/error.html", heading=heading, message=message), status
    body = {"error": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}
    return jsonify(body), status


def _domain_error(error: DomainError) -> tuple[Response | str, int]:
    extra: dict[str, Any] = {"next_open": iso_central(error.next_open) if error.next_open else None}
    if isinstance(error, InvalidInput):
        extra["fields"] = error.fields
    if isinstance(error, RoutedElsewhere | UrgentCareNeeded):
        from scheduler.services.clinic import current_catalog
        from scheduler.web.api.presenters import routed_to

        extra["routed_to"] = routed_to(error.decision, current_catalog(utc_now()))
    return _error(STATUS_BY_CODE.get(error.code, 422), error.code, error.message, **extra)


def _validation_error(error: ValidationError) -> tuple[Response | str, int]:
    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in problem["loc"] if p not in ("json", "body")) or "body"
        pattern = str((problem.get("ctx") or {}).get("pattern", ""))
        message = PATTERN_MESSAGES.get(pattern) or problem["msg"].removeprefix("Value error, ")
        fields.setdefault(where.replace("from_", "from"), message)
    return _error(422, InvalidInput.code, "Some answers need fixing: see fields.", fields=fields)


def _http_error(error: HTTPException) -> tuple[Response | str, int] | HTTPException:
    status = error.code or 500
    if isinstance(error, CSRFError):
        return _error(
            400,
            "bad_request",
            "This page was open too long or was sent twice, so we could not accept it. "
            "Go back, refresh the page and try again: your earlier answers are kept.",
        )
    if status == 404:
        return _error(404, "not_found", "Check the web address, or start again from the start page.", generic=True)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 400: "bad_request"}
    if status == 429:
        return _error(429, "rate_limited", "Too many requests. Please wait a minute and try again.")
    generic = error.description == type(error).description  # werkzeug's words: nobody wrote them for this page
    answer, status = _error(status, codes.get(status, "http_error"), error.description or error.name, generic=generic)
    allowed = getattr(error, "valid_methods", None)
    if isinstance(answer, Response) and allowed:
        answer.headers["Allow"] = ", ".join(allowed)  # a 405 names the methods that would do (RFC 9110)
    return answer, status


def _unexpected(error: Exception) -> tuple[Response | str, int]:
    # The session's transaction was already abandoned (unit_of_work.discard, on Flask's
    # got_request_exception signal): this page never runs on a failed transaction.
    # The type and the stack only: exception messages and request bodies may hold PHI.
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("unhandled %s on %s %s\n%s", type(error).__name__, request.method, request.url_rule, frames)
    if (field := _field_with_control_characters()) is not None:
        # Last resort: the input caused it (a NUL reached PostgreSQL past an edge check that is
        # missing, logged above to be fixed), so the answer is the input's fault, not a 500.
        return _error(400, InvalidInput.code, f"Some answers need fixing: {field}: {CONTROL_MESSAGE}",
                      fields={field: CONTROL_MESSAGE})  # fmt: skip
    return _error(
        500, "internal_error", "Something went wrong on our side. Please try again, or call the clinic.", generic=True
    )


def _field_with_control_characters() -> str | None:
    """The name of the first posted form field holding a NUL or another control character (line
    breaks and tabs aside), or None. Never raises: it runs inside the 500 handler."""
    try:
        for name, value in request.form.items(multi=True):
            if control_problem(name) or control_problem(value, multiline=True):
                return name if not control_problem(name) else "form"
    except Exception:  # noqa: BLE001 - an unreadable form is no reason for this handler to fail
        return None
    return None
