"""What one pass of the message worker does with the due outbox rows: claim, pace, deliver, record.

Each pass claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers on several
hosts share the queue; SQLite's single writer makes its claim exclusive) and commits the claim;
then it composes the whole batch from the current records (loaded in one query per kind of
subject), ends that read transaction, delivers with no transaction open, and records all the
outcomes in one transaction. A worker killed mid-batch leaves its rows in ``sending`` with a
lease; once the lease runs out another pass claims them again, so nothing is lost and only the
batch in flight can go out twice (with the same Message-ID), which OUTBOX_BATCH bounds.

Each channel is a :class:`Transport` (compose from the current records, send, and the earliest
time it may go), built from the app's settings by the worker's wiring (:mod:`scheduler.jobs`).
SMS is claimed only when it has a transport (SMS_BASE_URL is set). Texts keep the FCC pace (one a
day, three a week per phone number: :func:`~scheduler.domain.messages.sms_pacing_delay`): the
claim puts a text that would break it back in the queue for the time it may go, and a text that
falls due at night in the patient's time zone goes back until 8 a.m. there; neither uses up an
attempt, and nothing is dropped for it. Every kind of text counts and waits alike, cancellations
included: the limit is a count of texts, the email of the same change goes at once, and a text
that has become pointless by the time it may go (the visit has begun, a later change superseded
it) is withdrawn when it is composed rather than sent late.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Sms
from scheduler.delivery.sms import time_zone_for_number
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import SMS_PACE
from scheduler.domain.messages import Channel
from scheduler.domain.messages import OutboxStatus
from scheduler.domain.messages import earliest_sms_time
from scheduler.domain.messages import sms_pacing_delay
from scheduler.services.notices import preload
from scheduler.services.notices import text_subject
from scheduler.settings import settings
from scheduler.store import outbox as outbox_rows
from scheduler.store.outbox import Outcome
from scheduler.store.unit_of_work import end_reads
from scheduler.store.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from scheduler.store.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)


def any_time(_message: Any, now: datetime) -> datetime:
    return now


def sms_daytime(sms: Sms, now: datetime) -> datetime:
    return earliest_sms_time(now, time_zone_for_number(sms.to))


@dataclass(frozen=True)
class Transport:
    """One channel: build the message from a claimed row at a given time (None: nothing to send
    any more), send it (returning the provider's id), and the earliest time it may go out, given now."""

    compose: Callable[[OutboxMessage, datetime], Any]
    send: Callable[[Any], str]
    earliest: Callable[[Any, datetime], datetime] = any_time


# The transports of one pass, by channel, given the pass's ExitStack (closed when the pass ends:
# an SMTP connection kept open for the batch is closed with it).
Transports = Callable[[ExitStack], Mapping[str, Transport]]


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempts)]."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (1 << min(attempts, 20)))  # 2 ** attempts, as an int
    return ceiling * (rng.random() if rng is not None else random.random())


def lease() -> timedelta:
    """How long a claim holds its rows (OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=settings().outbox_lease_seconds)


@dataclass
class Claim:
    """What one claim took: the rows it marked as being sent, and the texts it put back in the
    queue for later because sending them now would break the pace (id: when they may go)."""

    ids: list[int]
    deferred: dict[int, datetime] = field(default_factory=dict)


def claim_batch(now: datetime, limit: int, channels: list[str]) -> Claim:
    """Mark up to ``limit`` due rows on ``channels`` as being sent (queued and due, or sending with
    an expired lease), and commit; texts that must wait for the pace are put back in the queue
    instead (see :func:`pace_texts`), and reported as deferred."""
    with unit_of_work():
        found = outbox_rows.lock_due(now, limit, channels)
        texts = [row_id for row_id, channel in found if channel == Channel.SMS.value]
        deferred = pace_texts(texts, now) if texts else {}
        ids = [row_id for row_id, _ in found if row_id not in deferred]
        outbox_rows.mark_sending(ids, now + lease())
        outbox_rows.queue_again(deferred)
    return Claim(ids, deferred)


def pace_texts(text_ids: list[int], now: datetime) -> dict[int, datetime]:
    """The texts among ``text_ids`` (in the order they are to go) that would break the pace now,
    each with the time it may go. Counted per phone number (family members may share one): the
    texts sent to it in the last week, the ones other workers have claimed and are sending
    (counted as sent now), and the ones this claim lets through before it. Runs inside the
    claim's unit of work, under the pace lock (see :data:`~scheduler.store.outbox.SMS_PACE_LOCK`)."""
    outbox_rows.lock_text_pace()
    texts = outbox_rows.messages(text_ids)
    subjects = preload(texts)  # kept alive while they are looked at: the session holds them weakly
    phones: dict[int, str] = {}
    for message in texts:
        # Only texts that would go count: one about to be withdrawn must not hold back another.
        subject = text_subject(message, now)
        if subject is not None and subject.patient.phone:
            phones[message.id] = subject.patient.phone
    del subjects
    if not phones:
        return {}
    window = max(span for _, span in SMS_PACE)
    sent: dict[str, list[datetime]] = defaultdict(list)
    for phone, sent_at in outbox_rows.texts_counting_to_pace(
        set(phones.values()), since=now - window, now=now, excluding=text_ids
    ):
        sent[phone].append(sent_at if sent_at is not None else now)  # sending: as if it went now
    deferred: dict[int, datetime] = {}
    for row_id in text_ids:
        to = phones.get(row_id)
        if to is None:
            continue  # not going: composing it withdraws it
        allowed_at = sms_pacing_delay(sent[to], now)
        if allowed_at is None:
            sent[to].append(now)
        else:
            deferred[row_id] = allowed_at
    return deferred


