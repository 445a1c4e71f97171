"""The manage link in every email about an appointment (text and HTML), and none in texts, against
a real SMTP server (aiosmtpd) and a real local SMS provider; the link opens the patient's page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from scheduler.domain.messages import reminder_time
from scheduler.jobs import transports
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.references import manage_url
from scheduler.services.references import token_matches
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.test_sms_delivery import provider as provider  # noqa: F401 - the real local SMS provider
from tests.test_sms_delivery import tomorrow_at

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"https?://\S+/manage/[^\s\"<]+")
PATIENT_DETAILS = ("Ann", "Lee", "1970-02-03", "507-555-0101", "5075550101", "ann.lee", "example.com")


def book(client, start, **patient):
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))
    assert response.status_code == 201, response.json
    return response.json


def bodies(message):
    found = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    return found["text/plain"], found["text/html"]


def links(message) -> tuple[str, str]:
    text, html = bodies(message)
    [in_text] = LINK.findall(text)
    [in_html] = LINK.findall(html)
    return in_text, in_html


def test_every_email_about_a_visit_carries_a_working_manage_link(app, client, inbox, make_provider):
    make_provider("pmr")
    app.config.update(PUBLIC_BASE_URL="https://book.example.org/")  # a trailing slash is harmless
    start = central(next_clinic_day(after_days=5), 9)
    booked = book(client, start)
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
        assert drain_once(transports, reminder_time(start) + timedelta(minutes=1)) == {"sent": 1}
    assert client.post(f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        assert drain_once(transports, reminder_time(start) + timedelta(minutes=2)) == {"sent": 1}
        nonce = db.session.execute(select(models.Appointment.manage_nonce)).scalar_one()
    assert [m["Subject"].split(" - ")[0] for m in inbox.messages] == [
        "Your visit is confirmed",
        "A reminder of your visit",
        "Your visit is cancelled",
    ]
    for message in inbox.messages:
        in_text, in_html = links(message)
        assert in_text == in_html
        url = urlsplit(in_text)
        assert (url.scheme, url.netloc) == ("https", "book.example.org")
        _, manage, reference, token = url.path.split("/")
        assert (manage, reference) == ("manage", booked["reference"])
        with app.app_context():
            assert token_matches(token, reference, nonce)
        for detail in PATIENT_DETAILS:
            assert detail not in in_text  # the link carries no patient's details
        # The path the email names is the patient's page (here through the test client).
        page = client.get(url.path)
        assert page.status_code == 200 and booked["reference"] in page.text
    text, _ = bodies(inbox.messages[0])
    assert "To see, move or cancel this visit online:" in text and "please do not forward" in text
    assert "See this visit online:" in bodies(inbox.messages[2])[0]


def test_a_request_acknowledgement_has_no_manage_link(app, client, inbox):
    body = {"patient": patient_json(), "reason": {"requested": "ct", "seen_before": True}}
    assert client.post("/api/v1/requests", json=body).status_code == 201
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    text, html = bodies(inbox.messages[0])
    assert "/manage/" not in text and "/manage/" not in html


def test_texts_carry_the_reference_and_the_phone_but_no_link(app, client, inbox, provider, make_provider):  # noqa: F811
    make_provider("pmr")
    booked = book(client, central(next_clinic_day(after_days=5), 9), sms_consent=True)
    with app.app_context():
        assert drain_once(transports, tomorrow_at(12)) == {"sent": 2}
    [text] = provider.texts
    assert booked["reference"] in text["Body"] and "507-538-1280" in text["Body"]
    assert "http" not in text["Body"] and "/manage/" not in text["Body"] and len(text["Body"]) <= 160
    [email] = inbox.messages
    assert len(links(email)) == 2  # the email, which only the patient opens, has it


def test_manage_url_is_built_from_the_configured_base_without_a_request(app):
    app.config.update(PUBLIC_BASE_URL="https://book.example.org/clinic")
    with app.app_context():
        url = manage_url("SIJ-ABCD-2345", "0" * 32)
        assert url.startswith("https://book.example.org/clinic/manage/SIJ-ABCD-2345/")
        assert token_matches(url.rsplit("/", 1)[1], "SIJ-ABCD-2345", "0" * 32)
        assert not token_matches(url.rsplit("/", 1)[1], "SIJ-ABCD-2345", "1" * 32)


def test_the_public_base_url_defaults_to_the_local_server_and_comes_from_the_environment(database_url):
    code = "from scheduler import create_app; print(create_app({'TESTING': True}).config['PUBLIC_BASE_URL'])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    env["SCHEDULER_DATABASE_URL"] = database_url

    def configured(**extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, env={**env, **extra}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert configured() == "http://127.0.0.1:8000"
    assert configured(SCHEDULER_PUBLIC_BASE_URL="https://book.example.org") == "https://book.example.org"


def test_an_email_with_accents_and_long_lines_survives_the_wire(app, client, inbox, make_provider):
    make_provider("pmr", name="Dr. Zoë Ångström")
    book(client, central(next_clinic_day(after_days=5), 9), given_name="José")
    app.config.update(CLINIC_NAME="Clínica São José " + "x" * 60)
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    [message] = inbox.messages  # as the server received it, parsed by the standard library
    assert message["Subject"] == f"Your visit is confirmed - Clínica São José {'x' * 60}"
    text, html = bodies(message)
    assert "Hello José," in text and "Dr. Zoë Ångström" in text and "Dr. Zoë Ångström" in html
