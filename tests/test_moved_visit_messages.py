"""A moved visit gets one "rescheduled" message (with an updated invite) and one reminder at the
new time; the old time's reminder never goes. Delivered to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from scheduler.domain.messages import reminder_time
from scheduler.jobs import transports
from scheduler.services import booking
from scheduler.services import moves
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def test_a_moved_visit_gets_one_rescheduled_message_and_one_reminder_at_the_new_time(app, client, inbox, make_provider):
    make_provider("pmr")
    old_start = central(next_clinic_day(after_days=5), 9)
    new_start = old_start + timedelta(days=7, hours=4)
    response = client.post("/api/v1/appointments", json=booking_json(old_start, patient=patient_json()))
    assert response.status_code == 201
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}  # the confirmation
        moves.move_appointment(_id(response.json["reference"]), new_start)
        assert drain_once(transports) == {"sent": 1}  # the rescheduled notice
        assert drain_once(transports) == {}  # and only one
        assert drain_once(transports, reminder_time(old_start) + timedelta(minutes=1)) == {}  # the old reminder is gone
        assert drain_once(transports, reminder_time(new_start) + timedelta(minutes=1)) == {"sent": 1}
        assert drain_once(transports, new_start) == {}
    subjects = [m["Subject"].split(" - ")[0] for m in inbox.messages]
    assert subjects == ["Your visit is confirmed", "Your visit has moved", "A reminder of your visit"]
    moved = inbox.messages[1]
    calendar_part = next(p for p in moved.walk() if p.get_content_type() == "text/calendar")
    [event] = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert event["DTSTART"].dt == new_start and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]).startswith(response.json["reference"])


def _id(reference):
    return db.session.execute(select(models.Appointment.id).filter_by(reference=reference)).scalar_one()


def test_a_moved_then_cancelled_visit_cancels_with_a_sequence_above_the_moves(app, client, inbox, make_provider):
    """Calendars ignore a CANCEL whose SEQUENCE is not above the invite they hold (RFC 5546): the
    move's REQUEST had SEQUENCE 1, so the cancellation must carry 2."""
    make_provider("pmr")
    old_start = central(next_clinic_day(after_days=5), 9)
    response = client.post("/api/v1/appointments", json=booking_json(old_start, patient=patient_json()))
    assert response.status_code == 201
    with app.app_context():
        appointment_id = _id(response.json["reference"])
        moves.move_appointment(appointment_id, old_start + timedelta(days=7))
        booking.cancel_visit(appointment_id, "Clinic closed", notify=True)
        assert drain_once(transports) == {"sent": 3}
    sequences = {}
    for message in inbox.messages:
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        calendar = Calendar.from_ical(part.get_content())
        [event] = calendar.walk("VEVENT")
        sequences[str(calendar["METHOD"])] = sequences.get(str(calendar["METHOD"]), []) + [int(event["SEQUENCE"])]
    assert sequences == {"REQUEST": [0, 1], "CANCEL": [2]}
