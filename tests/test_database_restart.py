"""A database restart in the middle of a booking load (PostgreSQL, as production runs it).

gunicorn (4 sync workers) takes steady bookings and a message worker (``flask jobs run``) sends
their emails to a real SMTP server while the database goes away: every connection to it is
terminated and new ones are refused for two seconds, as during a restart. Afterwards:

* no booking is lost (every 201 has its row) or doubled (the reservations never overlap: the
  database refuses it, and each reference is booked once);
* the answers that were errors are counted: at most one per web process (the request in flight
  on a connection that died); requests that arrive during the outage wait for the database
  instead of failing (``store.engine.CONNECT_PATIENCE_SECONDS``). The README states this figure;
* every email goes out exactly once (distinct Message-IDs, one per outbox row).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.servers import gunicorn_server
from tests.test_outbox_faults import Recorder
from tests.test_outbox_faults import Worker
from tests.test_outbox_faults import smtp_server
from tests.test_outbox_faults import wait_for
from tests.test_outbox_faults import workers
from tests.test_unit_of_work_under_load import SteadyBookings

pytestmark = pytest.mark.slow

WEB_WORKERS = 4
OUTAGE_SECONDS = 2.0
ADMIN_URL = "postgresql://postgres@127.0.0.1/postgres"


def restart(database: str, outage: float) -> None:
    """What a restart does to the app: every connection is dropped, and new ones are refused
    until the server is back."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )
        time.sleep(outage)
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')


def test_a_restart_during_a_booking_load_loses_nothing_doubles_nothing_and_sends_each_email_once(
    app, make_provider, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: a restart drops the server's connections; SQLite has no server")
    database = database_url.rsplit("/", 1)[-1]
    providers = [make_provider("pmr", name=f"Dr. Restart {n}") for n in range(4)]
    handler = Recorder()
    try:
        with smtp_server(handler) as port, gunicorn_server(database_url, workers=WEB_WORKERS) as base_url:
            worker = Worker(["run"], database_url, port, OUTBOX_BATCH="10", JOBS_INTERVAL_SECONDS="1")
            with workers(worker):
                with SteadyBookings(base_url, providers) as load:
                    time.sleep(1.0)
                    before = len(load.statuses)
                    outage = threading.Thread(target=restart, args=(database, OUTAGE_SECONDS))
                    outage.start()
                    outage.join()
                    time.sleep(2.0)
                    after_outage = len(load.statuses)
                statuses = Counter(load.statuses)
                booked = statuses[201]
                errors = sum(n for status, n in statuses.items() if status >= 500)
                print(f"answers: {dict(statuses)}; during and after the restart: {after_outage - before}")
                assert after_outage > before, "no booking was answered after the restart"
                assert errors <= WEB_WORKERS, (statuses, load.failures[:3])
                with app.app_context():
                    db.engine.dispose()  # the restart closed this process's own connections too
                    rows = db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one()
                    references = db.session.execute(select(models.Appointment.reference)).scalars().all()
                    expected_mail = db.session.execute(
                        select(func.count())
                        .select_from(models.OutboxMessage)
                        .where(models.OutboxMessage.channel == "email", models.OutboxMessage.kind == "confirmed")
                    ).scalar_one()
                    db.session.remove()
                # Every 201 has its row; a booking whose answer was lost may have a row too, never two.
                assert booked <= rows <= booked + errors and len(set(references)) == rows
                wait_for(lambda: handler.count() >= expected_mail, f"{expected_mail} confirmations")
                time.sleep(1.5)  # a duplicate would arrive now
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    message_ids = [m for m, _ in handler.received]
    assert len(message_ids) == len(set(message_ids)) == expected_mail
