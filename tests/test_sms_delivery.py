"""SMS delivery against a real local HTTP server answering like Twilio, and the inbound STOP/HELP
webhook with real signatures."""

from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from scheduler.delivery.sms import time_zone_for_number
from scheduler.delivery.sms import twilio_signature
from scheduler.domain.catalog import DEFAULT_SPECIALTIES
from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import reminder_time
from scheduler.jobs import transports
from scheduler.services.notices import compose_sms
from scheduler.services.outbox_delivery import BACKOFF_BASE
from scheduler.services.outbox_delivery import claim_batch
from scheduler.services.outbox_delivery import deliver_batch
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import free_port
from tests.conftest import next_clinic_day
from tests.conftest import patient_json

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "test-auth-token"
SENDER = "+15075550000"
ANN = "+15075550101"  # patient_json()'s phone, in E.164
WEBHOOK = "http://localhost/hooks/sms/inbound"


class Provider:
    """A Twilio-shaped provider on 127.0.0.1: records each request and answers with ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 201
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with provider.lock:
                    provider.requests.append(
                        {"path": self.path, "authorization": self.headers.get("Authorization"), "form": form}
                    )
                    status, number = provider.status, len(provider.requests)
                if status < 300:
                    reply = {"sid": f"SM{number:032x}", "status": "queued", "to": form.get("To")}
                else:  # Twilio's error shape, which quotes the number: it must not reach our logs
                    reply = {
                        "code": 21211,
                        "message": f"The 'To' number {form.get('To')} is not valid.",
                        "status": status,
                    }
                body = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def texts(self) -> list[dict]:
        with self.lock:
            return [r["form"] for r in self.requests]


@pytest.fixture
def provider(app):
    running = Provider()
    running.thread.start()
    app.config.update(
        SMS_BASE_URL=running.base_url, SMS_ACCOUNT_SID=ACCOUNT_SID, SMS_AUTH_TOKEN=AUTH_TOKEN, SMS_FROM=SENDER
    )
    yield running
    running.server.shutdown()
    running.server.server_close()
    running.thread.join(timeout=5)


def book(client, start, visit_type="evaluation", **patient):
    patient.setdefault("sms_consent", True)
    response = client.post(
        "/api/v1/appointments", json=booking_json(start, visit_type, patient=patient_json(**patient))
    )
    assert response.status_code == 201, response.json
    return response.json


def rows(app, channel=None):
    with app.app_context():
        query = select(models.OutboxMessage).order_by(models.OutboxMessage.id)
        if channel:
            query = query.where(models.OutboxMessage.channel == channel)
        return db.session.execute(query).scalars().all()


def tomorrow_at(hour, minute=0):
    """A Central wall-clock time tomorrow: after every booking a test makes now, before its reminders."""
    return central(clinic_today(utc_now()) + timedelta(days=1), hour, minute)


def inbound(client, body, *, sender=ANN, token=AUTH_TOKEN, url=WEBHOOK):
    form = {"From": sender, "To": SENDER, "Body": body, "MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT_SID}
    signature = twilio_signature(token, url, form.items())
    return client.post("/hooks/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def forbidden_words(app):
    with app.app_context():
        providers = db.session.execute(select(models.Provider.name)).scalars().all()
    return (
        [v.name for v in DEFAULT_VISIT_TYPES]
        + [s.name for s in DEFAULT_SPECIALTIES]
        + list(providers)
        + ["SI joint", "sacroiliac", "pain", "Ann", "Lee", "Rehabilitation", "Radiology", "Orthopedic"]
    )


def our_logs(caplog):
    """Everything logged but the test SMTP server's transcript (which holds the emails themselves)."""
    return "\n".join(record.getMessage() for record in caplog.records if record.name != "mail.log")


# ----- the provider's wire format ------------------------------------------------------------------


