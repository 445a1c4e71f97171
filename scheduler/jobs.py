"""The message worker: delivers due outbox rows. Run as its own process (``flask jobs run``), never
inside web workers: APScheduler 3 in every gunicorn worker would run every job in each of them.

Each pass claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers on several
hosts share the queue; SQLite's single writer makes its claim exclusive) and commits the claim;
then it composes the whole batch from the current records (loaded in one query per kind of
subject), ends that read transaction, delivers with no transaction open, and records all the
outcomes in one transaction. A worker killed mid-batch leaves its rows in ``sending`` with a
lease; once the lease runs out another pass claims them again, so nothing is lost and only the
batch in flight can go out twice (with the same Message-ID), which OUTBOX_BATCH bounds.

Each channel is a :class:`Transport` (compose from the current records, send, and the earliest
time it may go). SMS is claimed only when SMS_BASE_URL is set. Texts keep the FCC pace (one a
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
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy import update

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.delivery.email import FolderMailer
from scheduler.delivery.email import SmtpMailer
from scheduler.delivery.sms import SmsClient
from scheduler.delivery.sms import time_zone_for_number
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import SMS_PACE
from scheduler.domain.messages import Channel
from scheduler.domain.messages import earliest_sms_time
from scheduler.domain.messages import sms_pacing_delay
from scheduler.services.holds import release_expired_holds
from scheduler.services.notices import compose_email
from scheduler.services.notices import compose_sms
from scheduler.services.notices import preload
from scheduler.services.notices import text_subject
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import end_reads
from scheduler.store.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)

Send = Callable[[Email], str]
SendSms = Callable[[Sms], str]


def any_time(_message: Any, now: datetime) -> datetime:
    return now


def sms_daytime(sms: Sms, now: datetime) -> datetime:
    return earliest_sms_time(now, time_zone_for_number(sms.to))


@dataclass(frozen=True)
class Transport:
    """One channel: build the message from a claimed row at a given time (None: nothing to send
    any more), send it (returning the provider's id), and the earliest time it may go out, given now."""

    compose: Callable[[models.OutboxMessage, datetime], Any]
    send: Callable[[Any], str]
    earliest: Callable[[Any, datetime], datetime] = any_time


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempts)]."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempts, 20)))
    return ceiling * (rng or random).random()


def mailer(batch: ExitStack | None = None) -> Send:
    """The email sender. Given ``batch``, SMTP keeps one connection for all its sends, closed when
    ``batch`` closes (one connection per batch, not per message)."""
    config = current_app.config
    if config["MAIL_SMTP_HOST"]:
        smtp = SmtpMailer(
            config["MAIL_SMTP_HOST"],
            int(config["MAIL_SMTP_PORT"]),
            config["MAIL_FROM"],
            starttls=bool(config["MAIL_SMTP_STARTTLS"]),
            username=config["MAIL_SMTP_USERNAME"] or None,
            password=config["MAIL_SMTP_PASSWORD"] or None,
            keep_open=batch is not None,
        )
        if batch is not None:
            batch.callback(smtp.close)
        return smtp.send
    return FolderMailer(Path(current_app.instance_path) / config["MAIL_FOLDER"], config["MAIL_FROM"]).send


def sms_sender() -> SendSms | None:
    """The SMS client, or None while SMS_BASE_URL is empty (texts then wait in the queue)."""
    config = current_app.config
    if not config["SMS_BASE_URL"]:
        return None
    return SmsClient(
        config["SMS_BASE_URL"], config["SMS_ACCOUNT_SID"], config["SMS_AUTH_TOKEN"], config["SMS_FROM"]
    ).send


def transports(
    send_email: Send | None = None, send_sms: SendSms | None = None, batch: ExitStack | None = None
) -> dict[str, Transport]:
    found = {Channel.EMAIL.value: Transport(compose_email, send_email or mailer(batch))}
    sms = send_sms or sms_sender()
    if sms is not None:
        found[Channel.SMS.value] = Transport(compose_sms, sms, sms_daytime)
    return found


