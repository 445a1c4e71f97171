"""Queueing messages as outbox rows, inside the caller's write transaction (never committing)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy import update

from scheduler import models
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import PlannedMessage
from scheduler.domain.messages import Reachable
from scheduler.extensions import db


def reach(patient: models.Patient) -> Reachable:
    return Reachable(email=bool(patient.email), sms=bool(patient.sms_consent and patient.phone))


def queue(
    planned: Sequence[PlannedMessage],
    *,
    appointment_id: int | None = None,
    request_id: int | None = None,
    version: int = 1,
) -> None:
    """Write ``planned`` for one appointment or one request, in one statement."""
    if not planned:
        return
    subject = f"appointment:{appointment_id}" if appointment_id is not None else f"request:{request_id}"
    db.session.execute(
        insert(models.OutboxMessage),
        [
            {
                "dedupe_key": f"{subject}:{p.kind}:{p.channel}:v{version}",
                "kind": p.kind.value,
                "channel": p.channel.value,
                "appointment_id": appointment_id,
                "request_id": request_id,
                "version": version,
                "status": "queued",
                "send_after": p.send_after,
                "attempts": 0,
            }
            for p in planned
        ],
    )


def withdraw_reminders(appointment_id: int) -> None:
    """Pending reminders of a visit that was cancelled or moved: never sent."""
    db.session.execute(
        update(models.OutboxMessage)
        .where(
            models.OutboxMessage.appointment_id == appointment_id,
            models.OutboxMessage.kind == MessageKind.REMINDER.value,
            models.OutboxMessage.status == "queued",
        )
        .values(status="withdrawn")
    )
