"""Domain errors: each carries a stable machine code and a sentence a person can act on.

They are raised by the domain and services and translated once, at the edge (a form error, or a
JSON body ``{"error": code, "message": text}``), so the wording lives here and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.domain.routing import RoutingDecision


class DomainError(Exception):
    """Base class. ``code`` is part of the public API contract: never rename one."""

    code = "domain_error"

    def __init__(self, message: str, *, next_open: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The next time the clinic could offer instead, when the refusal is about the time asked for.
        self.next_open = next_open


class OutsideClinicHours(DomainError):
    code = "outside_clinic_hours"


class ClinicClosed(DomainError):
    code = "clinic_closed"


class NotOnGrid(DomainError):
    code = "not_on_grid"


class SlotTaken(DomainError):
    """The time (or its provider, room or patient) is no longer free: a conflict, HTTP 409."""

    code = "slot_taken"


SLOT_TAKEN_MESSAGE = "That time was just taken. Please choose another time."


class RequiresRequest(DomainError):
    code = "requires_request"


class RoutedElsewhere(DomainError):
    code = "routed_elsewhere"

    def __init__(self, message: str, *, decision: RoutingDecision) -> None:
        super().__init__(message)
        self.decision = decision


class UrgentCareNeeded(DomainError):
    """The patient's answers need an urgent visit, which the clinic arranges by phone: never a
    routine booking (DOMAIN.md, "Urgent patients")."""

    code = "urgent"

    def __init__(self, message: str, *, decision: RoutingDecision) -> None:
        super().__init__(message)
        self.decision = decision


class InvalidInput(DomainError):
    """Input that is well-formed but not acceptable, tied to the fields that need fixing."""

    code = "invalid_input"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some answers need fixing: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class BeyondHorizon(InvalidInput):
    """A start further ahead than the clinic books (``domain.bookings.BOOKING_HORIZON_DAYS``), on
    the field ``start``: the same refusal on every way in (API, FHIR, patient pages, staff)."""

    code = "beyond_booking_horizon"


class TooManyHolds(DomainError):
    """The client already holds as many times as one client may (HTTP 429): a time is held for
    someone finishing a booking, not kept from everyone else."""

    code = "too_many_holds"


class HoldNotRenewable(DomainError):
    """The client held this time before and its hold ran out without a booking: a hold is not
    renewed by holding the time again."""

    code = "hold_not_renewable"


class NotFound(DomainError):
    code = "not_found"


def about_the_time(refusal: DomainError) -> bool:
    """Whether ``refusal`` is about the time asked for, so the next open time is worth offering."""
    if isinstance(refusal, BeyondHorizon):
        return False  # the next open time after a start years ahead is no help: it cannot be booked either
    if isinstance(refusal, InvalidInput):
        return "start" in refusal.fields
    return isinstance(refusal, SlotTaken | OutsideClinicHours | ClinicClosed | NotOnGrid)


class IdempotencyKeyReused(DomainError):
    """An ``Idempotency-Key`` already used for another request (another body): HTTP 422."""

    code = "idempotency_key_reused"
