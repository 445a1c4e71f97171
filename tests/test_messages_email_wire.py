"""What an email looks like on the wire: the invite is the calendar icalendar writes, and an
internationalized address goes only over SMTPUTF8 (a real aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from icalendar import Event
from icalendar import vCalAddress
from sqlalchemy import select

from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import to_clinic
from scheduler.jobs import transports
from scheduler.services.notices import empty_calendar
from scheduler.services.notices import event_opening
from scheduler.services.notices import invite
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.vtimezone import clinic_vtimezone
from scheduler.store import clinic_details as store_clinic_details
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import Inbox
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import free_port
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def book(client, start, **patient):
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))
    assert response.status_code == 201, response.json
    return response.json


def whole_calendar(
    appointment: models.Appointment, method: str, sequence: int, stamp: datetime, config, location: str
) -> Calendar:
    """The invite as icalendar writes it in one piece: the reference for the cached pieces."""
    year = to_clinic(appointment.starts_at).year
    calendar = empty_calendar(method)
    calendar.add_component(clinic_vtimezone(datetime(year - 1, 1, 1).date(), datetime(year + 1, 12, 31).date()))
    event = Event()
    event.add("uid", f"{appointment.reference}@{config['MAIL_DOMAIN']}")
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", to_clinic(appointment.starts_at))
    event.add("dtend", to_clinic(appointment.ends_at))
    event.add("summary", f"{appointment.visit_type.name} ({config['CLINIC_NAME']})")
    event.add("location", location)
    event.add("description", appointment.visit_type.prep_notes)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    clinic = vCalAddress("mailto:no-reply@si-joint-clinic.example")
    clinic.params["CN"] = config["CLINIC_NAME"]
    event.add("organizer", clinic)
    patient = vCalAddress(f"mailto:{appointment.patient.email}")
    patient.params.update(CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT", RSVP="FALSE")
    if method == "REQUEST":
        patient.params["PARTSTAT"] = "NEEDS-ACTION"
    event.add("attendee", patient)
    calendar.add_component(event)
    return calendar


def test_the_invite_is_the_calendar_icalendar_writes_whole(app, client, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    # Text icalendar must escape (commas, semicolons, a backslash), fold and encode (not ASCII).
    street = "Clínica, 200 First Street SW; Rochester\\MN" + " long" * 14
    location = f"SI Joint Clinic, {street}, Rochester, MN"
    with app.app_context():
        # Changed in this transaction only (rolled back below), as the visit type's notes are.
        store_clinic_details.save(ClinicDetails(address_lines=(street,), city="Rochester", state="MN"))
        appointment = db.session.execute(select(models.Appointment)).scalar_one()
        appointment.visit_type.prep_notes = "Bring your medicines; wear loose clothes, please.\nÀ bientôt. " * 4
        for method, sequence in (("REQUEST", 0), ("REQUEST", 3), ("CANCEL", 3)):
            ours = Calendar.from_ical(invite(appointment, method=method, sequence=sequence))
            [event] = ours.walk("VEVENT")
            stamp = event["DTSTAMP"].dt
            assert stamp.tzinfo is not None and abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
            whole = whole_calendar(appointment, method, sequence, stamp, app.config, location)
            assert ours == Calendar.from_ical(whole.to_ical())
            assert event["LOCATION"] == location
            assert event["DESCRIPTION"] == appointment.visit_type.prep_notes
        db.session.rollback()


@pytest.mark.parametrize(
    "uid",
    [
        "SIJ-ABCD-2345@si-joint-clinic.example",
        "SIJ-ABCD-2345@a,domain;with\\characters.example",  # escaped by vText
        "SIJ-ABCD-2345@" + "a-very-long-sub-domain." * 3 + "example",  # folded: left to icalendar
        "SIJ-ABCD-2345@klinik-zürich.example",  # not ASCII: left to icalendar
    ],
)
def test_the_lines_joined_per_message_are_byte_for_byte_icalendars(uid):
    start = datetime(2027, 3, 15, 9, 15, tzinfo=CLINIC_TZ)  # the Monday after the spring change
    stamp = datetime(2027, 3, 1, 16, 4, 5, 123456, tzinfo=UTC)
    event = Event()
    for name, value in (
        ("dtstart", start),
        ("dtend", start + timedelta(minutes=45)),
        ("dtstamp", stamp),
        ("uid", uid),
        ("sequence", 12),
    ):
        event.add(name, value)
    expected = event.to_ical().removesuffix(b"END:VEVENT\r\n")
    assert event_opening(uid, 12, stamp, start, start + timedelta(minutes=45)) == expected


def test_an_international_address_goes_over_smtputf8_with_its_header_in_utf8(app, client, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9), email="josé@example.com")
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)  # (the default)
    controller.start()
    try:
        app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=controller.port)
        with app.app_context():
            assert drain_once(transports) == {"sent": 1}
    finally:
        controller.stop()
    [message] = handler.messages
    assert message["To"] == "josé@example.com"
    assert message["Subject"].startswith("Your visit is confirmed")


def test_an_international_address_is_dead_lettered_by_a_server_without_smtputf8(app, client, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9), email="josé@example.com")
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    try:
        app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=controller.port)
        with app.app_context():
            assert drain_once(transports) == {"dead": 1}
            row = db.session.execute(select(models.OutboxMessage).filter_by(kind="confirmed")).scalar_one()
            assert row.last_error == "SMTP server cannot take an international address (no SMTPUTF8)"
    finally:
        controller.stop()
    assert handler.messages == []
