"""Queueing messages as outbox rows, inside the caller's write transaction (never committing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update

from scheduler.domain.clock import utc_now
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import PlannedMessage
from scheduler.domain.messages import Reachable
from scheduler.store import models
from scheduler.store.driver import driver
from scheduler.store.engine import db


def reach(patient: models.Patient) -> Reachable:
    return Reachable(email=bool(patient.email), sms=bool(patient.sms_consent and patient.phone))


def row(
    planned: PlannedMessage, *, appointment_id: int | None = None, request_id: int | None = None, version: int = 1
) -> dict[str, object]:
    """The outbox row for one planned message about one appointment or one request: the one place
    that defines the dedupe key (subject, kind, channel, version) and a new row's state."""
    subject = f"appointment:{appointment_id}" if appointment_id is not None else f"request:{request_id}"
    return {
        "dedupe_key": f"{subject}:{planned.kind}:{planned.channel}:v{version}",
        "kind": planned.kind.value,
        "channel": planned.channel.value,
        "appointment_id": appointment_id,
        "request_id": request_id,
        "version": version,
        "status": "queued",
        "send_after": planned.send_after,
        "attempts": 0,
    }


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
    # Plain SQL (see store.driver.Driver): every visit request queues here. A booking writes its
    # messages in the one statement that writes the appointment (``rows`` makes them).
    driver().insert(
        "outbox_message", rows(planned, appointment_id=appointment_id, request_id=request_id, version=version)
    )


def rows(
    planned: Sequence[PlannedMessage],
    *,
    appointment_id: int | None = None,
    request_id: int | None = None,
    version: int = 1,
    now: datetime | None = None,
) -> list[dict[str, object]]:
    """The rows :func:`queue` writes, for a caller that writes them with other rows."""
    created_at = now or utc_now()
    return [
        {**row(p, appointment_id=appointment_id, request_id=request_id, version=version), "created_at": created_at}
        for p in planned
    ]


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
