"""Two patients claiming one waitlist offer at the same moment: exactly one booking, and the other
a clean offer_taken (never a 500, never slot_taken, never two visits), on the database the suite
runs on (SQLite and PostgreSQL). As in tests/test_races.py, real threads race real transactions,
first released together, then in the worst interleaving, forced."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from scheduler.domain.errors import DomainError
from scheduler.domain.slots import provider_resource
from scheduler.services import booking
from scheduler.services import waitlist_claims
from scheduler.services import waitlist_offers
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.test_waitlist import book
from tests.test_waitlist import join
from tests.test_waitlist import token_of

TIMEOUT_SECONDS = 30


def _offer_to_two(app: Flask, make_provider: Any) -> tuple[int, list[str]]:
    """A freed time offered to a batch of two; the provider and the two claim tokens."""
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        references = [join(n).view.reference for n in (2, 3)]
        booking.cancel_visit(visit.id, None, notify=False)
        assert waitlist_offers.run_pass() == {"offered": 1}
        return provider, [token_of(reference) for reference in references]


def _claim(app: Flask, token: str, start_together: threading.Barrier | None = None) -> str:
    """In this thread's own app context (its own session and connection): "booked" or the refusal's code."""
    with app.app_context():
        if start_together is not None:
            start_together.wait(TIMEOUT_SECONDS)
        try:
            waitlist_claims.claim(token, channel="api")
        except DomainError as refusal:
            return refusal.code
        return "booked"


def _one_booking(app: Flask, provider: int) -> None:
    with app.app_context():
        booked = db.session.execute(
            select(func.count()).select_from(models.Appointment).where(models.Appointment.status == "booked")
        ).scalar_one()
        r = models.Reservation
        taken = db.session.execute(
            select(func.count()).select_from(r).where(r.resource == provider_resource(provider), r.active)
        ).scalar_one()
        assert (booked, taken) == (1, 1)  # one visit, and no hold left beside it
        offer = db.session.execute(select(models.WaitlistOffer)).scalar_one()
        assert offer.status == "claimed" and offer.appointment_id is not None


def test_two_claimants_released_together_get_one_booking_and_one_clean_offer_taken(app, make_provider):
    provider, tokens = _offer_to_two(app, make_provider)
    start_together = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda t: _claim(app, t, start_together), tokens))
    assert outcomes == ["booked", "offer_taken"]
    _one_booking(app, provider)


def test_a_claim_started_while_the_other_is_about_to_commit_waits_and_is_told_the_offer_was_taken(app, make_provider):
    """The worst interleaving, forced: A has booked and is about to commit when B starts. B must
    wait for A (the offer's row lock on PostgreSQL, the write lock on SQLite) and then read that
    the offer was claimed: offer_taken, not a slot_taken from the constraint."""
    provider, tokens = _offer_to_two(app, make_provider)
    a_about_to_commit, release_a = threading.Event(), threading.Event()

    def hold_the_first_commit(_connection: Any) -> None:
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
                a = pool.submit(_claim, app, tokens[0])
                assert a_about_to_commit.wait(TIMEOUT_SECONDS), "A never reached its commit"
                b = pool.submit(_claim, app, tokens[1])
                _wait_until_b_waits(app, dialect, b)
                assert not b.done(), f"B finished while A held its transaction open: {b.result()}"
            finally:
                release_a.set()
            outcomes = [a.result(), b.result()]
    finally:
        event.remove(engine, "commit", hold_the_first_commit)
    assert outcomes == ["booked", "offer_taken"]
    _one_booking(app, provider)


def _wait_until_b_waits(app: Flask, dialect: str, b: Any) -> None:
    if dialect != "postgresql":
        time.sleep(0.3)  # SQLite: B sleeps in busy_timeout on A's write lock, which nothing else can see
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
            db.session.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("B never waited for A's transaction" + (f": {b.result()}" if b.done() else ""))