def test_signatures_match_twilios_published_examples():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Digits": "1234", "From": "+14158675309", "To": "+18005551212"}
    assert (
        twilio_signature("12345", url, {**params, "Caller": "+14158675309"}.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_the_time_zone_comes_from_the_area_code_and_falls_back_to_central():
    assert time_zone_for_number("+12125550101").key == "America/New_York"
    assert time_zone_for_number(ANN).key == "America/Chicago"
    assert time_zone_for_number("+18005551212") == CLINIC_TZ  # toll-free: every zone
    assert time_zone_for_number("not a number") == CLINIC_TZ


# ----- delivery -------------------------------------------------------------------------------------


def test_a_consented_booking_yields_one_generic_text_and_one_email(app, client, inbox, provider, make_provider):
    make_provider("pmr", name="Dr. Maya Lindqvist")
    start = central(next_clinic_day(after_days=5), 9)
    booked = book(client, start)
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 2}
        assert drain_once(transports, tomorrow_at(12)) == {}  # nothing twice
    assert len(inbox.messages) == 1
    [request] = provider.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert base64.b64decode(request["authorization"].removeprefix("Basic ")).decode() == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    text = request["form"]
    assert (text["To"], text["From"]) == (ANN, SENDER)
    body = text["Body"]
    assert len(body) <= 160
    assert body.startswith("Rochester clinic: your visit is confirmed for ")
    assert booked["reference"] in body and "507-538-1280" in body and "Reply STOP" in body
    local = start.astimezone(CLINIC_TZ)
    assert f"{local.day} at 9:00 AM {local.tzname()}" in body
    for word in forbidden_words(app):
        assert word.lower() not in body.lower(), word
    [confirmation] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert confirmation.status == "sent" and confirmation.provider_message_id.startswith("SM")


def test_the_reminder_text_goes_at_its_time_and_a_cancelled_visit_gets_the_notice_but_no_reminder(
    app, client, inbox, provider, make_provider
):
    make_provider("pmr")
    start = central(next_clinic_day(after_days=5), 9)
    kept = book(client, start)
    gone = book(client, start + timedelta(hours=2), given_name="Bo", phone="507-555-0177", email="bo@example.com")
    auth = {"Authorization": f"Bearer {gone['manage_token']}"}
    assert client.post(f"/api/v1/appointments/{gone['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        # By email: 2 confirmations and the cancellation. By text: Ann's confirmation and Bo's
        # cancellation; Bo's confirmation, superseded before it went, is withdrawn rather than spend
        # his one text of the day on news the next text takes back.
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 5, "withdrawn": 1}
        assert drain_once(transports, reminder_time(start) + timedelta(minutes=1)) == {"sent": 2}
        assert drain_once(transports, start) == {}
    to_bo = [t["Body"] for t in provider.texts if t["To"] == "+15075550177"]
    assert len(to_bo) == 1 and "is cancelled" in to_bo[0] and gone["reference"] in to_bo[0]
    [reminder] = [t["Body"] for t in provider.texts if "reminder" in t["Body"]]
    assert kept["reference"] in reminder and len(reminder) <= 160


def test_without_consent_there_is_no_text(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9), sms_consent=False)
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 1}
    assert provider.requests == [] and len(inbox.messages) == 1
    assert {r.channel for r in rows(app)} == {"email"}


def test_with_sms_switched_off_texts_wait_in_the_queue(app, client, inbox, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    assert app.config["SMS_BASE_URL"] == ""
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 1}
    [confirmation] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert confirmation.status == "queued" and confirmation.attempts == 0


def test_a_text_due_at_night_is_held_until_eight_and_then_sent(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    night = tomorrow_at(23)
    morning = night.astimezone(CLINIC_TZ).date() + timedelta(days=1)
    with app.app_context():
        assert drain_once(transports, night) == {"sent": 1, "held": 1}  # the email goes; the text waits
        assert drain_once(transports, night + timedelta(hours=1)) == {}
        assert drain_once(transports, central(morning, 7, 59)) == {}
    [held] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert held.status == "queued" and held.send_after == central(morning, 8)
    assert held.attempts == 0 and held.last_error is None and held.locked_until is None
    assert provider.requests == []
    with app.app_context():
        assert drain_once(transports, central(morning, 8)) == {"sent": 1}
    assert len(provider.requests) == 1
    [sent] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert sent.status == "sent" and sent.attempts == 1 and sent.sent_at == central(morning, 8)


def test_night_is_judged_in_the_patients_time_zone(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9), phone="212-555-0101")  # New York
    evening = tomorrow_at(19, 30)  # 8:30 p.m. in New York
    with app.app_context():
        assert drain_once(transports, evening) == {"sent": 1, "held": 1}
    [held] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert held.send_after == evening + timedelta(hours=11, minutes=30)  # 8 a.m. Eastern = 7 a.m. Central
    assert held.send_after.astimezone(time_zone_for_number("+12125550101")).hour == 8


