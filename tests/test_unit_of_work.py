"""The unit of work: the one way anything is written, on the suite's database.

A unit of work inside another joins it: nothing commits until the outermost one ends, and an
error leaves nothing half-saved. These tests look at the rows from a second connection, which
sees only what was committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import Engine

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import SlotTaken
from scheduler.domain.patients import PatientDetails
from scheduler.domain.slots import provider_resource
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import staff_visits
from scheduler.services.staff import create_account
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import PendingWrites
from scheduler.store.unit_of_work import in_unit_of_work
from scheduler.store.unit_of_work import unit_of_work
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", "bob.ray@example.com")


class Boom(Exception):
    pass


@pytest.fixture
def scheduler_id(app: Flask) -> int:
    with app.app_context():
        return create_account("uow-scheduler", "Test Scheduler", "scheduler", "correct horse battery staple").id


@pytest.fixture
def committed(database_url: str) -> Iterator[Engine]:
    """A second engine: what it reads is what other connections could see (committed rows only)."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def room_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(models.Room.name)).scalars())


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def add_room(name: str) -> None:
    db.session.add(models.Room(name=name, kind="fluoroscopy"))
    db.session.flush()


def test_a_unit_of_work_inside_another_joins_it_and_both_writes_commit_together_at_the_end(app, committed):
    with app.app_context():
        with unit_of_work():
            add_room("outer")
            with unit_of_work():
                add_room("inner")
            # The inner unit of work ended, but it committed nothing: the outer one is still open.
            assert in_unit_of_work()
            assert room_names(committed) == set()
        assert not in_unit_of_work()
    assert room_names(committed) == {"outer", "inner"}


def test_an_error_in_the_inner_unit_of_work_leaves_neither_write(app, committed):
    with app.app_context():
        with pytest.raises(Boom):
            with unit_of_work():
                add_room("outer")
                with unit_of_work():
                    add_room("inner")
                    raise Boom
        assert not in_unit_of_work()
    assert room_names(committed) == set()


def test_an_inner_error_the_outer_unit_of_work_handles_undoes_only_the_inner_writes(app, committed):
    with app.app_context():
        with unit_of_work():
            add_room("outer")
            try:
                with unit_of_work():
                    add_room("inner")
                    raise Boom
            except Boom:
                pass
            add_room("after")
    assert room_names(committed) == {"outer", "after"}


def test_a_unit_of_work_refuses_to_start_over_changes_made_outside_one(app, committed):
    with app.app_context():
        db.session.add(models.Room(name="stray", kind="fluoroscopy"))
        with pytest.raises(PendingWrites):
            with unit_of_work():
                add_room("mine")
        db.session.expunge_all()

        add_room("flushed stray")  # flushed, not committed: a unit of work must not roll it back silently
        for _attempt in range(2):  # asking again does not get past the check either
            with pytest.raises(PendingWrites):
                with unit_of_work():
                    add_room("mine")
        db.session.remove()
    assert room_names(committed) == set()


def test_plain_sql_writes_only_inside_a_unit_of_work(app, committed):
    # The flush check cannot see the driver's statements, so the driver refuses to write outside.
    with app.app_context():
        with pytest.raises(RuntimeError, match="unit of work"):
            store_bookings.purge_expired_holds(utc_now())
        with unit_of_work():
            assert store_bookings.purge_expired_holds(utc_now()) == 0


def test_a_unit_of_work_after_plain_reads_starts_cleanly(app, committed):
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(models.Room)).scalar_one() == 0
        with unit_of_work():
            add_room("after reading")
    assert room_names(committed) == {"after reading"}


def test_a_booking_inside_a_unit_of_work_commits_with_the_callers_other_writes_or_not_at_all(
    app: Flask, committed: Engine, make_provider: Any
) -> None:
    make_provider("pmr")
    start = central(next_clinic_day(), 9)
    with app.app_context():
        with pytest.raises(Boom):
            with unit_of_work():
                booking.place_visit(visit_type_code="evaluation", start=start, patient=ANN, channel="phone")
                raise Boom  # the caller's own work failed after the booking
    # Nothing of the booking is left: no patient, visit, reservation or message.
    for model in (models.Patient, models.Appointment, models.Reservation, models.OutboxMessage):
        assert count(committed, model) == 0, model.__name__

    with app.app_context():
        with unit_of_work():
            booked = booking.place_visit(visit_type_code="evaluation", start=start, patient=ANN, channel="phone")
            audit.record(
                "appointment.book",
                actor_kind="system",
                actor_id=None,
                record_type="appointment",
                record_id=booked.appointment.id,
                channel="system",
            )
            assert count(committed, models.Appointment) == 0  # not before the outer unit of work ends
    assert count(committed, models.Appointment) == 1
    assert count(committed, models.AuditEvent) == 1