def deliver_batch(message_ids: list[int], transports: Mapping[str, Transport], now: datetime) -> Counter[str]:
    """Deliver claimed rows: compose them all from the current records, end that transaction,
    send each with none open, then record every outcome in one transaction. Counts the outcomes
    (sent, withdrawn, held, retry, dead, and skipped for a row that is no longer being sent)."""
    claimed = [message for message in outbox_rows.messages(message_ids) if message.status == OutboxStatus.SENDING]
    subjects = preload(claimed)  # kept alive while composing: the session holds them weakly
    outcomes: dict[int, Outcome] = {}
    ready: list[tuple[int, int, Transport, Any]] = []
    for message in claimed:
        transport = transports[message.channel]
        try:
            composed = transport.compose(message, now)
        except DeliveryFailed as failure:  # e.g. a text that cannot fit: trying again changes nothing
            log.warning("outbox message %s: %s", message.id, failure.reason)
            outcomes[message.id] = outbox_rows.dead(failure.reason)
            continue
        except Exception as error:  # a bug: this message waits for a fix, the rest of the batch goes
            reason = f"compose failed ({type(error).__name__})"  # the type only: its text may quote a patient
            log.error("outbox message %s: %s (attempt %s)", message.id, reason, message.attempts)
            outcomes[message.id] = failed(message.attempts, reason, now)
            continue
        if composed is None:
            outcomes[message.id] = outbox_rows.withdrawn()
        else:
            ready.append((message.id, message.attempts, transport, composed))
    end_reads()  # no transaction stays open while we talk to the providers
    del subjects
    for message_id, attempts, transport, composed in ready:
        outcomes[message_id] = send(message_id, attempts, transport, composed, now)
    if outcomes:
        # Half the lease: recorded well before another worker could claim these rows again.
        outbox_rows.record_durably(outcomes, patience=lease() / 2)
    counts = Counter(outcome.name for outcome in outcomes.values())
    if len(claimed) < len(message_ids):
        counts["skipped"] += len(message_ids) - len(claimed)
    return counts


def send(message_id: int, attempts: int, transport: Transport, composed: Any, now: datetime) -> Outcome:
    """Hand one composed message to its provider (unless it must wait), and say what to record."""
    allowed_at = transport.earliest(composed, now)
    if allowed_at > now:
        # Not yet (night in the patient's zone): back in the queue, giving back the claim's attempt.
        return outbox_rows.held(allowed_at)
    try:
        provider_id = transport.send(composed)
    except DeliveryFailed as failure:
        # The reason names the failure class only: never the address, the number or the text.
        log.warning("outbox message %s: %s (attempt %s)", message_id, failure.reason, attempts)
        if failure.permanent:
            return outbox_rows.dead(failure.reason)
        return failed(attempts, failure.reason, now)
    except Exception as error:
        # A bug in a transport. Caught so that the outcomes of the batch's other messages are still
        # recorded: otherwise the lease would run out and send them all again.
        reason = f"send failed ({type(error).__name__})"
        log.error("outbox message %s: %s (attempt %s)", message_id, reason, attempts)
        return failed(attempts, reason, now)
    return outbox_rows.sent(now, provider_id)


def failed(attempts: int, reason: str, now: datetime) -> Outcome:
    """Try again after a backoff, or dead-letter after MAX_ATTEMPTS. ``reason`` never carries the
    patient's details (a failure class, an exception's type): it is stored in the row."""
    if attempts >= MAX_ATTEMPTS:
        return outbox_rows.dead(reason)
    return outbox_rows.retry(reason, now + backoff(attempts))


def drain_once(transports: Transports, now: datetime | None = None, *, limit: int | None = None) -> Counter[str]:
    """One pass: claim up to ``limit`` (OUTBOX_BATCH) due messages on every channel ``transports``
    gives, and deliver them. Counts the outcomes (sent, withdrawn, held, deferred, retry, dead,
    skipped)."""
    now = now or utc_now()
    outcomes: Counter[str] = Counter()
    with ExitStack() as batch:  # closes what the transports keep open for the batch
        available = transports(batch)
        claimed = claim_batch(now, limit or settings().outbox_batch, list(available))
        if claimed.deferred:
            outcomes["deferred"] += len(claimed.deferred)
        if claimed.ids:
            outcomes.update(deliver_batch(claimed.ids, available, now))
    return outcomes
