"""The message worker: delivers due outbox rows. Run as its own process (``flask jobs run``), never
inside web workers: APScheduler 3 in every gunicorn worker would run every job in each of them.

Each pass claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers on several
hosts share the queue; SQLite's single writer makes its claim exclusive), commits the claim,
delivers with no transaction open, then records the outcome. A worker killed mid-batch leaves
rows in ``sending`` with a lease; once the lease runs out another pass claims them again, so
nothing is lost and only the batch in flight can go out twice (with the same Message-ID).

Each channel is a :class:`Transport` (compose from the current records, send, and the earliest
time it may go). SMS is claimed only when SMS_BASE_URL is set, and a text that falls due at night
in the patient's time zone goes back to the queue until 8 a.m. there, without using up an attempt.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from scheduler import models
from scheduler.database import write_transaction
from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.delivery.email import FolderMailer
from scheduler.delivery.email import SmtpMailer
from scheduler.delivery.sms import SmsClient
from scheduler.delivery.sms import time_zone_for_number
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.domain.messages import earliest_sms_time
from scheduler.extensions import db
from scheduler.services.notices import compose_email
from scheduler.services.notices import compose_sms

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
    """One channel: build the message from a claimed row (None: nothing to send any more), send it
    (returning the provider's id), and the earliest time it may go out, given now."""

    compose: Callable[[models.OutboxMessage], Any]
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


def claim(now: datetime, limit: int, channels: list[str]) -> list[int]:
    """Mark up to ``limit`` due rows as being sent (queued and due, or sending with an expired lease)."""
    m = models.OutboxMessage
    with write_transaction():
        due = (
            select(m.id)
            .where(
                m.channel.in_(channels),
                or_(
                    (m.status == "queued") & (m.send_after <= now),
                    (m.status == "sending") & (m.locked_until < now),
                ),
            )
            .order_by(m.send_after, m.id)
            .limit(limit)
        )
        if db.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(db.session.execute(due).scalars())
        if ids:
            db.session.execute(
                update(m)
                .where(m.id.in_(ids))
                .values(status="sending", locked_until=now + lease(), attempts=m.attempts + 1)
            )
    return ids


def deliver(message_id: int, transports: Mapping[str, Transport], now: datetime) -> str:
    """Deliver one claimed row and record the outcome; returns it (sent, withdrawn, held, retry, dead)."""
    message = db.session.get(models.OutboxMessage, message_id)
    if message is None or message.status != "sending":
        return "skipped"
    transport, attempts = transports[message.channel], message.attempts
    try:
        composed = transport.compose(message)
    except DeliveryFailed as failure:  # e.g. a text that cannot fit: trying again changes nothing
        db.session.rollback()
        log.warning("outbox message %s: %s", message_id, failure.reason)
        return record(message_id, {"status": "dead", "last_error": failure.reason, "locked_until": None})
    db.session.rollback()  # no transaction stays open while we talk to the provider
    if composed is None:
        return record(message_id, {"status": "withdrawn", "locked_until": None})
    allowed_at = transport.earliest(composed, now)
    if allowed_at > now:
        # Not yet (night in the patient's zone): back in the queue, giving back the claim's attempt.
        attempts_before_claim = models.OutboxMessage.attempts - 1
        held = {"status": "queued", "send_after": allowed_at, "locked_until": None, "attempts": attempts_before_claim}
        return record(message_id, held)
    try:
        provider_id = transport.send(composed)
    except DeliveryFailed as failure:
        # The reason names the failure class only: never the address, the number or the text.
        log.warning("outbox message %s: %s (attempt %s)", message_id, failure.reason, attempts)
        if failure.permanent or attempts >= MAX_ATTEMPTS:
            return record(message_id, {"status": "dead", "last_error": failure.reason, "locked_until": None})
        retry_at = now + backoff(attempts)
        return record(
            message_id, {"status": "queued", "last_error": failure.reason, "send_after": retry_at, "locked_until": None}
        )
    return record(
        message_id, {"status": "sent", "sent_at": now, "provider_message_id": provider_id, "locked_until": None}
    )


def record(message_id: int, outcome: dict[str, object]) -> str:
    """Write ``outcome`` unless the row left ``sending`` meanwhile (a lease taken over); name it."""
    with write_transaction():
        db.session.execute(
            update(models.OutboxMessage)
            .where(models.OutboxMessage.id == message_id, models.OutboxMessage.status == "sending")
            .values(**outcome)
        )
    if outcome["status"] == "queued":
        return "retry" if "last_error" in outcome else "held"
    return str(outcome["status"])


def drain_once(
    now: datetime | None = None,
    *,
    send_email: Send | None = None,
    send_sms: SendSms | None = None,
    limit: int | None = None,
) -> Counter:
    """One pass: claim due messages on every channel that has a transport, and deliver them."""
    now = now or utc_now()
    outcomes: Counter = Counter()
    with ExitStack() as batch:  # closes the batch's SMTP connection
        available = transports(send_email, send_sms, batch)
        for message_id in claim(now, limit or int(current_app.config["OUTBOX_BATCH"]), list(available)):
            outcomes[deliver(message_id, available, now)] += 1
    return outcomes


def run_scheduler(app: Flask) -> None:
    """Block, draining the outbox every JOBS_INTERVAL_SECONDS (missed runs coalesce into one)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def tick() -> None:
        with app.app_context():
            while sum(drain_once().values()):
                pass  # keep going while there is a backlog
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
    scheduler.start()
