"""Messages are rows written in the same transaction as the change that causes them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.domain.messages import Reachable
from scheduler.domain.messages import on_booked
from scheduler.domain.messages import reminder_time
from scheduler.services import outbox
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def messages(app):
    with app.app_context():
        rows = db.session.execute(select(models.OutboxMessage).order_by(models.OutboxMessage.id)).scalars().all()
        return [(m.kind, m.channel, m.status, m.send_after, m.appointment_id, m.request_id) for m in rows]


def book(client, start, **patient):
    return client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))


def test_a_booking_queues_its_confirmation_and_reminder_on_each_consented_channel(client, app, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(after_days=5), 9)
    assert book(client, start, sms_consent=True).status_code == 201
    queued = {(kind, channel): send_after for kind, channel, status, send_after, *_ in messages(app)}
    assert set(queued) == {("confirmed", "email"), ("confirmed", "sms"), ("reminder", "email"), ("reminder", "sms")}
    assert queued[("reminder", "sms")] == reminder_time(start)


def test_without_consent_no_text_message_is_queued(client, app, make_provider):
    make_provider("pmr")
    assert book(client, central(next_clinic_day(after_days=5), 9), sms_consent=False).status_code == 201
    assert {channel for _, channel, *_ in messages(app)} == {"email"}


def test_a_booking_that_loses_its_slot_queues_nothing(client, app, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(after_days=5), 9)
    assert book(client, start).status_code == 201
    before = messages(app)
    assert book(client, start, given_name="Bo", phone="507-555-0177", email="bo@example.com").status_code == 409
    assert messages(app) == before


def test_cancelling_withdraws_the_pending_reminder_and_queues_one_notice(client, app, make_provider):
    make_provider("pmr")
    booked = book(client, central(next_clinic_day(after_days=5), 9)).json
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    for _ in range(2):  # cancelling again changes nothing
        assert client.post(f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth).status_code == 200
    by_kind = {kind: status for kind, _, status, *_ in messages(app)}
    assert by_kind == {"confirmed": "queued", "reminder": "withdrawn", "cancelled": "queued"}
    assert len(messages(app)) == 3


def test_a_request_queues_its_acknowledgement(client, app):
    body = {"patient": patient_json(), "reason": {"requested": "ct", "seen_before": True}}
    assert client.post("/api/v1/requests", json=body).status_code == 201
    [(kind, channel, status, _, appointment_id, request_id)] = messages(app)
    assert (kind, channel, status, appointment_id) == ("request-received", "email", "queued", None)
    assert request_id is not None


def test_queued_rows_carry_no_patient_details(client, app, make_provider):
    make_provider("pmr")
    assert book(client, central(next_clinic_day(after_days=5), 9), sms_consent=True).status_code == 201
    with app.app_context():
        rows = db.session.execute(select(models.OutboxMessage)).scalars().all()
        text = " ".join(str(getattr(r, c.key)) for r in rows for c in models.OutboxMessage.__table__.columns)
    for detail in ("Ann", "Lee", "1970-02-03", "5075550101", "ann.lee@example.com"):
        assert detail not in text


def test_the_database_refuses_to_queue_the_same_message_twice(client, app, make_provider):
    make_provider("pmr")
    booked = book(client, central(next_clinic_day(after_days=5), 9)).json
    with app.app_context():
        appointment = db.session.execute(
            select(models.Appointment).filter_by(reference=booked["reference"])
        ).scalar_one()
        again = on_booked(appointment.starts_at, Reachable(email=True, sms=False), appointment.created_at)
        with pytest.raises(IntegrityError):
            with unit_of_work():
                outbox.queue(again, appointment_id=appointment.id)