def test_a_slot_taken_inside_a_staff_booking_still_names_the_next_open_time_and_saves_nothing(
    app: Flask, committed: Engine, make_provider: Any, scheduler_id: int
) -> None:
    # The booking's refusal looks up the next open time after its own savepoint is undone, inside
    # the staff use case's unit of work: the transaction must still be usable (on PostgreSQL a
    # failed statement aborts the whole transaction unless only its savepoint is rolled back).
    make_provider("pmr")
    start = central(next_clinic_day(), 9)
    actor = staff_visits.Actor(scheduler_id, "scheduler", "phone")
    with app.app_context():
        staff_visits.book_for_patient(visit_type_code="evaluation", start=start, patient=ANN, actor=actor)
    audit_rows = count(committed, models.AuditEvent)
    with app.app_context():
        with pytest.raises(SlotTaken) as taken:
            staff_visits.book_for_patient(visit_type_code="evaluation", start=start, patient=BOB, actor=actor)
    assert taken.value.next_open is not None and taken.value.next_open > start
    assert count(committed, models.Appointment) == 1
    assert count(committed, models.AuditEvent) == audit_rows  # no audit row for the refused booking


def test_placing_a_request_marks_it_placed_and_links_the_visit_in_one_unit_of_work(
    app: Flask, client: Any, make_provider: Any, make_room: Any, scheduler_id: int
) -> None:
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    answer = client.post(
        "/api/v1/requests",
        json={"patient": patient_json(), "reason": {"requested": "injection", "seen_before": True, "referred": True}},
    )
    assert answer.status_code == 201, answer.get_json()
    with app.app_context():
        request_id = db.session.execute(select(models.VisitRequest.id)).scalar_one()
        actor = staff_visits.Actor(scheduler_id, "scheduler")
        booked = staff_visits.place_request(request_id, central(next_clinic_day(), 10), actor=actor)
        db.session.remove()
        placed = db.session.get(models.VisitRequest, request_id)
        appointment = db.session.get(models.Appointment, booked.appointment.id)
        assert placed is not None and placed.status == "placed"
        assert appointment is not None and appointment.request_id == request_id
        actions = db.session.execute(select(models.AuditEvent.action)).scalars().all()
        assert actions.count("request.place") == 1


def test_plain_reads_open_no_transaction_and_reads_inside_a_unit_of_work_see_its_writes(
    app: Flask, committed: Engine, make_provider: Any
) -> None:
    """The counters and a window's reservations are read outside any transaction of the session
    (no BEGIN, and no ROLLBACK when the request ends: bench B1u), but inside a unit of work
    from its own transaction, so they see what it has written and not yet committed."""
    provider = make_provider("pmr")  # its id
    start = central(next_clinic_day(), 9)
    window = clinic.day_window(next_clinic_day(), 1)
    resource = provider_resource(provider)
    with app.app_context():
        before = clinic.revisions()
        assert clinic.busy([resource], window) == {}
        assert not db.session().in_transaction()
        with unit_of_work():
            booking.place_visit(visit_type_code="evaluation", start=start, patient=ANN, channel="phone")
            assert [i.start for i in clinic.busy([resource], window)[resource]] == [start]
            assert clinic.revisions()[0] > before[0]
            assert count(committed, models.Reservation) == 0  # not yet committed
        assert [i.start for i in clinic.busy([resource], window)[resource]] == [start]
        assert not db.session().in_transaction()


def test_a_failed_plain_statement_in_an_inner_unit_of_work_leaves_the_outer_one_usable(app, committed):
    """A statement the database refuses inside an inner unit of work (a booking that lost a race
    to the overlap constraint, say) is undone with the inner savepoint alone: on PostgreSQL the
    outer transaction stays usable, for the next open time and for writes of its own. The inner
    unit of work must hold a real savepoint even when only plain SQL ran in it."""
    from sqlalchemy.exc import IntegrityError

    from scheduler.store.driver import driver

    with app.app_context():
        with unit_of_work():
            add_room("outer")
            with pytest.raises(IntegrityError):
                with unit_of_work():
                    driver().run("INSERT INTO room (name, kind) VALUES (:name, NULL)", {"name": "refused"})
            assert driver().rows("SELECT count(*) FROM room WHERE name = :name", {"name": "outer"}) == [(1,)]
            add_room("after")
    assert room_names(committed) == {"outer", "after"}
