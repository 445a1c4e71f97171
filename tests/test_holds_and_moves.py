"""A held time is kept for its holder; a moved visit is a booking in every way that matters."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import SlotTaken
from scheduler.domain.messages import reminder_time
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import holds
from scheduler.services import moves
from scheduler.services.availability import find_availability
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com", True)
BOB = PatientDetails("Bob", "Ray", date(1961, 5, 6), "+15075550102", "bob@example.com")
NEW_PATIENT = Intake("evaluation", seen_before=False, cause="trauma", referred=False)


def book(details, start, **kwargs):
    return booking.book_appointment(
        visit_type_code="evaluation", start=start, patient=details, intake=NEW_PATIENT, channel="web", **kwargs
    )


def starts_offered(day):
    return {s.start for s in find_availability("evaluation", day, 1).slots}


def reservation_count():
    return db.session.execute(select(func.count()).select_from(models.Reservation)).scalar_one()


def test_a_held_time_is_offered_to_nobody_else_and_refused_to_another_booking(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        held = holds.hold_time("evaluation", central(day, 9))
        assert central(day, 9) not in starts_offered(day)
        with pytest.raises(SlotTaken) as refused:
            book(BOB, central(day, 9))
        assert refused.value.next_open is not None and refused.value.next_open != central(day, 9)
        # The holder books it: the hold is used up, and the visit takes its place.
        booked = book(ANN, central(day, 9), hold_token=held.token)
        assert booked.appointment.provider_id == held.provider_id
        assert db.session.execute(select(func.count()).select_from(models.Hold)).scalar_one() == 0
        assert reservation_count() == 2  # provider and patient: no left-over hold rows


def test_an_expired_hold_never_refuses_a_booking_and_the_job_releases_it(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        earlier = utc_now() - timedelta(minutes=app.config["HOLD_MINUTES"] + 1)
        holds.hold_time("evaluation", central(day, 10), now=earlier)
        # Before any job ran: the expired hold gives way inside the booking transaction.
        assert book(BOB, central(day, 10)).appointment.starts_at == central(day, 10)
        holds.hold_time("evaluation", central(day, 11), now=earlier)
        assert holds.release_expired_holds() == 1
        assert central(day, 11) in starts_offered(day)


def test_a_held_time_keeps_the_notice_it_was_held_under(app, make_provider):
    """Held at 10:14 the earliest time is the next grid time after the notice; booked two minutes
    later, past the quarter hour, that time is still the patient's: the hold promised it."""
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        held_at = central(day, 10, 14)
        earliest = clinic.earliest_bookable(held_at)
        held = holds.hold_time("evaluation", earliest, now=held_at)
        booking_at = held_at + timedelta(minutes=2)
        assert clinic.earliest_bookable(booking_at) > earliest  # the notice moved past the held time
        # Without the hold the same start is now too soon ...
        with pytest.raises(InvalidInput, match="too soon to book online"):
            book(BOB, earliest, now=booking_at)
        # ... with it, the holder books the time they were promised.
        booked = book(ANN, earliest, hold_token=held.token, now=booking_at)
        assert booked.appointment.starts_at == earliest


def test_a_patient_who_picks_another_time_holds_one_time_not_two(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        first = holds.hold_time("evaluation", central(day, 9))
        holds.hold_time("evaluation", central(day, 13), replaces=first.token)
        offered = starts_offered(day)
        assert central(day, 9) in offered and central(day, 13) not in offered


def test_a_move_keeps_the_reference_withdraws_old_reminders_and_queues_one_notice_and_reminder(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        booked = book(ANN, central(day, 9))
        moved = moves.move_appointment(booked.appointment.id, central(day, 9, 15))
        assert (moved.reference, moved.version) == (booked.appointment.reference, 2)
        assert moved.starts_at == central(day, 9, 15)  # overlapping its own old time is fine
        rows = db.session.execute(select(models.OutboxMessage).order_by(models.OutboxMessage.id)).scalars().all()
        by_state = sorted((m.kind, m.channel, m.status, m.version) for m in rows)
        assert by_state == [
            ("confirmed", "email", "queued", 1),
            ("confirmed", "sms", "queued", 1),
            ("reminder", "email", "queued", 2),
            ("reminder", "email", "withdrawn", 1),
            ("reminder", "sms", "queued", 2),
            ("reminder", "sms", "withdrawn", 1),
            ("rescheduled", "email", "queued", 2),
            ("rescheduled", "sms", "queued", 2),
        ]
        new_reminder = next(m for m in rows if m.kind == "reminder" and m.status == "queued")
        assert new_reminder.send_after == reminder_time(central(day, 9, 15))
        # 8:15-9:15 was blocked by the old 9:00 visit and is free now; the new time is taken.
        offered = starts_offered(day)
        assert central(day, 8, 15) in offered and central(day, 9, 15) not in offered
        assert reservation_count() == 2


def test_a_move_onto_a_taken_time_changes_nothing(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        ann = book(ANN, central(day, 9)).appointment
        book(BOB, central(day, 11))
        with pytest.raises(SlotTaken) as refused:
            moves.move_appointment(ann.id, central(day, 11))
        assert refused.value.next_open is not None
        db.session.rollback()
        kept = db.session.get(models.Appointment, ann.id)
        assert (kept.starts_at, kept.version) == (central(day, 9), 1)
        assert central(day, 9) not in starts_offered(day)
        assert reservation_count() == 4


def test_a_move_without_notice_queues_no_message_but_still_withdraws_the_old_reminder(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        ann = book(ANN, central(day, 9)).appointment
        moves.move_appointment(ann.id, central(day, 14), notify=False)
        statuses = db.session.execute(
            select(models.OutboxMessage.kind, models.OutboxMessage.status).where(
                models.OutboxMessage.kind != "confirmed"
            )
        ).all()
        assert sorted(statuses) == [("reminder", "withdrawn"), ("reminder", "withdrawn")]


def test_a_cancelled_visit_cannot_be_moved(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        booked = book(ANN, central(day, 9))
        booking.cancel_appointment(booked.appointment.reference, booked.manage_token, "better")
        with pytest.raises(moves.NotMovable):
            moves.move_appointment(booked.appointment.id, central(day, 10))
