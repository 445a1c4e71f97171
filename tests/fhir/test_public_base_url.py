"""One public base URL: every absolute URL the service makes starts with PUBLIC_BASE_URL, whatever
Host, scheme or X-Forwarded-* headers a request arrives with; and a production app will not start
while PUBLIC_BASE_URL or the mail addresses are still their development defaults."""

from __future__ import annotations

import re

import pytest

from scheduler import create_app
from scheduler.jobs import transports
from scheduler.services.outbox_delivery import drain_once
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.fhir.spec_client import FhirClient
from tests.fhir.spec_client import patient_resource

PUBLIC = "https://scheduler.example.org/clinic"
ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")
# What a request behind a TLS proxy looks like to the app: plain http, an internal host name.
INTERNAL = "http://app-3.internal:8000"


def never_the_requests_host(text: str) -> None:
    """No URL in ``text`` names the host the request came to, the one a proxy claimed, or the default."""
    for host in ("app-3.internal", "evil.example.net", "127.0.0.1", "localhost"):
        assert host not in text


@pytest.fixture
def proxied(app_with):
    """An app behind one proxy that believes its X-Forwarded-* headers, served at PUBLIC."""
    return app_with(PROXY_HOPS=1, PUBLIC_BASE_URL=PUBLIC + "/")


FORWARDED = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example.net", "X-Forwarded-For": "203.0.113.9"}


def test_fhir_links_full_urls_and_the_capability_statement_use_the_public_base_url(proxied, api_token, clinic):
    client = proxied.test_client()
    token = api_token("read")
    headers = {"Authorization": f"Bearer {token}", **FORWARDED}
    metadata = client.get("/fhir/metadata", base_url=INTERNAL, headers=FORWARDED)
    assert metadata.status_code == 200
    assert metadata.json["implementation"]["url"] == f"{PUBLIC}/fhir"
    for path in ("/fhir/Practitioner?_count=1", "/fhir/Location", "/fhir/HealthcareService"):
        response = client.get(path, base_url=INTERNAL, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        bundle = response.json
        assert bundle["link"] and bundle["entry"]
        for link in bundle["link"]:
            assert link["url"].startswith(f"{PUBLIC}/fhir/"), link
        for entry in bundle["entry"]:
            assert entry["fullUrl"].startswith(f"{PUBLIC}/fhir/"), entry["fullUrl"]
        never_the_requests_host(response.get_data(as_text=True))


def test_the_ihe_return_bundles_of_hold_and_book_use_the_public_base_url(proxied, api_token, clinic):
    client = proxied.test_client()

    def send(method, url, headers, body):
        answer = client.open(url, method=method, headers={**headers, **FORWARDED}, data=body, base_url=INTERNAL)
        return answer.status_code, dict(answer.headers), answer.get_data()

    ehr = FhirClient(send, "/fhir", api_token("read", "book"))
    day = next_clinic_day(after_days=3).isoformat()
    question = [("service-type", "valueCode", "evaluation"), ("start", "valueDate", day), ("end", "valueDate", day)]
    found = ehr._call("POST", "/Appointment/$find", ehr.parameters(*question))
    assert found.status == 200, found.resource
    first, last = found.resource["entry"][0]["resource"], found.resource["entry"][-1]["resource"]
    held = ehr._call("POST", "/Appointment/$hold", ehr.parameters(("appt-resource", "resource", first)))
    booked = ehr._call("POST", "/Appointment/$book", ehr.parameters(
        ("appt-resource", "resource", last), ("patient-resource", "resource", ANN)))  # fmt: skip
    for answer in (found, held, booked):
        assert answer.status in (200, 201), answer.resource
        assert answer.resource["resourceType"] == "Bundle"
        for link in answer.resource["link"]:
            assert link["url"].startswith(f"{PUBLIC}/fhir/"), link
        for entry in answer.resource["entry"]:  # a proposal, not yet on the server, is a urn:uuid:
            assert entry["fullUrl"].startswith((f"{PUBLIC}/fhir/", "urn:uuid:")), entry["fullUrl"]
    assert booked.headers["Location"].startswith(f"{PUBLIC}/fhir/Appointment/")


def test_the_api_location_header_uses_the_public_base_url(proxied, make_provider):
    make_provider("pmr")
    client = proxied.test_client()
    response = client.post(
        "/api/v1/appointments",
        json=booking_json(central(next_clinic_day(), 9)),
        base_url=INTERNAL,
        headers=FORWARDED,
    )
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{PUBLIC}/api/v1/appointments/{response.json['reference']}"


def test_the_manage_link_in_an_email_uses_the_public_base_url(app, client, inbox, make_provider):
    app.config.update(PUBLIC_BASE_URL=PUBLIC)
    make_provider("pmr")
    response = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(), 9)))
    assert response.status_code == 201
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    [message] = inbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{PUBLIC}/manage/{response.json['reference']}/" in text
    reference = response.json["reference"]
    assert f'href="{PUBLIC}/manage/{reference}/' in html
    never_the_requests_host(text + html + message.as_string())


