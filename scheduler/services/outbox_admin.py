"""The outbox as staff see it: counts and pages of messages by status, and sending a dead
message again. Rows name what they are about by reference (a visit's, a request's, a waitlist
entry's) and ids, so nothing here carries PHI."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import OutboxStatus
from scheduler.services import audit
from scheduler.store import outbox as outbox_rows
from scheduler.store.outbox import MessageRow
from scheduler.store.outbox import MessageSubject as MessageSubject
from scheduler.store.unit_of_work import unit_of_work

KINDS = tuple(kind.value for kind in MessageKind)
CHANNELS = tuple(channel.value for channel in Channel)


@dataclass(frozen=True)
class MessageFilter:
    status: str | None = None
    kind: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class MessagePage:
    rows: list[MessageRow]
    total: int
    page: int
    per_page: int
    # What the rows are about, by ("appointment" | "request" | "waitlist", id).
    subjects: dict[tuple[str, int], MessageSubject] = field(default_factory=dict)

    def subject(self, row: MessageRow) -> tuple[str, MessageSubject | None]:
        """("appointment" | "request" | "waitlist", what it is) for a row of this page (None: gone)."""
        for kind, value in (("appointment", row.appointment_id), ("request", row.request_id),
                            ("waitlist", row.waitlist_entry_id)):  # fmt: skip
            if value is not None:
                return kind, self.subjects.get((kind, value))
        return "", None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def counts() -> dict[str, int]:
    """How many messages are in each status (every status listed, zero included)."""
    found = outbox_rows.count_by_status()
    return {status.value: found.get(status, 0) for status in OutboxStatus}


def page(where: MessageFilter, *, number: int = 1, per_page: int = 50) -> MessagePage:
    """One page of messages, grouped by status in the order of
    :class:`~scheduler.domain.messages.OutboxStatus`, the latest ``send_after`` first within a status."""
    number = max(number, 1)
    total, rows = outbox_rows.page_of_messages(
        status=where.status, kind=where.kind, channel=where.channel, limit=per_page, offset=(number - 1) * per_page
    )
    return MessagePage(rows, total, number, per_page, outbox_rows.subjects_of(rows))


def retry_dead(message_id: int, *, staff_id: int, now: datetime | None = None) -> str | None:
    """Put a dead message back in the queue to go now, with its attempts reset (the worker's
    backoff starts again), and write it in the audit trail.

    Returns None when done, else why not: ``"missing"`` or ``"not_dead"`` (someone retried it
    already, or it was never dead). The status check is in the UPDATE itself, so two admins
    pressing the button together queue it once.
    """
    now = now or utc_now()
    with unit_of_work():
        message = outbox_rows.message_row(message_id)
        if message is None:
            return "missing"
        detail = f"{message.kind} by {message.channel}, dead after {message.attempts} attempts"
        patient_id = outbox_rows.patient_of(message_id)
        if not outbox_rows.queue_dead_again(message_id, now):
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