def lease() -> timedelta:
    """How long a claim holds its rows (OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=float(current_app.config["OUTBOX_LEASE_SECONDS"]))


@dataclass
class Claim:
    """What one claim took: the rows it marked as being sent, and the texts it put back in the
    queue for later because sending them now would break the pace (id: when they may go)."""

    ids: list[int]
    deferred: dict[int, datetime] = field(default_factory=dict)


def claim(now: datetime, limit: int, channels: list[str]) -> list[int]:
    """Mark up to ``limit`` due rows as being sent (queued and due, or sending with an expired
    lease); texts that must wait for the pace are put back instead (see :func:`claim_batch`)."""
    return claim_batch(now, limit, channels).ids


def claim_batch(now: datetime, limit: int, channels: list[str]) -> Claim:
    """Take up to ``limit`` due rows, as :func:`claim` says, and report what was deferred."""
    t = models.OutboxMessage.__table__
    with unit_of_work():
        due = (
            select(t.c.id, t.c.channel)
            .where(
                t.c.channel.in_(channels),
                or_(
                    (t.c.status == "queued") & (t.c.send_after <= now),
                    (t.c.status == "sending") & (t.c.locked_until < now),
                ),
            )
            .order_by(t.c.send_after, t.c.id)
            .limit(limit)
        )
        if db.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        found = db.session.execute(due).all()
        texts = [row_id for row_id, channel in found if channel == Channel.SMS.value]
        deferred = pace_texts(texts, now) if texts else {}
        ids = [row_id for row_id, _ in found if row_id not in deferred]
        if ids:
            # Core, not the ORM: nothing in the session needs to learn about these rows.
            db.session.execute(
                update(t)
                .where(t.c.id.in_(ids))
                .values(status="sending", locked_until=now + lease(), attempts=t.c.attempts + 1)
            )
        if deferred:
            # Queued again (a text re-claimed after a dead worker's lease ran out was "sending").
            later = {"status": "queued", "locked_until": None, "send_after": bindparam("allowed_at")}
            db.session.execute(
                update(t).where(t.c.id == bindparam("outbox_id")).values(later),
                [{"outbox_id": row_id, "allowed_at": at} for row_id, at in deferred.items()],
            )
    return Claim(ids, deferred)


# Serialises the pace check of the workers' claims on PostgreSQL (an arbitrary constant of ours).
# Two workers each claiming one text to the same number could otherwise both see "nothing sent
# today" and both send; under this lock the second one sees the first one's claim. Only claims
# that took a text wait for it, so email throughput is untouched. SQLite's BEGIN IMMEDIATE
# already serialises every claim.
SMS_PACE_LOCK = 0x5C4ED_0015


def pace_texts(text_ids: list[int], now: datetime) -> dict[int, datetime]:
    """The texts among ``text_ids`` (in the order they are to go) that would break the pace now,
    each with the time it may go. Counted per phone number (family members may share one): the
    texts sent to it in the last week, the ones other workers have claimed and are sending
    (counted as sent now), and the ones this claim lets through before it."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(SMS_PACE_LOCK)))
    m = models.OutboxMessage
    texts = db.session.execute(select(m).where(m.id.in_(text_ids))).scalars().all()
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
    earlier = _with_phone(
        m.sent_at,
        m.channel == Channel.SMS.value,
        m.id.notin_(text_ids),
        or_(
            (m.status == "sent") & (m.sent_at > now - window),
            (m.status == "sending") & (m.locked_until >= now),
        ),
        phones=set(phones.values()),
    )
    sent: dict[str, list[datetime]] = defaultdict(list)
    for phone, sent_at in db.session.execute(earlier):
        sent[phone].append(sent_at if sent_at is not None else now)  # sending: as if it went now
    deferred: dict[int, datetime] = {}
    for row_id in text_ids:
        phone = phones.get(row_id)
        if phone is None:
            continue  # not going: composing it withdraws it
        allowed_at = sms_pacing_delay(sent[phone], now)
        if allowed_at is None:
            sent[phone].append(now)
        else:
            deferred[row_id] = allowed_at
    return deferred


