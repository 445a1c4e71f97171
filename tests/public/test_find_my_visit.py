"""Find my visit: the link to a visit or request goes again to the email (and a pointer by text)
on file when the reference and date of birth match; the page answers the same either way, is
rate-limited per address and per reference, and every try is audited with ids only."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from scheduler.jobs import transports
from scheduler.services.find_visit import normalize_reference
from scheduler.services.find_visit import send_link_again
from scheduler.services.notices import compose_sms
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.public.conftest import errors
from tests.public.conftest import page_text

BORN = {"birth_month": "2", "birth_day": "3", "birth_year": "1970"}  # patient_json's 1970-02-03
ANSWER = "If the details match a visit or request, we have emailed its link to the address we have for you."


def book(client, **patient):
    start = central(next_clinic_day(after_days=5), 9)
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))
    assert response.status_code == 201, response.json
    return response.json["reference"]


def ask_for_request(client, **patient):
    body = {
        "patient": patient_json(**patient),
        "reason": {"requested": "injection", "cause": "trauma", "seen_before": True, "referred": True},
        "preferences": {"days": ["tuesday"], "parts_of_day": ["morning"]},
    }
    response = client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.json
    return response.json["reference"]


def link_messages(app):
    with app.app_context():
        found = db.session.execute(
            select(models.OutboxMessage).where(models.OutboxMessage.kind == "link-resent")
        ).scalars()
        return [(m.channel, m.appointment_id, m.request_id, m.version, m.status) for m in found]


def audit_rows(app, prefix="link."):
    with app.app_context():
        found = db.session.execute(
            select(models.AuditEvent).where(models.AuditEvent.action.startswith(prefix)).order_by(models.AuditEvent.id)
        ).scalars()
        return [(e.action, e.record_type, e.record_id, e.patient_id, e.detail) for e in found]


def find(client, reference, born=BORN, **environ):
    return client.post("/find", data={"reference": reference, **born}, environ_base=environ or {})


def test_the_answer_is_the_same_whether_or_not_the_details_match(app, client, make_provider):
    make_provider("pmr")
    reference = book(client)
    matched = find(client, reference)
    wrong_birthday = find(client, reference, {**BORN, "birth_day": "4"})
    unknown = find(client, "SIJ-ZZZZ-ZZZZ")
    for response in (matched, wrong_birthday, unknown):
        assert response.status_code == 302 and response.headers["Location"] == "/find/sent"
    sent = client.get("/find/sent")
    assert ANSWER in page_text(sent)
    assert reference not in page_text(sent) and "ann.lee" not in page_text(sent)
    # Only the match queued a message: one email (no text: no consent), nothing for the others.
    with app.app_context():
        appointment_id = db.session.execute(select(models.Appointment.id)).scalar_one()
    assert link_messages(app) == [("email", appointment_id, None, 1, "queued")]
    rows = audit_rows(app)
    assert [r[0] for r in rows] == ["link.resend", "link.resend-unmatched"]  # one unmatched row a minute
    assert rows[0][1:4] == ("appointment", str(appointment_id), appointment_id)
    for row in rows:  # ids only: no name, birth date, email or reference typed
        assert not re.search(r"Ann|Lee|1970|@|SIJ-", row[4]), row


def test_the_link_arrives_in_a_real_smtp_server_and_opens_the_visit(app, web, inbox, make_provider):
    make_provider("pmr")
    reference = book(web)
    with app.app_context():
        drain_once(transports)  # the confirmation
    inbox.messages.clear()
    # Typed loosely: lower case, spaces instead of hyphens; the month in words.
    find(web, reference.lower().replace("-", " "), {**BORN, "birth_month": "Feb"})
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    [message] = inbox.messages
    assert message["To"] == "ann.lee@example.com" and "The link you asked for" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "You asked us to send the link to your visit again" in text
    assert message.get_body(preferencelist=("html",)) is not None
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]  # not a new invite
    link = re.search(r"https?://[^/\s]+(/manage/" + reference + r"/\S+)", text).group(1)
    page = web.get(link)
    assert page.status_code == 200 and reference in page_text(page)


def test_a_request_reference_sends_the_request_page_link(app, web, inbox, make_provider):
    make_provider("radiology-pain")
    reference = ask_for_request(web)
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}  # the request-received email, with the link too
    received = inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"/requests/" + reference + r"/\S+", received)
    find(web, reference)
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    text = inbox.messages[1].get_body(preferencelist=("plain",)).get_content()
    assert f"send the link to your request ({reference}) again" in text
    link = re.search(r"https?://[^/\s]+(/requests/" + reference + r"/\S+)", text).group(1)
    page = web.get(link)
    assert page.status_code == 200 and "Waiting for a scheduler" in page_text(page)


def test_a_text_with_consent_is_generic_and_carries_no_link(app, client, make_provider):
    make_provider("pmr")
    reference = book(client, sms_consent=True)
    find(client, reference)
    with app.app_context():
        [text_row] = db.session.execute(
            select(models.OutboxMessage).where(
                models.OutboxMessage.kind == "link-resent", models.OutboxMessage.channel == "sms"
            )
        ).scalars()
        body = compose_sms(text_row).body
    assert reference in body and "email" in body
    assert "http" not in body and "Ann" not in body and "evaluation" not in body.lower()
    assert len(body) <= 160


def test_asking_twice_queues_one_link_until_it_is_sent_then_another(app, client, make_provider, inbox):
    make_provider("pmr")
    reference = book(client)
    find(client, reference)
    find(client, reference)
    assert len(link_messages(app)) == 1
    with app.app_context():
        drain_once(transports)
    find(client, reference)
    assert sorted(m[3] for m in link_messages(app)) == [1, 2]
    assert [r[4] for r in audit_rows(app)][:2] == ["queued on email", "already waiting to be sent"]


def test_the_form_says_what_to_fix_and_keeps_what_was_typed(client):
    empty = client.post("/find", data={})
    assert empty.status_code == 422
    assert errors(empty) == ["Enter your reference", "Enter your date of birth"]
    bad = client.post("/find", data={"reference": "ABC", "birth_month": "2", "birth_day": "31", "birth_year": "1970"})
    assert bad.status_code == 422
    assert errors(bad)[0].startswith("Enter your reference as it is written")
    assert errors(bad)[1] == "Date of birth must be a real date in the past"
    assert 'value="ABC"' in page_text(bad)
    assert client.get("/find").status_code == 200


def test_references_are_read_as_people_type_them():
    assert normalize_reference(" sij-abcd-efgh ") == "SIJ-ABCD-EFGH"
    assert normalize_reference("REQ ABCD EFGH") == "REQ-ABCD-EFGH"
    assert normalize_reference("reqabcdefgh") == "REQ-ABCD-EFGH"
    assert normalize_reference("SIJ-ABCD-EFGH\x00") == "SIJ-ABCD-EFGH"


def test_the_service_tells_a_match_from_a_mismatch_for_the_audit_trail(app, client, make_provider):
    make_provider("pmr")
    reference = book(client)
    with app.app_context():
        assert send_link_again(reference, date(1970, 2, 3), client="10.0.0.1") is True
        assert send_link_again(reference, date(1970, 2, 4), client="10.0.0.1") is False


def test_tries_are_limited_per_reference_from_any_address_and_per_address(app_with, make_provider):
    limited = app_with(RATELIMIT_ENABLED=True)
    client = limited.test_client()
    make_provider("pmr")
    reference = book(client)
    answers = [find(client, reference, REMOTE_ADDR=f"10.0.1.{n}").status_code for n in range(6)]
    assert answers == [302] * 5 + [429]  # five tries at one reference per hour, whoever asks
    other = [find(client, f"SIJ-AAAA-{n:04d}", REMOTE_ADDR="10.0.2.1").status_code for n in range(11)]
    assert other == [302] * 10 + [429]  # ten tries per hour from one address
    assert client.get("/find", environ_base={"REMOTE_ADDR": "10.0.2.1"}).status_code == 200  # reading is not limited