def test_a_provider_error_is_retried_later_without_leaking_the_number(
    app, client, inbox, provider, make_provider, caplog
):
    make_provider("pmr")
    caplog.set_level(logging.DEBUG)
    book(client, central(next_clinic_day(after_days=5), 9))
    provider.status = 500
    now = tomorrow_at(12)
    with app.app_context():
        assert drain_once(transports, now) == {"sent": 1, "retry": 1}
        [text] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
        assert text.status == "queued" and text.attempts == 1 and text.last_error == "SMS provider 500"
        assert now <= text.send_after <= now + BACKOFF_BASE * 2
        assert drain_once(transports, now) == {}  # not before its next attempt
        provider.status = 201
        assert drain_once(transports, text.send_after) == {"sent": 1}
    assert len(provider.requests) == 2
    assert "outbox message" in our_logs(caplog)
    for detail in (ANN, "5075550101", "507-555-0101", "Ann", "Lee", "Rochester clinic"):
        assert detail not in our_logs(caplog)


def test_a_refused_text_is_dead_lettered(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    provider.status = 400
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 1, "dead": 1}
        assert drain_once(transports, tomorrow_at(12) + timedelta(days=1)) == {}
    [text] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert text.status == "dead" and text.last_error == "SMS provider 400"


def test_too_many_requests_and_an_unreachable_provider_are_retried(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    provider.status = 429
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 1, "retry": 1}
        app.config.update(SMS_BASE_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens there
        assert drain_once(transports, tomorrow_at(15)) == {"retry": 1}
    [text] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert text.status == "queued" and text.attempts == 2
    assert text.last_error == "SMS provider unavailable (ConnectionRefusedError)"


WAITLIST_KINDS = (MessageKind.WAITLIST_OFFER, MessageKind.OFFER_TAKEN, MessageKind.WAITLIST_EXPIRING)


def test_every_kind_of_text_fits_160_characters_with_the_longest_realistic_values(app, client, make_provider):
    make_provider("pmr", name="Dr. Maximilian Vanderbilt-Oyelaran")
    day = next_clinic_day(after_days=5)
    while day.day < 10:  # a two-digit day of the month
        day = next_clinic_day(after_days=(day - clinic_today(utc_now())).days + 1)
    booked = book(client, central(day, 12, 45), given_name="Bartholomew-Alexander", family_name="Montgomery-Smythe")
    body = {
        "patient": patient_json(sms_consent=True),
        "reason": {"requested": "injection", "cause": "trauma", "seen_before": True, "referred": True},
        "preferences": {"days": ["tuesday"], "parts_of_day": ["morning"]},
    }
    requested = client.post("/api/v1/requests", json=body)
    assert requested.status_code == 201, requested.json
    app.config.update(SMS_SENDER_LABEL="Rochester Community Health Clinic", CLINIC_PHONE="(507) 538-1280")
    with app.app_context():
        appointment_id = db.session.execute(select(models.Appointment.id)).scalar_one()
        request_id = db.session.execute(select(models.VisitRequest.id)).scalar_one()
        bodies = []
        # The waitlist's texts are about an entry and its offer: tests/test_waitlist.py holds them to 160.
        for kind in (k for k in MessageKind if k not in WAITLIST_KINDS):
            about = (
                {"request_id": request_id}
                if kind is MessageKind.REQUEST_RECEIVED
                else {"appointment_id": appointment_id}
            )
            bodies.append(compose_sms(models.OutboxMessage(id=99_999, kind=kind.value, channel="sms", **about)).body)
    assert max(len(b) for b in bodies) <= 160, bodies
    assert any("12:45 PM" in b for b in bodies)
    assert all(booked["reference"] in b or requested.json["reference"] in b for b in bodies)
    for b in bodies:
        for word in forbidden_words(app) + ["Bartholomew", "Montgomery", "injection", "Fluoroscopy"]:
            assert word.lower() not in b.lower(), (word, b)


def test_a_sender_label_too_long_for_one_text_is_dead_lettered_not_split(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    app.config.update(SMS_SENDER_LABEL="A very long clinic name that nobody should configure for text messages")
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 1, "dead": 1}
    [text] = [r for r in rows(app, "sms") if r.kind == "confirmed"]
    assert text.status == "dead" and "160" in text.last_error
    assert provider.requests == []


# ----- the inbound webhook --------------------------------------------------------------------------


def test_stop_withdraws_consent_and_queued_texts_at_once_and_confirms_once(
    app, client, inbox, provider, make_provider, caplog
):
    make_provider("pmr")
    caplog.set_level(logging.DEBUG)
    start = central(next_clinic_day(after_days=5), 9)
    book(client, start)
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 2}
    response = inbound(client, "  Stop ")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert response.text.startswith("<?xml") and "<Response><Message>" in response.text
    assert "no more texts" in response.text
    with app.app_context():
        patient = db.session.execute(select(models.Patient)).scalar_one()
        assert patient.sms_consent is False
    by_kind = {(r.kind, r.channel): r.status for r in rows(app)}
    assert by_kind[("reminder", "sms")] == "withdrawn" and by_kind[("reminder", "email")] == "queued"
    again = inbound(client, "STOP")
    assert again.status_code == 200 and "<Message>" not in again.text  # one confirmation, no more
    with app.app_context():
        assert drain_once(transports, reminder_time(start) + timedelta(minutes=1)) == {"sent": 1}  # the email only
    assert len(provider.requests) == 1
    assert "opt-out" in our_logs(caplog)
    for detail in (ANN, "5075550101", "Stop", "STOP"):
        assert detail not in our_logs(caplog)