def _with_phone(column: Any, *where: Any, phones: set[str] | None = None) -> Any:
    """``(phone, column)`` of the outbox rows matching ``where``, whether they are about an
    appointment or a request; with ``phones``, only rows to those numbers, found from the patient
    (by the phone index) rather than by scanning the outbox."""
    m, p = models.OutboxMessage, models.Patient
    queries = []
    for subject, key in ((models.Appointment, m.appointment_id), (models.VisitRequest, m.request_id)):
        query = (
            select(p.phone, column)
            .select_from(m)
            .join(subject, subject.id == key)
            .join(p, p.id == subject.patient_id)
            .where(p.phone.is_not(None), *where)
        )
        if phones is not None:
            query = query.where(p.phone.in_(phones))
        queries.append(query)
    return union_all(*queries)


# The outcome of one claimed row: a name (sent, withdrawn, dead, retry, held) and the columns to set.
Outcome = tuple[str, dict[str, object]]


def deliver(message_id: int, transports: Mapping[str, Transport], now: datetime) -> str:
    """Deliver one claimed row and record the outcome; returns it (sent, withdrawn, held, retry, dead,
    or skipped when the row is no longer being sent)."""
    [(outcome, _)] = deliver_batch([message_id], transports, now).items()
    return outcome


def deliver_batch(message_ids: list[int], transports: Mapping[str, Transport], now: datetime) -> Counter:
    """Deliver claimed rows: compose them all from the current records, end that transaction,
    send each with none open, then record every outcome in one transaction. Counts the outcomes."""
    m = models.OutboxMessage
    messages = db.session.execute(select(m).where(m.id.in_(message_ids)).order_by(m.send_after, m.id)).scalars().all()
    claimed = [message for message in messages if message.status == "sending"]
    subjects = preload(claimed)  # kept alive while composing: the session holds them weakly
    outcomes: dict[int, Outcome] = {}
    ready: list[tuple[int, int, Transport, Any]] = []
    for message in claimed:
        transport = transports[message.channel]
        try:
            composed = transport.compose(message, now)
        except DeliveryFailed as failure:  # e.g. a text that cannot fit: trying again changes nothing
            log.warning("outbox message %s: %s", message.id, failure.reason)
            outcomes[message.id] = ("dead", {"status": "dead", "last_error": failure.reason, "locked_until": None})
            continue
        except Exception as error:  # a bug: this message waits for a fix, the rest of the batch goes
            reason = f"compose failed ({type(error).__name__})"  # the type only: its text may quote a patient
            log.error("outbox message %s: %s (attempt %s)", message.id, reason, message.attempts)
            outcomes[message.id] = failed(message.attempts, reason, now)
            continue
        if composed is None:
            outcomes[message.id] = ("withdrawn", {"status": "withdrawn", "locked_until": None})
        else:
            ready.append((message.id, message.attempts, transport, composed))
    end_reads()  # no transaction stays open while we talk to the providers
    del subjects
    for message_id, attempts, transport, composed in ready:
        outcomes[message_id] = send(message_id, attempts, transport, composed, now)
    record(outcomes)
    counts = Counter(name for name, _ in outcomes.values())
    if len(claimed) < len(message_ids):
        counts["skipped"] += len(message_ids) - len(claimed)
    return counts


def send(message_id: int, attempts: int, transport: Transport, composed: Any, now: datetime) -> Outcome:
    """Hand one composed message to its provider (unless it must wait), and say what to record."""
    allowed_at = transport.earliest(composed, now)
    if allowed_at > now:
        # Not yet (night in the patient's zone): back in the queue, giving back the claim's attempt.
        return ("held", {"status": "queued", "send_after": allowed_at, "locked_until": None})
    try:
        provider_id = transport.send(composed)
    except DeliveryFailed as failure:
        # The reason names the failure class only: never the address, the number or the text.
        log.warning("outbox message %s: %s (attempt %s)", message_id, failure.reason, attempts)
        if failure.permanent:
            return ("dead", {"status": "dead", "last_error": failure.reason, "locked_until": None})
        return failed(attempts, failure.reason, now)
    except Exception as error:
        # A bug in a transport. Caught so that the outcomes of the batch's other messages are still
        # recorded: otherwise the lease would run out and send them all again.
        reason = f"send failed ({type(error).__name__})"
        log.error("outbox message %s: %s (attempt %s)", message_id, reason, attempts)
        return failed(attempts, reason, now)
    return ("sent", {"status": "sent", "sent_at": now, "provider_message_id": provider_id, "locked_until": None})


