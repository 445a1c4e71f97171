"""Queueing messages as outbox rows, inside the caller's write transaction (never committing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import OutboxStatus
from scheduler.domain.messages import PlannedMessage
from scheduler.domain.messages import Promises
from scheduler.domain.messages import Reachable
from scheduler.domain.messages import promises
from scheduler.domain.patients import PatientRecord
from scheduler.services.sms_consent import texts_allowed_to
from scheduler.store import bookings as store_bookings
from scheduler.store import outbox as store_outbox


def reach(patient: PatientRecord) -> Reachable:
    """How messages may reach ``patient``: as the patient record says (email when given, texts
    with consent), and texts only to a number of the SMS_COUNTRIES, whatever the record says
    (consent given before the rule, or written by any other way in), so none is ever queued."""
    found = patient.reach()
    return Reachable(email=found.email, sms=found.sms and texts_allowed_to(patient.phone))


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
        "status": OutboxStatus.QUEUED.value,
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
    # A booking writes its messages in the one statement that writes the appointment (``rows``
    # makes them); everything else queues here.
    store_bookings.queue_messages(rows(planned, appointment_id=appointment_id, request_id=request_id, version=version))


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


def queue_waitlist(
    planned: Sequence[PlannedMessage], *, entry_id: int, offer_id: int | None = None, version: int = 1
) -> None:
    """Write ``planned`` about one waitlist entry (and the offer it is about, if any): the dedupe
    key names the offer, so each offer is sent once per channel, and the entry's version, so each
    renewal is told once that it is expiring."""
    subject = f"waitlist:{entry_id}" + (f":offer{offer_id}" if offer_id is not None else "")
    store_bookings.queue_messages(
        [
            {
                **row(p, request_id=None, version=version),
                "dedupe_key": f"{subject}:{p.kind}:{p.channel}:v{version}",
                "waitlist_entry_id": entry_id,
                "waitlist_offer_id": offer_id,
                "created_at": utc_now(),
            }
            for p in planned
        ]
    )


def withdraw_reminders(appointment_id: int) -> None:
    """Pending reminders of a visit that was cancelled or moved: never sent."""
    store_bookings.withdraw_reminders(appointment_id)


def promised(
    notice: MessageKind, *, appointment_id: int | None = None, request_id: int | None = None, version: int | None = None
) -> Promises:
    """What the patient may be told will reach them after ``notice``, about a visit (its
    ``version``'s messages) or a request: read back from the messages queued, so a page never
    promises one that is not (no email given, no consent to texts, a number abroad, a reminder
    whose time has passed)."""
    log = store_outbox.message_log(appointment_id=appointment_id, request_id=request_id, version=version)
    return promises(log, notice)
