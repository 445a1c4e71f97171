"""The message worker: the APScheduler process and its wiring. Run as its own process (``flask jobs
run``), never inside web workers: APScheduler 3 in every gunicorn worker would run every job in
each of them.

What a pass does (claim, pace, deliver, record the outcomes) is a service:
:mod:`scheduler.services.outbox_delivery`. Here the app's settings become its transports: email by
SMTP (MAIL_SMTP_HOST) or into the mail folder, and SMS by the provider's HTTP API once
SMS_BASE_URL is set (until then texts wait in the queue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from flask import Flask
from flask import current_app

from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.delivery.email import FolderMailer
from scheduler.delivery.email import SmtpMailer
from scheduler.delivery.sms import SmsClient
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.services.holds import release_expired_holds
from scheduler.services.notices import compose_email
from scheduler.services.notices import compose_sms
from scheduler.services.outbox_delivery import Transport
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.outbox_delivery import sms_daytime
from scheduler.services.waitlist_offers import run_pass as waitlist_pass
from scheduler.settings import Settings
from scheduler.settings import settings
from scheduler.store.engine import db

log = logging.getLogger(__name__)

Send = Callable[[Email], str]
SendSms = Callable[[Sms], str]


def mailer(batch: ExitStack | None = None) -> Send:
    """The email sender. Given ``batch``, SMTP keeps one connection for all its sends, closed when
    ``batch`` closes (one connection per batch, not per message)."""
    config = settings()
    if config.mail_smtp_host:
        smtp = SmtpMailer(
            config.mail_smtp_host,
            config.mail_smtp_port,
            config.mail_from,
            starttls=config.mail_smtp_starttls,
            username=config.mail_smtp_username or None,
            password=config.mail_smtp_password or None,
            keep_open=batch is not None,
        )
        if batch is not None:
            batch.callback(smtp.close)
        return smtp.send
    return FolderMailer(Path(current_app.instance_path) / config.mail_folder, config.mail_from).send


def sms_sender() -> SendSms | None:
    """The SMS client, or None while SMS_BASE_URL is empty (texts then wait in the queue)."""
    config = settings()
    if not config.sms_base_url:
        return None
    return SmsClient(
        config.sms_base_url, config.sms_account_sid, config.sms_auth_token, config.sms_from
    ).send


def transports(batch: ExitStack | None = None) -> dict[str, Transport]:
    """The channels the app's settings make available, by name (what
    :func:`~scheduler.services.outbox_delivery.drain_once` takes, given its batch)."""
    found = {Channel.EMAIL.value: Transport(compose_email, mailer(batch))}
    sms = sms_sender()
    if sms is not None:
        found[Channel.SMS.value] = Transport(compose_sms, sms, sms_daytime)
    return found


HOLD_SWEEP_SECONDS = 60


def one_tick() -> None:
    """What the worker does every JOBS_INTERVAL_SECONDS, inside the app's context: offer freed
    times to the waitlist first (and pass unclaimed offers on), so that their offers go out in this
    same tick, then drain the outbox while there is a backlog."""
    try:
        waitlist_pass()
    except Exception:  # logged by type and traceback (no PHI: SQL parameters are hidden); the outbox still goes
        log.exception("the waitlist pass failed")
        db.session.remove()
    while sum(drain_once(transports).values()):
        pass  # keep going while there is a backlog
    db.session.remove()


def run_scheduler(app: Flask) -> None:
    """Block, every JOBS_INTERVAL_SECONDS offering freed times to the waitlist (and passing
    unclaimed offers on) and then draining the outbox, and releasing expired holds every minute
    (missed runs coalesce into one)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def tick() -> None:
        with app.app_context():
            one_tick()

    def release_holds() -> None:
        with app.app_context():
            release_expired_holds()
            db.session.remove()

    scheduler = BlockingScheduler(timezone="America/Chicago")
    scheduler.add_job(
        tick,
        "interval",
        seconds=Settings(app.config).jobs_interval_seconds,
        coalesce=True,
        max_instances=1,
        next_run_time=utc_now(),
    )
    # Expired holds never block a booking (they are purged inside it); this frees their times in
    # the availability patients see, within a minute of expiring.
    scheduler.add_job(release_holds, "interval", seconds=HOLD_SWEEP_SECONDS, coalesce=True, max_instances=1)
    scheduler.start()
