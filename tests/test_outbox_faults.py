"""The message worker under faults, as production runs it: ``flask jobs`` processes against a real
SMTP server (aiosmtpd on 127.0.0.1) and the suite's database.

* A worker killed with SIGKILL mid-batch and restarted: nothing is lost, and only the batch that
  was in flight can go out twice, each copy with the same Message-ID.
* Two workers draining one queue on PostgreSQL (FOR UPDATE SKIP LOCKED): each message exactly once.
* (in process) A worker's batch goes over one SMTP connection, not one per message.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import Channel
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import PlannedMessage
from scheduler.jobs import transports
from scheduler.services import outbox
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import free_port
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.servers import MAIL_SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")
HOST = "127.0.0.1"
TIMEOUT_SECONDS = 45  # a worker that takes this long is a failure worth reporting, not a hang


class Recorder:
    """An aiosmtpd handler keeping (Message-ID, To) of each message it accepts.

    With ``delay``, each message is recorded as soon as its data is in and the 250 reply comes
    ``delay`` seconds later: a worker killed meanwhile has handed the message over but never heard
    so, which is exactly how a crash makes a duplicate.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[tuple[str, str]] = []
        self.sessions: set[int] = set()  # SMTP connections that carried a message
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.received.append((str(headers["Message-ID"]), str(headers["To"])))
            self.sessions.add(id(session))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@contextmanager
