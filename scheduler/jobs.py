"""The message worker: delivers due outbox rows. Run as its own process (``flask jobs run``), never
inside web workers: APScheduler 3 in every gunicorn worker would run every job in each of them.

Each pass claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers on several
hosts share the queue; SQLite's single writer makes its claim exclusive), commits the claim,
delivers with no transaction open, then records the outcome. A worker killed mid-batch leaves
rows in ``sending`` with a lease; once the lease runs out another pass claims them again, so
nothing is lost and only the batch in flight can go out twice (with the same Message-ID).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask import current_app
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from scheduler import models
from scheduler.database import write_transaction
from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery.email import FolderMailer
from scheduler.delivery.email import SmtpMailer
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.extensions import db
from scheduler.services.notices import compose_email

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)

Send = Callable[[Email], str]


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempts)]."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempts, 20)))
    return ceiling * (rng or random).random()


def mailer() -> Send:
    config = current_app.config
    if config["MAIL_SMTP_HOST"]:
        return SmtpMailer(
            config["MAIL_SMTP_HOST"],
            int(config["MAIL_SMTP_PORT"]),
            config["MAIL_FROM"],
            starttls=bool(config["MAIL_SMTP_STARTTLS"]),
            username=config["MAIL_SMTP_USERNAME"] or None,
            password=config["MAIL_SMTP_PASSWORD"] or None,
        ).send
    return FolderMailer(Path(current_app.instance_path) / config["MAIL_FOLDER"], config["MAIL_FROM"]).send


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
                .values(status="sending", locked_until=now + LEASE, attempts=m.attempts + 1)
            )
    return ids


def deliver(message_id: int, send_email: Send, now: datetime) -> str:
    """Deliver one claimed row and record the outcome; returns it (sent, withdrawn, retry, dead)."""
    message = db.session.get(models.OutboxMessage, message_id)
    if message is None or message.status != "sending":
        return "skipped"
    email, attempts = compose_email(message), message.attempts
    db.session.rollback()  # no transaction stays open while we talk to the mail server
    outcome: dict[str, object]
    if email is None:
        outcome = {"status": "withdrawn", "locked_until": None}
    else:
        try:
            provider_id = send_email(email)
            outcome = {"status": "sent", "sent_at": now, "provider_message_id": provider_id, "locked_until": None}
        except DeliveryFailed as failure:
            # The reason names the failure class only: never the address or the message.
            if failure.permanent or attempts >= MAX_ATTEMPTS:
                outcome = {"status": "dead", "last_error": failure.reason, "locked_until": None}
            else:
                outcome = {
                    "status": "queued",
                    "last_error": failure.reason,
                    "send_after": now + backoff(attempts),
                    "locked_until": None,
                }
            log.warning("outbox message %s: %s (attempt %s)", message_id, failure.reason, attempts)
    with write_transaction():
        db.session.execute(
            update(models.OutboxMessage)
            .where(models.OutboxMessage.id == message_id, models.OutboxMessage.status == "sending")
            .values(**outcome)
        )
    status = str(outcome["status"])
    return "retry" if status == "queued" else status


def drain_once(now: datetime | None = None, *, send_email: Send | None = None, limit: int | None = None) -> Counter:
    """One pass: claim due email and deliver it. SMS waits for its transport (not built yet)."""
    now = now or utc_now()
    send = send_email or mailer()
    outcomes: Counter = Counter()
    for message_id in claim(now, limit or int(current_app.config["OUTBOX_BATCH"]), [Channel.EMAIL.value]):
        outcomes[deliver(message_id, send, now)] += 1
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