def test_stop_also_stops_a_text_the_worker_has_already_claimed(app, client, inbox, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    now = tomorrow_at(12)
    with app.app_context():
        claimed = claim_batch(now, 10, ["sms"]).ids
    assert len(claimed) == 1
    assert inbound(client, "unsubscribe").status_code == 200  # arrives while the row is "sending"
    with app.app_context():
        assert deliver_batch(claimed, transports(), now) == {"withdrawn": 1}  # consent is read again at send time
    assert provider.requests == []


@pytest.mark.parametrize(
    "tamper",
    [
        {"token": "not-the-token"},
        {"url": "http://localhost/hooks/sms/other"},
        {"sender": "+15075550199"},  # signed for another number than the one posted
    ],
)
def test_a_bad_signature_is_refused_and_changes_nothing(app, client, provider, make_provider, tamper):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    before = [(r.id, r.status) for r in rows(app)]
    if "sender" in tamper:
        form = {"From": ANN, "Body": "STOP"}
        signature = twilio_signature(AUTH_TOKEN, WEBHOOK, {**form, "From": tamper["sender"]}.items())
        response = client.post("/hooks/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    else:
        response = inbound(client, "STOP", **tamper)
    assert response.status_code == 403
    assert client.post("/hooks/sms/inbound", data={"From": ANN, "Body": "STOP"}).status_code == 403  # unsigned
    with app.app_context():
        assert db.session.execute(select(models.Patient.sms_consent)).scalar_one() is True
    assert [(r.id, r.status) for r in rows(app)] == before


def test_the_webhook_is_closed_while_sms_is_not_configured(app, client, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    assert inbound(client, "STOP").status_code == 403
    app.config.update(SMS_AUTH_TOKEN=AUTH_TOKEN)  # a token but no provider: still closed
    assert inbound(client, "STOP").status_code == 403


def test_help_answers_with_the_generic_label_and_the_clinic_phone(app, client, provider):
    response = inbound(client, "help")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Message>Rochester clinic: for help call 507-538-1280." in response.text
    assert "SI Joint" not in response.text and "pain" not in response.text.lower()


def test_anything_else_gets_an_empty_answer(app, client, provider, make_provider):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=5), 9))
    response = inbound(client, "Can I stop by earlier?")
    assert response.status_code == 200 and response.text.endswith("<Response></Response>")
    with app.app_context():
        assert db.session.execute(select(models.Patient.sms_consent)).scalar_one() is True


def test_a_proxy_url_can_be_configured_for_the_signature(app, client, provider):
    public = "https://scheduler.example.org/hooks/sms/inbound"
    app.config.update(SMS_WEBHOOK_URL=public)
    assert inbound(client, "help", url=public).status_code == 200
    assert inbound(client, "help").status_code == 403
