"""The outbox as staff see it: counts and pages of messages by status, and sending a dead
message again. Rows name what they are about by id only, so nothing here carries PHI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.domain.messages import MessageKind
from scheduler.services import audit
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work

STATUSES = ("queued", "sending", "sent", "failed", "dead", "withdrawn")
KINDS = tuple(kind.value for kind in MessageKind)
CHANNELS = tuple(channel.value for channel in Channel)


@dataclass(frozen=True)
class MessageFilter:
    status: str | None = None
    kind: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class MessagePage:
    rows: list[models.OutboxMessage]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def counts() -> dict[str, int]:
    """How many messages are in each status (every status listed, zero included)."""
    m = models.OutboxMessage
    found = {status: count for status, count in db.session.execute(select(m.status, func.count()).group_by(m.status))}
    return {status: found.get(status, 0) for status in STATUSES}


def page(where: MessageFilter, *, number: int = 1, per_page: int = 50) -> MessagePage:
    """One page of messages, grouped by status in the order of :data:`STATUSES`, the latest
    ``send_after`` first within a status."""
    m = models.OutboxMessage
    query = select(m)
    if where.status:
        query = query.where(m.status == where.status)
    if where.kind:
        query = query.where(m.kind == where.kind)
    if where.channel:
        query = query.where(m.channel == where.channel)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    status_order = case({status: position for position, status in enumerate(STATUSES)}, value=m.status, else_=99)
    number = max(number, 1)
    rows = db.session.execute(
        query.order_by(status_order, m.send_after.desc(), m.id.desc()).limit(per_page).offset((number - 1) * per_page)
    ).scalars()
    return MessagePage(list(rows), total, number, per_page)


def _patient_of(message: models.OutboxMessage) -> int | None:
    if message.appointment_id is not None:
        return db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.id == message.appointment_id)
        ).scalar_one_or_none()
    if message.request_id is not None:
        return db.session.execute(
            select(models.VisitRequest.patient_id).where(models.VisitRequest.id == message.request_id)
        ).scalar_one_or_none()
    return None


def retry_dead(message_id: int, *, staff_id: int, now: datetime | None = None) -> str | None:
    """Put a dead message back in the queue to go now, with its attempts reset (the worker's
    backoff starts again), and write it in the audit trail.

    Returns None when done, else why not: ``"missing"`` or ``"not_dead"`` (someone retried it
    already, or it was never dead). The status check is in the UPDATE itself, so two admins
    pressing the button together queue it once.
    """
    now = now or utc_now()
    m = models.OutboxMessage
    with unit_of_work():
        message = db.session.get(m, message_id)
        if message is None:
            return "missing"
        # Read before the UPDATE, which also refreshes the loaded row.
        detail = f"{message.kind} by {message.channel}, dead after {message.attempts} attempts"
        patient_id = _patient_of(message)
        changed = db.session.execute(
            update(m)
            .where(m.id == message_id, m.status == "dead")
            .values(status="queued", attempts=0, send_after=now, locked_until=None)
        )
        if changed.rowcount != 1:
            return "not_dead"
        audit.record(
            "outbox.retry",
            actor_kind="staff",
            actor_id=staff_id,
            record_type="outbox_message",
            record_id=message_id,
            patient_id=patient_id,
            channel="web",
            detail=detail,
        )
    return None
