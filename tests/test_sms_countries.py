"""Texts go only to numbers of the countries the clinic texts (SMS_COUNTRIES, default the US):
consent with another country's number is refused where it is given, and nothing is ever queued
to one (not even for a record that says otherwise)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.services import booking
from scheduler.services.notices import compose_sms
from scheduler.services.sms_consent import texts_allowed_to
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import first_day_page
from tests.public.conftest import offered
from tests.public.conftest import web  # noqa: F401
from tests.staff.conftest import signed_in  # noqa: F401
from tests.staff.conftest import staff_user  # noqa: F401
from tests.staff.test_phone_console import step

UK, RUSSIA, JAMAICA, CANADA = "+441212345678", "+73011234567", "+18765230123", "+15062345678"
REFUSED = (
    "We can send text messages only to numbers in the United States. "
    "Give a number there, or leave text messages unticked."
)


def channels(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.execute(select(models.OutboxMessage.channel)).scalars())


@pytest.mark.parametrize(
    ("phone", "allowed"), [("+15075550101", True), (UK, False), (RUSSIA, False), (JAMAICA, False), (CANADA, False)]
)
def test_only_numbers_of_the_configured_countries_are_texted_judged_by_region_not_calling_code(app, phone, allowed):
    with app.app_context():
        assert texts_allowed_to(phone) is allowed
        app.config["SMS_COUNTRIES"] = ["US", "CA"]
        assert texts_allowed_to(phone) is (allowed or phone == CANADA)


@pytest.mark.parametrize("phone", [UK, RUSSIA])
def test_the_api_refuses_consent_to_texts_for_a_foreign_number_and_books_without_it(app, client, make_provider, phone):
    make_provider("pmr")
    start = central(next_clinic_day(3), 10)
    refused = client.post(
        "/api/v1/appointments", json=booking_json(start, patient=patient_json(phone=phone, sms_consent=True))
    )
    assert refused.status_code == 422, refused.json
    assert refused.json["fields"] == {"patient.sms_consent": REFUSED}
    request = client.post(
        "/api/v1/requests",
        json={"patient": patient_json(phone=phone, sms_consent=True), "reason": {"requested": "evaluation"},
              "preferences": {"days": ["monday"], "parts_of_day": ["morning"]}},
    )  # fmt: skip
    assert request.status_code == 422 and "patient.sms_consent" in request.json["fields"]
    booked = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(phone=phone)))
    assert booked.status_code == 201, booked.json
    assert channels(app) and set(channels(app)) == {"email"}  # the confirmation and reminder, by email only


def test_the_patients_details_page_refuses_consent_for_a_foreign_number_on_the_phone_field(app, web, make_provider):  # noqa: F811
    make_provider("pmr")
    answer_questions(web, requested="evaluation")
    assert web.post("/request/time", data={"slot": offered(first_day_page(web))[0]}).status_code == 302
    refused = web.post("/request/details", data={**DETAILS, "phone": "+44 121 234 5678"})
    assert refused.status_code == 422
    assert errors(refused) == [REFUSED]
    assert 'value="+44 121 234 5678"' in refused.get_data(as_text=True)  # what was typed is kept
    assert (
        web.post("/request/details", data={**DETAILS, "phone": "+44 121 234 5678", "sms_consent": ""}).status_code
        == 302
    )


def test_the_phone_console_refuses_consent_for_a_foreign_number(app, client, make_provider, signed_in):  # noqa: F811
    make_provider("pmr")
    signed_in(client, "phone")
    refused = step(client, phone="+7 301 123-45-67", sms_consent="y")
    assert refused.status_code == 422
    assert REFUSED in refused.get_data(as_text=True)
    assert step(client, phone="+7 301 123-45-67").status_code == 200


def test_no_text_is_queued_or_sent_to_a_foreign_number_whatever_the_record_says(app, make_provider):
    make_provider("pmr")
    with app.app_context():
        # A record from before the rule (or written some other way) that says the patient consented.
        patient = models.Patient(given_name="Ivan", family_name="Petrov", birth_date=date(1970, 1, 1), phone=RUSSIA,
                                 email="ivan@example.com", sms_consent=True)  # fmt: skip
        db.session.add(patient)
        db.session.commit()
        details = PatientDetails("Ivan", "Petrov", date(1970, 1, 1), RUSSIA, "ivan@example.com", sms_consent=True)
        booked = booking.place_visit(
            visit_type_code="evaluation", start=central(next_clinic_day(3), 10), patient=details, channel="phone"
        )
        assert booked.appointment.patient.id == patient.id
    assert channels(app) and set(channels(app)) == {"email"}  # the confirmation and reminder, by email only
    with app.app_context():
        # A text queued before the country was taken off SMS_COUNTRIES is never composed.
        queued = models.OutboxMessage(kind="confirmed", channel="sms", appointment_id=booked.appointment.id,
                                      version=1, dedupe_key="legacy", status="queued", attempts=0,
                                      send_after=utc_now())  # fmt: skip
        db.session.add(queued)
        db.session.commit()
        assert compose_sms(queued) is None
        app.config["SMS_COUNTRIES"] = ["US", "RU"]
        assert compose_sms(queued) is not None
