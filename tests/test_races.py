"""Races for the same time: however many clients ask at once, one wins and the rest get a clean 409.

The guarantee lives in the database (PostgreSQL's exclusion constraint; SQLite's BEGIN IMMEDIATE
plus the re-check), so these tests race real processes and threads against the real database the
suite runs on, and look at the rows afterwards.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from scheduler.domain.errors import SLOT_TAKEN_MESSAGE
from scheduler.domain.errors import SlotTaken
from scheduler.domain.patients import PatientDetails
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.servers import gunicorn_server

pytestmark = pytest.mark.slow

CLIENTS = 50
WORKERS = 4
# Generous: a client that waits this long is a bug worth a failure, not a hang of the suite.
TIMEOUT_SECONDS = 30


def _patient_json(n: int) -> dict[str, Any]:
    # A different person each time: the conflict must be the provider's slot, not the patient's own
    # overlapping visit (which is refused for a different reason).
    return patient_json(
        given_name=f"Racer{n:02d}", family_name="Lee", phone=f"507-555-01{n:02d}", email=f"racer{n:02d}@example.com"
    )


def _post(base_url: str, path: str, body: dict[str, Any], start_together: threading.Barrier) -> tuple[int, Any]:
    """POST ``body`` as JSON once every client is ready; the status and the decoded body."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT_SECONDS)
    try:
        # Connected before the barrier, so the requests leave together rather than after 50 handshakes.
        try:
            connection.connect()
        except BaseException:
            start_together.abort()  # the others fail at once instead of waiting out the timeout
            raise
        start_together.wait(TIMEOUT_SECONDS)
        connection.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:  # a crash page from gunicorn itself is not JSON; keep it for the failure message
        return response.status, raw.decode(errors="replace")


def _count(*conditions: Any, model: Any = models.Reservation) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


def test_fifty_clients_racing_for_one_slot_through_gunicorn_get_one_booking_and_49_conflicts(
    app: Flask, database_url: str, make_provider: Any
) -> None:
    provider = make_provider("pmr", name="Dr. Maya Lindqvist")
    start = central(next_clinic_day(), 9)
    bodies = [booking_json(start, patient=_patient_json(n)) for n in range(CLIENTS)]
    start_together = threading.Barrier(CLIENTS)

    # Asserted inside the block: on failure the server's log (with any 500's traceback) is shown.
    with gunicorn_server(database_url, workers=WORKERS) as base_url:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(_post, base_url, "/api/v1/appointments", b, start_together) for b in bodies]
            results = [f.result() for f in futures]

        statuses = Counter(status for status, _ in results)
        crashes = [(status, body) for status, body in results if status >= 500]
        assert not crashes, f"a lost race must never be a server error: {statuses}, {crashes[:3]}"
        unexpected = [body for status, body in results if status not in (201, 409)]
        assert statuses == {201: 1, 409: CLIENTS - 1}, f"{statuses}: {unexpected[:3]}"
        conflicts = [body for status, body in results if status == 409]
        assert {body["error"] for body in conflicts} == {"slot_taken"}
        winner = next(body for status, body in results if status == 201)
        assert winner["provider"]["id"] == provider

    with app.app_context():
        r = models.Reservation
        assert _count(r.resource == provider_resource(provider), r.active) == 1
        # The losers left nothing behind: one appointment, and every reservation is the winner's.
        assert _count(model=models.Appointment) == 1
        appointment = db.session.execute(select(models.Appointment)).scalar_one()
        assert appointment.reference == winner["reference"]
        assert {x.appointment_id for x in db.session.execute(select(r)).scalars()} == {appointment.id}


def _staff_places_injection(
    app: Flask, provider_id: int, n: int, start_day: date, start_together: threading.Barrier | None = None
) -> tuple[int, int | None] | SlotTaken:
    """In this thread's own app context (so its own session and connection): (provider, room) of the
    placed visit, or the SlotTaken refusal."""
    with app.app_context():
        patient = PatientDetails(
            given_name=f"Patient{n}",
            family_name="Lee",
            birth_date=date(1970, 2, 3),
            phone=f"+1507555010{n}",
            email=f"patient{n}@example.com",
        )
        if start_together is not None:
            start_together.wait(TIMEOUT_SECONDS)
        try:
            placed = booking.place_visit(
                visit_type_code="injection",
                start=central(start_day, 10),
                patient=patient,
                channel="staff",
                provider_id=provider_id,
            )
        except SlotTaken as taken:
            return taken
        return placed.appointment.provider_id, placed.appointment.room_id


