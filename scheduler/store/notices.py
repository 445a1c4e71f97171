"""The current records behind queued messages, as loaded rows: a message is composed from them
(templates read the visit's and the patient's columns and the visit type), so what it says is
what is true when it goes, not when it was queued."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from scheduler.store import models
from scheduler.store.engine import db


def preload(messages: Iterable[models.OutboxMessage]) -> list[object]:
    """Load the records behind a batch of messages in one query per kind of subject (appointments
    with their patients, visit types and providers; requests with theirs), so that composing
    each message finds them in the session instead of asking the database three times a message.
    Returns them: the session holds loaded objects only weakly, so the caller keeps this list
    while it composes."""
    messages = list(messages)
    appointment_ids = {m.appointment_id for m in messages if m.appointment_id is not None}
    request_ids = {m.request_id for m in messages if m.request_id is not None}
    loaded: list[object] = []
    if appointment_ids:
        a = models.Appointment
        appointments = select(a).where(a.id.in_(appointment_ids)).options(joinedload(a.patient))
        loaded += db.session.execute(appointments).scalars().all()
    if request_ids:
        r = models.VisitRequest
        requests = select(r).where(r.id.in_(request_ids)).options(joinedload(r.patient))
        loaded += db.session.execute(requests).scalars().all()
    return loaded


def records_of(message: models.OutboxMessage) -> tuple[models.Appointment | None, models.VisitRequest | None]:
    """The appointment and the visit request ``message`` is about (either may be None: gone, or
    not what it is about); found in the session when :func:`preload` loaded them."""
    appointment = db.session.get(models.Appointment, message.appointment_id) if message.appointment_id else None
    request = db.session.get(models.VisitRequest, message.request_id) if message.request_id else None
    return appointment, request
