"""Email delivery against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import logging
from datetime import date
from datetime import timedelta

from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import reminder_time
from scheduler.jobs import transports
from scheduler.services.outbox_delivery import BACKOFF_BASE
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import Inbox
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import free_port
from tests.conftest import patient_json


def monday_after_next_dst_change() -> date:
    """The Monday after the next daylight-saving change in Chicago: the week schedulers get wrong."""
    day = clinic_today(utc_now()) + timedelta(days=3)
    while (
        central(day, 12).astimezone(CLINIC_TZ).utcoffset()
        == central(day - timedelta(days=1), 12).astimezone(CLINIC_TZ).utcoffset()
    ):
        day += timedelta(days=1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def book(client, start, **patient):
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))
    assert response.status_code == 201, response.json
    return response.json


def rows(app):
    with app.app_context():
        return db.session.execute(select(models.OutboxMessage).order_by(models.OutboxMessage.id)).scalars().all()


def parts(message):
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def test_a_booking_on_a_dst_week_yields_exactly_one_confirmation_with_a_correct_invite(
    app, client, inbox, make_provider
):
    make_provider("pmr", name="Dr. Maya Lindqvist")
    start = central(monday_after_next_dst_change(), 9)
    booked = book(client, start)
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
        assert drain_once(transports) == {}  # nothing twice
    [message] = inbox.messages
    assert message["To"] == "ann.lee@example.com" and "confirmed" in message["Subject"]
    found = parts(message)
    text = found["text/plain"].get_content()
    assert booked["reference"] in text and "Dr. Maya Lindqvist" in text and "Arrive 15 minutes early" in text
    assert "9 a.m. " + start.astimezone(CLINIC_TZ).tzname() in text
    calendar_part = found["text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    invite = Calendar.from_ical(calendar_part.get_content())
    [event] = invite.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event["DTSTART"].dt == start and event["DTEND"].dt == start + timedelta(hours=1)
    assert event["DTSTART"].dt.astimezone(CLINIC_TZ).hour == 9
    assert str(event["UID"]).startswith(booked["reference"])
    assert invite.walk("VTIMEZONE"), "the invite carries its time zone definition"


def test_the_reminder_goes_at_its_time_and_a_cancelled_visit_never_gets_one(app, client, inbox, make_provider):
    make_provider("pmr")
    start = central(monday_after_next_dst_change(), 9)
    kept = book(client, start)
    cancelled = book(client, start + timedelta(hours=2), given_name="Bo", phone="507-555-0177", email="bo@example.com")
    auth = {"Authorization": f"Bearer {cancelled['manage_token']}"}
    assert client.post(f"/api/v1/appointments/{cancelled['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        assert drain_once(transports) == {"sent": 3}  # two confirmations and one cancellation
        assert drain_once(transports, reminder_time(start) + timedelta(minutes=1)) == {"sent": 1}
        assert drain_once(transports, start) == {}
    subjects = [(m["To"], m["Subject"].split(" - ")[0]) for m in inbox.messages]
    assert subjects.count(("bo@example.com", "A reminder of your visit")) == 0
    assert ("ann.lee@example.com", "A reminder of your visit") in subjects
    cancel_notice = next(m for m in inbox.messages if m["Subject"].startswith("Your visit is cancelled"))
    assert parts(cancel_notice)["text/calendar"].get_param("method") == "CANCEL"
    assert cancelled["reference"] in parts(cancel_notice)["text/plain"].get_content()
    assert kept["reference"] not in parts(cancel_notice)["text/plain"].get_content()


def test_while_the_mail_server_is_down_messages_wait_with_backoff_and_all_go_when_it_returns(
    app, client, make_provider
):
    make_provider("pmr")
    book(client, central(monday_after_next_dst_change(), 9))
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=free_port())  # nothing listens there
    now = utc_now()
    with app.app_context():
        for attempt in (1, 2, 3):
            assert drain_once(transports, now) == {"retry": 1}
            [confirmation] = [r for r in rows(app) if r.kind == "confirmed"]
            assert confirmation.status == "queued" and confirmation.attempts == attempt
            assert confirmation.last_error.startswith("SMTP unavailable")
            assert now <= confirmation.send_after <= now + BACKOFF_BASE * 2**attempt
            assert drain_once(transports, now) == {}  # not before its next attempt
            now = confirmation.send_after
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(MAIL_SMTP_PORT=controller.port)
        with app.app_context():
            assert drain_once(transports, now) == {"sent": 1}
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_a_permanent_refusal_is_dead_lettered_and_says_why(app, client, inbox, make_provider):
    make_provider("pmr")
    book(client, central(monday_after_next_dst_change(), 9))
    inbox.reply = "550 5.1.1 Mailbox unavailable"
    with app.app_context():
        assert drain_once(transports) == {"dead": 1}
        assert drain_once(transports, utc_now() + timedelta(days=1)) == {}
    [confirmation] = [r for r in rows(app) if r.kind == "confirmed"]
    assert confirmation.status == "dead" and confirmation.last_error == "SMTP 550"


def test_delivery_logs_never_carry_the_patients_details(app, client, make_provider, caplog):
    make_provider("pmr")
    caplog.set_level(logging.DEBUG)
    book(client, central(monday_after_next_dst_change(), 9), sms_consent=True)
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=free_port())
    with app.app_context():
        drain_once(transports)
    assert "outbox message" in caplog.text  # the failure was logged...
    for detail in ("Ann", "Lee", "1970-02-03", "507-555-0101", "5075550101", "ann.lee@example.com"):
        assert detail not in caplog.text  # ...without who it was for
