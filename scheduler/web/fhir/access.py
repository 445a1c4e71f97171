"""Who may call /fhir, and the audit row every call leaves.

- Every view declares the scope it needs with :func:`needs` ("read", "book", or PUBLIC for the
  CapabilityStatement and the OpenAPI document). A view that declares nothing is refused to all,
  so a new route cannot be left open by forgetting the decorator (as with staff pages).
- The bearer token is checked on every call against the current "api_clients" revision counter
  (read with the others in one query; any change to any API client bumps it in the same
  transaction), so a revoked token is refused from the next call on, in every process.
- After every call (answered, refused or failed) one audit row is written with actor_kind "api":
  which client, what it did, which record, and the patient concerned when there is one. A view may
  write its own row in its own transaction (a booking does, so the visit and its audit row are
  saved together) and say so with :func:`audited`. When the audit row cannot be written the
  answer is withheld (503): nothing is read out of the clinic unrecorded.
- A call refused before a valid token said who is calling (no token, a token that is not valid or
  was revoked, a route that declares no scope) is counted instead (``audit.refused``): one audit
  row per client address a minute, and a tally of how many refusals it stands for, so anonymous
  calls cannot flood the trail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeVar

from flask import Response
from flask import current_app
from flask import g
from flask import request

from scheduler.services import audit
from scheduler.services import integrations
from scheduler.services.integrations import Caller
from scheduler.web.fhir.outcomes import outcome_response

log = logging.getLogger(__name__)

PUBLIC = "public"
RECORD_ID = re.compile(r"[A-Za-z0-9\-.$]{1,64}")
View = TypeVar("View", bound=Callable[..., Any])


def needs(scope: str) -> Callable[[View], View]:
    """Declare the scope a view needs ("read", "book" or PUBLIC); read by :func:`authenticate`."""
    if scope not in (*integrations.SCOPES, PUBLIC):
        raise ValueError(f"unknown scope {scope!r}")

    def declare(view: View) -> View:
        view.fhir_scope = scope  # type: ignore[attr-defined]
        return view

    return declare


@dataclass
class AuditNote:
    """What the current call did, for its audit row (set by the view; defaults describe the call)."""

    action: str = "fhir.call"
    record_type: str = "fhir"
    record_id: str | None = None
    patient_ids: list[int] = field(default_factory=list)
    detail: str = ""
    # Refused before a valid token said who calls: counted per address and minute, not a row each.
    unidentified: bool = False


def note(
    action: str, record_type: str, record_id: str | None = None, *, detail: str = "", unidentified: bool = False
) -> AuditNote:
    """Say what this call does, for its audit row. ``record_id`` is kept only when it could be an
    id: it comes from the URL, and text such as a NUL byte would make PostgreSQL refuse the row."""
    if record_id is not None and not RECORD_ID.fullmatch(record_id):
        record_id = "(not an id)"
    entry = AuditNote(action, record_type, record_id, detail=detail, unidentified=unidentified)
    g.fhir_audit = entry
    return entry


def audited() -> None:
    """The view saved its own audit row (in its own transaction): write none after it."""
    g.fhir_audited = True


def caller() -> Caller:
    found: Caller = g.fhir_caller
    return found


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate() -> Response | tuple[Response, int] | None:
    """Before every /fhir view: the declared scope, the token, and the scope again the token has."""
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "fhir_scope", None)
    if scope == PUBLIC:
        g.fhir_audited = True  # the CapabilityStatement and the OpenAPI document hold nothing to record
        return None
    if scope is None:
        note("fhir.refused", "fhir", detail="route declares no scope", unidentified=True)
        return outcome_response(403, "forbidden", "This operation is not available.")
    token = _bearer()
    if token is None:
        note("fhir.refused", "fhir", detail="no token", unidentified=True)
        return outcome_response(401, "unauthorized", "Send an API token as 'Authorization: Bearer <token>'.")
    # The revision counters in the same read: the token's check is remembered against
    # "api_clients", and the Slot search keys its answers by "bookings" and "catalog".
    g.fhir_revisions = integrations.current_revisions()
    found = integrations.authenticate(token, revision=g.fhir_revisions["api_clients"])
    g.fhir_client_id = found.client_id
    if found.caller is None:
        note("fhir.refused", "fhir", detail=f"{found.refusal} token", unidentified=True)
        message = "This API token was revoked." if found.refusal == "revoked" else "This API token is not valid."
        return outcome_response(401, "unauthorized", message)
    g.fhir_caller = found.caller
    integrations.note_api_client_used(found.caller.id)  # a write at most once a minute per token
    if not found.caller.may(scope):
        note("fhir.refused", "fhir", detail=f"needs scope {scope}")
        return outcome_response(403, "forbidden", f"This API token does not have the '{scope}' scope.")
    return None


def record_call(response: Response) -> Response:
    """After every /fhir view (answers and refusals alike): its audit row, committed."""
    if g.get("fhir_audited"):
        return response
    entry: AuditNote = g.get("fhir_audit") or AuditNote()
    rule = request.url_rule.rule if request.url_rule else request.path[:60]
    detail = f"{request.method} {rule} {response.status_code}" + (f"; {entry.detail}" if entry.detail else "")

    try:
        if entry.unidentified:
            audit.refused(
                entry.action,
                client=request.remote_addr,
                actor_kind="api",
                actor_id=g.get("fhir_client_id"),
                record_type=entry.record_type,
                record_id=entry.record_id,
                channel="api",
                detail=detail,
            )
            return response
        audit.save_for_patients(
            entry.action,
            entry.patient_ids or [None],
            actor_kind="api",
            actor_id=g.get("fhir_client_id"),
            record_type=entry.record_type,
            record_id=entry.record_id,
            channel="api",
            detail=detail,
        )
    except Exception as error:  # noqa: BLE001 - whatever stopped the audit row, the answer is withheld
        log.error("FHIR call not audited (%s): answer withheld", type(error).__name__)
        withheld, _ = outcome_response(503, "unavailable", "The call could not be recorded. Try again shortly.")
        return withheld
    return response