def smtp_server(handler: Recorder) -> Iterator[int]:
    controller = Controller(handler, hostname=HOST, port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


class Worker:
    """``flask jobs ...`` as its own process, configured only through the environment (inherited
    SCHEDULER_* variables dropped), its output in a file (a pipe nobody reads could fill up)."""

    def __init__(self, args: list[str], database_url: str, smtp_port: int, **settings: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
        env.update(
            SCHEDULER_DATABASE_URL=database_url,
            SCHEDULER_SECRET_KEY=f"test-{secrets.token_hex(16)}",
            SCHEDULER_MAIL_SMTP_HOST=HOST,
            SCHEDULER_MAIL_SMTP_PORT=str(smtp_port),
            SCHEDULER_PUBLIC_BASE_URL="https://scheduler.test",
            **MAIL_SETTINGS,
            **{f"SCHEDULER_{k}": v for k, v in settings.items()},
        )
        self.command = [str(FLASK), "--app", "wsgi", "jobs", *args]
        self.log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self) -> None:
        self.stop()
        self.log.close()


@contextmanager
def workers(*started: Worker) -> Iterator[tuple[Worker, ...]]:
    """Stops and closes the workers on the way out; on a failure, shows what they printed."""
    try:
        yield started
    except BaseException:
        for worker in started:
            worker.stop()
            print(f"--- {' '.join(worker.command)} (exit {worker.process.poll()}) ---\n{worker.output()}")
        raise
    finally:
        for worker in started:
            worker.close()


def wait_for(condition: Callable[[], bool], what: str, every: float = 0.01, timeout: float = TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def outbox_rows(app) -> list[models.OutboxMessage]:
    with app.app_context():
        found = db.session.execute(select(models.OutboxMessage).order_by(models.OutboxMessage.id)).scalars().all()
        db.session.remove()
        return list(found)


def count_sent(app) -> int:
    with app.app_context():
        n = db.session.execute(
            select(func.count()).select_from(models.OutboxMessage).where(models.OutboxMessage.status == "sent")
        ).scalar_one()
        db.session.remove()
        return int(n)


def book_many(client, count: int) -> list[dict]:
    """``count`` bookings through the API, each a different patient at a different hour."""
    booked: list[dict] = []
    today, after = clinic_today(utc_now()), 2
    while len(booked) < count:
        day = next_clinic_day(after_days=after)
        after = (day - today).days + 1
        for hour in range(8, 17):
            if len(booked) == count:
                break
            n = len(booked)
            patient = patient_json(
                given_name=f"Fault{n:02d}", phone=f"507-555-02{n:02d}", email=f"fault{n:02d}@example.com"
            )
            response = client.post("/api/v1/appointments", json=booking_json(central(day, hour), patient=patient))
            assert response.status_code == 201, response.json
            booked.append(response.json)
    return booked


def message_id(app, row_id: int) -> str:
    return f"<outbox-{row_id}@{app.config['MAIL_DOMAIN']}>"


def test_a_batch_goes_over_one_smtp_connection(app, client, make_provider):
    make_provider("pmr")
    book_many(client, 3)
    handler = Recorder()
    with smtp_server(handler) as port:
        app.config.update(MAIL_SMTP_HOST=HOST, MAIL_SMTP_PORT=port)
        with app.app_context():
            assert drain_once(transports) == {"sent": 3}
            db.session.remove()
    assert len(handler.received) == 3 and len(handler.sessions) == 1


BATCH = 10
LEASE_SECONDS = 2


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_the_batch_in_flight(
    app, client, make_provider, database_url
):
    make_provider("pmr")
    book_many(client, 30)
    confirmations = {r.id for r in outbox_rows(app) if r.kind == "confirmed" and r.channel == "email"}
    assert len(confirmations) == 30  # reminders are due later: the worker leaves them alone
    settings = {"OUTBOX_BATCH": str(BATCH), "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS), "JOBS_INTERVAL_SECONDS": "1"}
    handler = Recorder(delay=0.1)
    with smtp_server(handler) as port:
        with workers(Worker(["run"], database_url, port, **settings)) as (first,):
            wait_for(lambda: handler.count() >= BATCH + 2, "the first messages (the worker started?)")
            first.kill()  # SIGKILL: no cleanup of any kind, as when the host loses power
            received_before_restart = handler.count()
            rows = outbox_rows(app)
            in_flight = {r.id for r in rows if r.status == "sending"}
            sent_before = {r.id for r in rows if r.status == "sent"}
        assert 0 < received_before_restart < 30, "the kill must land mid-run"
        assert in_flight, "the kill must land mid-batch: some rows claimed and not yet recorded"
        assert len(in_flight) <= BATCH
        with workers(Worker(["run"], database_url, port, **settings)) as (second,):
            # The claimed rows stay reserved for the lease (2 s here), then the new worker takes them.
            wait_for(lambda: count_sent(app) == 30, "every message to be sent", every=0.1)
            second.stop()
    rows = {r.id: r for r in outbox_rows(app) if r.id in confirmations}
    assert {r.status for r in rows.values()} == {"sent"}
    expected = {message_id(app, row_id): row_id for row_id in confirmations}
    copies = Counter(mid for mid, _ in handler.received)
    # Nothing lost, nothing foreign: every row reached the server, under its own Message-ID.
    assert set(copies) == set(expected)
    # A patient's copies all carry one Message-ID, so mail systems can tell a copy from a new message.
    ids_per_address: dict[str, set[str]] = {}
    for mid, to in handler.received:
        ids_per_address.setdefault(to, set()).add(mid)
    assert len(ids_per_address) == 30 and all(len(ids) == 1 for ids in ids_per_address.values())
    # Any duplicate belongs to the batch the dead worker held; rows it had recorded never go again.
    repeated = {expected[mid] for mid, n in copies.items() if n > 1}
    assert repeated <= in_flight and not repeated & sent_before
    assert sum(n - 1 for n in copies.values()) <= len(in_flight) <= BATCH
    # Only the rows it held were claimed a second time.
    assert {row_id for row_id, r in rows.items() if r.attempts == 2} == in_flight
    assert all(r.attempts in (1, 2) for r in rows.values())
    print(
        f"\nkilled after {received_before_restart} of 30 received; {len(in_flight)} rows in flight; "
        f"{len(handler.received) - 30} duplicate(s), ids {sorted(repeated)}"
    )


MESSAGES = 2_000


def queue_email_rows(app, count: int, appointments: list[int]) -> None:
    """``count`` due confirmation rows spread over ``appointments`` (distinct versions), written in
    one statement: the outbox as a busy day leaves it, without booking 2,000 visits."""
    confirmation = PlannedMessage(MessageKind.CONFIRMED, Channel.EMAIL, utc_now() - timedelta(seconds=1))
    with app.app_context():
        db.session.execute(delete(models.OutboxMessage))
        db.session.execute(
            insert(models.OutboxMessage),
            [
                outbox.row(
                    confirmation, appointment_id=appointments[i % len(appointments)], version=i // len(appointments) + 1
                )
                for i in range(count)
            ],
        )
        db.session.commit()
        db.session.remove()


@pytest.mark.slow
def test_two_workers_on_postgresql_deliver_each_message_exactly_once(app, client, make_provider, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: SQLite has a single writer, so two workers cannot claim side by side")
    make_provider("pmr")
    booked = book_many(client, 5)
    with app.app_context():
        appointments = list(
            db.session.execute(
                select(models.Appointment.id).where(models.Appointment.reference.in_([b["reference"] for b in booked]))
            ).scalars()
        )
        db.session.remove()
    queue_email_rows(app, MESSAGES, appointments)
    handler = Recorder()
    with smtp_server(handler) as port:
        settings = {"OUTBOX_BATCH": "20"}
        drain = ["drain", "--until-empty"]
        with workers(Worker(drain, database_url, port, **settings), Worker(drain, database_url, port, **settings)) as (
            one,
            two,
        ):
            wait_for(lambda: count_sent(app) == MESSAGES, f"all {MESSAGES} rows to be sent", every=0.2)
            for worker in (one, two):
                worker.process.wait(TIMEOUT_SECONDS)  # each exits once a pass finds nothing due
                assert worker.process.returncode == 0, worker.output()
            outputs = [one.output(), two.output()]
    rows = outbox_rows(app)
    assert len(rows) == MESSAGES and {r.status for r in rows} == {"sent"}
    assert {r.attempts for r in rows} == {1}  # no row was claimed twice
    copies = Counter(mid for mid, _ in handler.received)
    assert len(handler.received) == MESSAGES
    assert set(copies) == {message_id(app, r.id) for r in rows}  # 2,000 distinct Message-IDs, one each
    assert {r.provider_message_id for r in rows} == set(copies)
    # Both workers took part: each reports how many it sent ("sent: N").
    shares = [int(re.findall(r"\bsent: (\d+)", out)[-1]) for out in outputs]
    assert sum(shares) == MESSAGES and all(shares), outputs
    print(f"\nshares of the two workers: {shares}")


class CutsTheDatabase(Recorder):
    """Takes the first message, then, before saying so, cuts the worker off its database: every
    connection to it is terminated and new ones are refused for ``outage`` seconds. The worker
    has sent the message and cannot record that it did."""

    def __init__(self, database: str, outage: float) -> None:
        super().__init__()
        self.database, self.outage = database, outage
        self.cut = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        reply = await super().handle_DATA(server, session, envelope)
        if not self.cut.is_set():
            self.cut.set()
            with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false')
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                )
            threading.Timer(self.outage, self.reconnect).start()
        return reply

    def reconnect(self) -> None:
        with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')


def test_a_batch_sent_while_the_database_went_away_is_recorded_once_it_is_back_and_never_sent_twice(
    app, client, make_provider, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the fault is the server dropping and refusing connections")
    make_provider("pmr")
    book_many(client, 3)
    handler = CutsTheDatabase(database_url.rsplit("/", 1)[-1], outage=1.5)
    try:
        with smtp_server(handler) as port:
            app.config.update(MAIL_SMTP_HOST=HOST, MAIL_SMTP_PORT=port)
            with app.app_context():
                started = time.monotonic()
                assert drain_once(transports) == {"sent": 3}
                assert time.monotonic() - started >= 1.0  # it waited for the database to come back
                db.session.remove()
                # Long after the lease would have run out, nothing is claimed again.
                assert drain_once(transports, utc_now() + timedelta(hours=1)) == {}
                db.session.remove()
    finally:
        handler.reconnect()
    assert handler.count() == 3 and len({m for m, _ in handler.received}) == 3
    assert {row.status for row in outbox_rows(app) if row.channel == Channel.EMAIL.value} == {"sent"}