def test_a_calendar_feed_url_uses_the_public_base_url(app, runner, clinic, staff_user):
    app.config.update(PUBLIC_BASE_URL=PUBLIC)
    made = runner.invoke(args=["create-calendar-feed", staff_user("scheduler").username, "--provider", "1"])
    assert made.exit_code == 0, made.output
    assert re.fullmatch(re.escape(PUBLIC) + r"/feeds/[A-Za-z0-9_-]{40,}\.ics", made.output.strip().splitlines()[-1])


@pytest.fixture
def production_environment(monkeypatch):
    """No SCHEDULER_* from the developer's shell; a real secret; not testing, not debugging."""
    import os

    for name in [name for name in os.environ if name.startswith("SCHEDULER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCHEDULER_SECRET_KEY", "test-a-production-secret")
    monkeypatch.setenv("SCHEDULER_DATABASE_URL", "sqlite:////tmp/never-created-by-this-test.sqlite3")
    return monkeypatch


def test_production_refuses_the_development_base_url_naming_the_setting(production_environment):
    production_environment.setenv("SCHEDULER_MAIL_FROM", "SI Joint Clinic <no-reply@clinic.example.org>")
    production_environment.setenv("SCHEDULER_MAIL_DOMAIN", "clinic.example.org")
    with pytest.raises(RuntimeError, match="SCHEDULER_PUBLIC_BASE_URL") as refused:
        create_app()
    assert "MAIL" not in str(refused.value)


def test_production_refuses_the_example_mail_domain_and_sender_naming_both(production_environment):
    production_environment.setenv("SCHEDULER_PUBLIC_BASE_URL", "https://scheduler.example.org")
    with pytest.raises(RuntimeError) as refused:
        create_app()
    message = str(refused.value)
    assert "SCHEDULER_MAIL_DOMAIN" in message and "SCHEDULER_MAIL_FROM" in message
    assert "PUBLIC_BASE_URL" not in message


def test_production_starts_with_the_addresses_set_and_development_needs_none(production_environment):
    production_environment.setenv("SCHEDULER_PUBLIC_BASE_URL", "https://scheduler.example.org")
    production_environment.setenv("SCHEDULER_MAIL_FROM", "SI Joint Clinic <no-reply@clinic.example.org>")
    production_environment.setenv("SCHEDULER_MAIL_DOMAIN", "clinic.example.org")
    assert create_app().config["PUBLIC_BASE_URL"] == "https://scheduler.example.org"
    for name in ("SCHEDULER_PUBLIC_BASE_URL", "SCHEDULER_MAIL_FROM", "SCHEDULER_MAIL_DOMAIN"):
        production_environment.delenv(name)
    assert create_app({"TESTING": True}).testing