def failed(attempts: int, reason: str, now: datetime) -> Outcome:
    """Try again after a backoff, or dead-letter after MAX_ATTEMPTS. ``reason`` never carries the
    patient's details (a failure class, an exception's type): it is stored in the row."""
    if attempts >= MAX_ATTEMPTS:
        return ("dead", {"status": "dead", "last_error": reason, "locked_until": None})
    retry = {"status": "queued", "last_error": reason, "send_after": now + backoff(attempts), "locked_until": None}
    return ("retry", retry)


def record(outcomes: Mapping[int, Outcome]) -> None:
    """Write every outcome in one transaction, one executemany per kind of outcome, each only
    where its row is still ``sending`` (a row whose lease ran out and that another worker took
    over is that worker's to record)."""
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, object]]] = defaultdict(list)
    for message_id, (name, values) in outcomes.items():
        groups[(name, tuple(sorted(values)))].append(
            {"outbox_id": message_id, **{f"new_{column}": value for column, value in values.items()}}
        )
    if not groups:
        return
    t = models.OutboxMessage.__table__
    with unit_of_work():
        for (name, columns), rows in groups.items():
            values: dict[str, Any] = {c: bindparam(f"new_{c}", type_=t.c[c].type) for c in columns}
            if name == "held":
                values["attempts"] = t.c.attempts - 1  # waiting for the morning is no failed attempt
            statement = update(t).where(t.c.id == bindparam("outbox_id"), t.c.status == "sending").values(values)
            db.session.execute(statement, rows)


def drain_once(
    now: datetime | None = None,
    *,
    send_email: Send | None = None,
    send_sms: SendSms | None = None,
    limit: int | None = None,
) -> Counter:
    """One pass: claim due messages on every channel that has a transport, and deliver them.
    Counts the outcomes (sent, withdrawn, held, deferred, retry, dead, skipped)."""
    now = now or utc_now()
    outcomes: Counter = Counter()
    with ExitStack() as batch:  # closes the batch's SMTP connection
        available = transports(send_email, send_sms, batch)
        claimed = claim_batch(now, limit or int(current_app.config["OUTBOX_BATCH"]), list(available))
        if claimed.deferred:
            outcomes["deferred"] += len(claimed.deferred)
        if claimed.ids:
            outcomes.update(deliver_batch(claimed.ids, available, now))
    return outcomes


HOLD_SWEEP_SECONDS = 60


def run_scheduler(app: Flask) -> None:
    """Block, draining the outbox every JOBS_INTERVAL_SECONDS and releasing expired holds every
    minute (missed runs coalesce into one)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def tick() -> None:
        with app.app_context():
            while sum(drain_once().values()):
                pass  # keep going while there is a backlog
            db.session.remove()

    def release_holds() -> None:
        with app.app_context():
            release_expired_holds()
            db.session.remove()

    scheduler = BlockingScheduler(timezone="America/Chicago")
    scheduler.add_job(
        tick,
        "interval",
        seconds=int(app.config["JOBS_INTERVAL_SECONDS"]),
        coalesce=True,
        max_instances=1,
        next_run_time=utc_now(),
    )
    # Expired holds never block a booking (they are purged inside it); this frees their times in
    # the availability patients see, within a minute of expiring.
    scheduler.add_job(release_holds, "interval", seconds=HOLD_SWEEP_SECONDS, coalesce=True, max_instances=1)
    scheduler.start()
