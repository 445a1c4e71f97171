"""The revision counters that availability and token caches are keyed by.

On PostgreSQL the bookings counter is kept in one row per connection (migration 0007), so that
concurrent bookings do not wait for each other's commit on one row; it is the sum of its rows.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import psycopg
import pytest

from scheduler.services import clinic
from scheduler.store import catalog as store_catalog
from scheduler.store.engine import db
from tests.conftest import add_appointment


def test_a_counter_kept_in_shards_is_the_sum_of_its_rows():
    rows = [("bookings", 7), ("bookings:3", 5), ("catalog", 2), ("bookings:12", 1), ("api_clients", 0)]
    assert store_catalog.counters(rows) == {"bookings": 13, "catalog": 2, "api_clients": 0}


def test_two_connections_write_reservations_at_once_without_waiting_for_each_other(app, database_url, make_provider):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite lets one writer in at a time by design")
    provider_id = make_provider("pmr")
    start = datetime(2027, 11, 8, 15, 0, tzinfo=UTC)
    with app.app_context():
        appointment_ids = [
            add_appointment(provider_id, start + timedelta(days=i), start + timedelta(days=i, hours=1)) for i in (0, 1)
        ]
        db.session.commit()
        before = clinic.revisions()[0]
        db.session.remove()

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    first = psycopg.connect(dsn)
    # Another connection whose backend maps to another shard (process ids can share one).
    spare = []
    second = psycopg.connect(dsn)
    while second.info.backend_pid % 16 == first.info.backend_pid % 16:
        spare.append(second)
        second = psycopg.connect(dsn)
    try:
        insert = (
            "INSERT INTO reservation (appointment_id, resource, starts_at, ends_at, active) "
            "VALUES (%s, %s, %s, %s, true)"
        )
        first.execute(insert, (appointment_ids[0], "room:901", start, start + timedelta(hours=1)))  # not committed
        # With one counter row, this would wait for the first transaction's commit.
        second.execute("SET lock_timeout = '2s'")
        second.execute(insert, (appointment_ids[1], "room:902", start, start + timedelta(hours=1)))
        second.commit()
        first.commit()
    finally:
        for connection in (first, second, *spare):
            connection.close()

    with app.app_context():
        assert clinic.revisions()[0] == before + 2  # each statement counted once, in its own shard
        db.session.remove()
