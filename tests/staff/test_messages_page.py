"""The outbox page: messages by status with Central times and no patient details; an admin (only)
sends a dead message again, and that is written in the audit trail."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import waitlist
from scheduler.services import waitlist_offers
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.staff.conftest import audit_events

WINTER = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)  # 9 a.m. CST
SUMMER = datetime(2027, 7, 15, 15, 0, tzinfo=UTC)  # 10 a.m. CDT


def _book(client, make_provider) -> dict:
    make_provider("pmr")
    patient = patient_json(given_name="Zebulon", family_name="Quillfeather", sms_consent=True)
    response = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(5), 9), patient=patient))
    assert response.status_code == 201
    return response.json


def _outbox(app) -> dict[tuple[str, str], int]:
    with app.app_context():
        rows = db.session.execute(select(models.OutboxMessage)).scalars()
        return {(m.kind, m.channel): m.id for m in rows}


def _set(app, message_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(models.OutboxMessage).where(models.OutboxMessage.id == message_id).values(**values))
        db.session.commit()


def _row(app, message_id: int) -> models.OutboxMessage:
    with app.app_context():
        return db.session.get(models.OutboxMessage, message_id)


def test_the_outbox_is_listed_by_status_with_central_times_and_no_patient_details(
    app, client, make_provider, signed_in
):
    _book(client, make_provider)
    ids = _outbox(app)
    _set(app, ids["confirmed", "email"], status="sent", send_after=WINTER, sent_at=WINTER, attempts=1)
    _set(app, ids["confirmed", "sms"], status="dead", send_after=SUMMER, attempts=8, last_error="SMS provider 400")
    signed_in(client, "scheduler")
    page = client.get("/staff/messages")
    assert page.status_code == 200
    assert "Fri Jan 15, 2027 at 9 a.m. CST" in page.text and "Thu Jul 15, 2027 at 10 a.m. CDT" in page.text
    assert "SMS provider 400" in page.text
    assert re.search(r"Dead <span class=\"count\">1</span>", page.text)
    assert re.search(r"Queued <span class=\"count\">2</span>", page.text)
    # Grouped by status, in the documented order: queued before sent before dead.
    order = [page.text.index(f'tag-{status}">') for status in ("queued", "sent", "dead")]
    assert order == sorted(order)
    for detail in ("Zebulon", "Quillfeather", "ann.lee@example.com", "507-555-0101", "555-0101", "1970"):
        assert detail not in page.text


def test_filters_narrow_the_list_and_bad_values_are_explained_not_crashed_on(app, client, make_provider, signed_in):
    _book(client, make_provider)
    ids = _outbox(app)
    _set(app, ids["reminder", "sms"], status="dead")
    signed_in(client, "admin")
    dead = client.get("/staff/messages?status=dead")
    assert dead.text.count('<span class="tag tag-') == 1 and "tag-dead" in dead.text
    sms = client.get("/staff/messages?channel=sms&kind=reminder")
    assert sms.text.count('<span class="tag tag-') == 1
    bad = client.get("/staff/messages?status=exploded&page=-4&kind=nonsense")
    assert bad.status_code == 422
    assert "There is a problem" in bad.text and "Choose a status from the list" in bad.text
    assert bad.text.count('<span class="tag tag-') == 4  # unfiltered, rather than nothing
    # A control character never reaches the page: refused at the edge, naming the parameter.
    nul = client.get("/staff/messages?kind=%00")
    assert nul.status_code in (400, 422) and "kind" in nul.text


def test_an_admin_sends_a_dead_message_again_and_it_is_audited(app, client, make_provider, signed_in):
    booked = _book(client, make_provider)
    ids = _outbox(app)
    dead_id = ids["confirmed", "sms"]
    _set(app, dead_id, status="dead", attempts=8, last_error="SMS provider 400", send_after=WINTER)
    admin = signed_in(client, "admin")
    page = client.get("/staff/messages?status=dead")
    assert f'action="/staff/messages/{dead_id}/retry"' in page.text
    response = client.post(f"/staff/messages/{dead_id}/retry", data={"return_to": "/staff/messages?status=dead"})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/messages?status=dead"
    row = _row(app, dead_id)
    assert (row.status, row.attempts) == ("queued", 0)
    assert (datetime.now(UTC) - row.send_after).total_seconds() < 60
    assert "is back in the queue" in client.get(response.headers["Location"]).text
    [event] = audit_events(app, "outbox.retry")
    with app.app_context():
        patient_id = db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.reference == booked["reference"])
        ).scalar_one()
    assert (event.actor_kind, event.actor_id, event.record_type, event.record_id) == (
        "staff",
        admin.id,
        "outbox_message",
        str(dead_id),
    )
    assert event.patient_id == patient_id and event.channel == "web"
    assert "Zebulon" not in event.detail and "8 attempts" in event.detail
    # Pressing it again (a second tab) changes nothing and says so.
    again = client.post(f"/staff/messages/{dead_id}/retry")
    assert again.status_code == 303 and again.headers["Location"] == "/staff/messages"
    assert "is not dead any more" in client.get("/staff/messages").text
    assert len(audit_events(app, "outbox.retry")) == 1


def test_only_dead_messages_can_be_sent_again_and_a_missing_one_is_404(app, client, make_provider, signed_in):
    _book(client, make_provider)
    queued_id = _outbox(app)["reminder", "email"]
    signed_in(client, "admin")
    client.post(f"/staff/messages/{queued_id}/retry")
    assert _row(app, queued_id).status == "queued" and audit_events(app, "outbox.retry") == []
    assert client.post("/staff/messages/999999/retry").status_code == 404
    assert client.post("/staff/messages/99999999999/retry").status_code == 404


def test_a_scheduler_sees_no_retry_button_and_cannot_post_one(app, client, make_provider, signed_in):
    _book(client, make_provider)
    dead_id = _outbox(app)["confirmed", "email"]
    _set(app, dead_id, status="dead", attempts=8)
    signed_in(client, "scheduler")
    page = client.get("/staff/messages")
    assert "tag-dead" in page.text and "/retry" not in page.text and "Send again" not in page.text
    assert client.post(f"/staff/messages/{dead_id}/retry").status_code == 403
    assert _row(app, dead_id).status == "dead"


def test_the_return_address_after_a_retry_cannot_leave_the_staff_pages(app, client, make_provider, signed_in):
    _book(client, make_provider)
    dead_id = _outbox(app)["confirmed", "email"]
    _set(app, dead_id, status="dead")
    signed_in(client, "admin")
    response = client.post(f"/staff/messages/{dead_id}/retry", data={"return_to": "https://evil.example/"})
    assert response.headers["Location"] == "/staff/messages"


def test_each_message_names_its_visit_request_or_waitlist_entry_by_reference_linked_by_id(
    app, client, make_provider, make_room, signed_in
):
    booked = _book(client, make_provider)
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    ann = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
    with app.app_context():
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ann, preferences={}, channel="web"
        ).request
        entry = waitlist.join(visit_type_code="evaluation", patient=ann, channel="web").view
        # The worker's pass asks the patient to renew an entry ending within the week: a message about it.
        assert waitlist_offers.expire_entries(now=entry.expires_at - timedelta(days=2))["expiring"] == 1
        appointment_id = db.session.execute(select(models.Appointment.id)).scalar_one()
    signed_in(client, "scheduler")
    page = client.get("/staff/messages").text
    assert f'Visit <a href="/staff/visits/{appointment_id}">{booked["reference"]}</a>' in page
    queue = f"/staff/queue?specialty=radiology-pain#request-{request.id}"
    assert f'Request <a href="{queue}">{request.reference}</a>' in page
    assert f'Waitlist <a href="/staff/waitlist?specialty=pmr#{entry.reference}">{entry.reference}</a>' in page
    assert "appointment 1 (v1)" not in page and "request None" not in page
    # Each message also leads to the record of the patient it was sent to.
    with app.app_context():
        visit_patient = db.session.execute(select(models.Appointment.patient_id)).scalar_one()
    for patient_id, reference in ((visit_patient, booked["reference"]), (request.patient_id, request.reference),
                                  (entry.patient_id, entry.reference)):  # fmt: skip
        record = f'<a class="small" href="/staff/patients/{patient_id}">Patient record'
        assert f'{record}<span class="visually-hidden"> for {reference}</span></a>' in page
    # No patient details in any address: ids, a specialty and a reference only.
    for href in re.findall(r'href="([^"]+)"', page):
        for detail in ("Lee", "Ann", "Zebulon", "Quillfeather", "1970", "555", "example.com"):
            assert detail not in href, href
    # The links open their pages; a request no longer waiting leads to its patient's requests.
    assert client.get(f"/staff/visits/{appointment_id}").status_code == 200
    with app.app_context():
        db.session.execute(update(models.VisitRequest).values(status="declined", decline_reason="duplicate"))
        db.session.execute(update(models.WaitlistEntry).values(status="left"))
        db.session.commit()
    page = client.get("/staff/messages").text
    assert f'Request <a href="/staff/patients/{request.patient_id}#requests-title">{request.reference}</a>' in page
    assert f"Waitlist {entry.reference} (no longer waiting)" in page