def test_two_radiologists_placing_injections_at_once_cannot_share_the_only_fluoroscopy_suite(
    app: Flask, make_provider: Any, make_room: Any
) -> None:
    # Different providers and different patients: the one fluoroscopy suite is the only thing
    # the two visits compete for.
    providers = [
        make_provider("radiology-pain", name="Dr. Priya Raman"),
        make_provider("radiology-pain", name="Dr. Erik Halvorsen"),
    ]
    suite = make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    day = next_clinic_day()
    start_together = threading.Barrier(len(providers))

    with ThreadPoolExecutor(max_workers=len(providers)) as pool:
        futures = [
            pool.submit(_staff_places_injection, app, provider, n, day, start_together)
            for n, provider in enumerate(providers)
        ]
        outcomes = [f.result() for f in futures]

    placed = [o for o in outcomes if not isinstance(o, SlotTaken)]
    refused = [o for o in outcomes if isinstance(o, SlotTaken)]
    assert len(placed) == 1 and len(refused) == 1, outcomes
    winner_provider, winner_room = placed[0]
    assert winner_room == suite
    assert refused[0].code == "slot_taken"

    with app.app_context():
        r = models.Reservation
        assert _count(r.resource == room_resource(suite), r.active) == 1
        assert _count(model=models.Appointment) == 1
        loser = next(p for p in providers if p != winner_provider)
        assert _count(r.resource == provider_resource(loser)) == 0


def test_a_placement_started_while_another_is_about_to_commit_the_only_suite_waits_and_loses(
    app: Flask, make_provider: Any, make_room: Any
) -> None:
    """The worst interleaving, forced rather than hoped for: A has checked that the suite is free and
    inserted its rows, and is about to commit, when B starts. On PostgreSQL B's own check passes too
    (A's rows are not committed), so only the exclusion constraint can stop it; on SQLite B cannot
    begin its write transaction until A commits, and its re-check then refuses it. The barrier race
    above reaches this interleaving on PostgreSQL only some of the time."""
    first = make_provider("radiology-pain", name="Dr. Priya Raman")
    second = make_provider("radiology-pain", name="Dr. Erik Halvorsen")
    suite = make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    day = next_clinic_day()
    a_about_to_commit, release_a = threading.Event(), threading.Event()

    def hold_the_first_commit(_connection: Any) -> None:
        # The main thread commits nothing while this listens, and B starts only after A is held.
        if threading.current_thread() is not threading.main_thread() and not a_about_to_commit.is_set():
            a_about_to_commit.set()
            release_a.wait(TIMEOUT_SECONDS)

    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
    event.listen(engine, "commit", hold_the_first_commit)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            try:
                a = pool.submit(_staff_places_injection, app, first, 0, day)
                assert a_about_to_commit.wait(TIMEOUT_SECONDS), "A never reached its commit"
                b = pool.submit(_staff_places_injection, app, second, 1, day)
                _wait_until_waiting_on_a_lock(app, dialect, b)
                assert not b.done(), f"B finished while A held its transaction open: {b.result()}"
            finally:
                release_a.set()  # before the pool's exit waits for A
            a_outcome, b_outcome = a.result(), b.result()
    finally:
        event.remove(engine, "commit", hold_the_first_commit)

    assert a_outcome == (first, suite)
    assert isinstance(b_outcome, SlotTaken), b_outcome
    if dialect == "postgresql":
        # The constraint's refusal, not the check's: B's check had found the suite free.
        assert b_outcome.message == SLOT_TAKEN_MESSAGE
    with app.app_context():
        r = models.Reservation
        assert _count(r.resource == room_resource(suite), r.active) == 1
        assert _count(model=models.Appointment) == 1
        assert _count(r.resource == provider_resource(second)) == 0


def _wait_until_waiting_on_a_lock(app: Flask, dialect: str, b: Future[Any]) -> None:
    """Return once B is blocked behind A's transaction."""
    if dialect != "postgresql":
        # SQLite: B sleeps in busy_timeout waiting for A's write lock, which no other connection
        # can observe. A moment is plenty for B to get there; if B were not blocked it would be done.
        time.sleep(0.3)
        return
    deadline = time.monotonic() + TIMEOUT_SECONDS
    with app.app_context():
        while time.monotonic() < deadline and not b.done():
            waiting = db.session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            db.session.rollback()  # a fresh snapshot of pg_stat_activity on the next poll
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("B never waited for A's transaction" + (f": {b.result()}" if b.done() else ""))
