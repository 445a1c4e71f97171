"""Visit requests waiting in a specialty's queue, and as their patient sees them."""

from __future__ import annotations

from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.messages import OutboxStatus
from scheduler.store import models
from scheduler.store.engine import db


def add(request: models.VisitRequest) -> None:
    """Save a new request (flushed, so it has its id)."""
    db.session.add(request)
    db.session.flush()


def request_by_reference(reference: str) -> models.VisitRequest | None:
    """The request row (for the pages that show it, its patient loaded), by its reference."""
    return db.session.execute(
        select(models.VisitRequest)
        .options(selectinload(models.VisitRequest.patient))
        .where(models.VisitRequest.reference == reference[:20])
    ).scalar_one_or_none()


def placed_visit(request_id: int) -> models.Appointment | None:
    """The visit a scheduler placed for the request (the latest, should there be more)."""
    return db.session.execute(
        select(models.Appointment)
        .where(models.Appointment.request_id == request_id)
        .order_by(models.Appointment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def set_open_preferences(request_id: int, preferences: dict[str, Any]) -> bool:
    """Replace an open request's preferred days and times; False when it is no longer open.
    Call inside a unit of work."""
    r = models.VisitRequest
    result = db.session.execute(
        update(r).where(r.id == request_id, r.status == RequestStatus.OPEN).values(preferences=preferences)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def next_message_version(*, kind: str, appointment_id: int | None = None, request_id: int | None = None) -> int:
    """One more than the highest version of ``kind`` queued about the visit or request: messages
    sent again and again (a link asked for twice) each need a dedupe key of their own."""
    m = models.OutboxMessage
    about = m.appointment_id == appointment_id if appointment_id is not None else m.request_id == request_id
    highest = db.session.execute(select(func.max(m.version)).where(about, m.kind == kind)).scalar_one()
    return int(highest or 0) + 1


def pending_message(*, kind: str, appointment_id: int | None = None, request_id: int | None = None) -> bool:
    """True while a message of ``kind`` about the visit or request still waits to be sent."""
    m = models.OutboxMessage
    about = m.appointment_id == appointment_id if appointment_id is not None else m.request_id == request_id
    found = db.session.execute(
        select(m.id).where(about, m.kind == kind, m.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])).limit(1)
    ).first()
    return found is not None
