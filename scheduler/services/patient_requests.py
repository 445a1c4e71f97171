"""A request as its patient sees it through their request link: its state, new preferred days
and times, or withdrawn. Each change is audited in the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.services import audit
from scheduler.services.references import request_token_matches
from scheduler.store import models
from scheduler.store import request_queue as store_queue
from scheduler.store import requests as store_requests
from scheduler.store.unit_of_work import unit_of_work

REQUEST_NOT_FOUND = "No request matches this link."
# What the patient reads for each of the schedulers' reasons (staff_visits.DECLINE_REASONS), in
# words addressed to them.
DECLINED_BECAUSE = {
    "not-suitable": "The clinic does not treat what you asked for. Your doctor can help you find the right service.",
    "duplicate": "It repeated another request of yours, which we are dealing with.",
    "withdrawn": "You told us you no longer needed it.",
    "referred-elsewhere": "We referred you to another service, which will contact you.",
}


class RequestClosed(DomainError):
    """The request is no longer waiting: it cannot be changed or withdrawn any more."""

    code = "request_closed"


@dataclass(frozen=True)
class RequestPage:
    """The request's row, the visit placed for it (if any) and why it was declined (if it was)."""

    request: models.VisitRequest
    visit: models.Appointment | None
    declined_because: str | None

    @property
    def waiting(self) -> bool:
        return self.request.status == RequestStatus.OPEN


def request_for_token(reference: str, token: str) -> RequestPage:
    """The request ``reference`` if ``token`` is its request-page token; NotFound otherwise,
    whether the reference is unknown or the token wrong, so a guess learns nothing."""
    found = store_requests.request_by_reference(reference)
    if found is None or not request_token_matches(token, found.reference, found.manage_nonce):
        raise NotFound(REQUEST_NOT_FOUND)
    visit = store_requests.placed_visit(found.id) if found.status == RequestStatus.PLACED else None
    reason = DECLINED_BECAUSE.get(found.decline_reason or "") if found.status == RequestStatus.DECLINED else None
    return RequestPage(found, visit, reason)


def _audit(action: str, found: models.VisitRequest, detail: str = "") -> None:
    audit.record(
        action,
        actor_kind="patient",
        actor_id=None,
        record_type="visit_request",
        record_id=found.id,
        patient_id=found.patient_id,
        channel="web",
        detail=detail,
    )


def change_preferences(reference: str, token: str, preferences: dict[str, Any]) -> None:
    """New preferred days, parts of the day and notes for a waiting request (already validated
    by the form, as on the request journey). Raises NotFound or RequestClosed."""
    with unit_of_work():
        found = request_for_token(reference, token).request
        if not store_requests.set_open_preferences(found.id, preferences):
            raise RequestClosed("This request is no longer waiting, so its preferred times cannot be changed.")
        _audit("request.preferences", found, found.reference)


def withdraw_request(reference: str, token: str) -> None:
    """The patient withdraws a waiting request: it leaves the schedulers' queue. Raises NotFound
    or RequestClosed (already placed, declined or withdrawn)."""
    with unit_of_work():
        found = request_for_token(reference, token).request
        if not store_queue.close_open_request(found.id, RequestStatus.WITHDRAWN):
            raise RequestClosed("This request is no longer waiting, so it cannot be withdrawn.")
        _audit("request.withdraw", found, found.reference)
