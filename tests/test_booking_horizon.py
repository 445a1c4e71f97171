"""The booking horizon (two years) is one rule on every way in: a start beyond it is refused with
422 on the field ``start``, whoever asks (the API, FHIR, the patient's pages, staff)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.bookings import BOOKING_HORIZON_DAYS
from scheduler.domain.bookings import check_within_horizon
from scheduler.domain.bookings import last_bookable_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import BeyondHorizon
from scheduler.domain.errors import about_the_time
from scheduler.domain.patients import PatientDetails
from scheduler.services import booking
from scheduler.services import staff_visits
from scheduler.services.staff_visits import Actor
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.fhir.conftest import api_token  # noqa: F401
from tests.fhir.conftest import clinic  # noqa: F401
from tests.fhir.conftest import fhir_client  # noqa: F401
from tests.fhir.spec_client import patient_resource
from tests.public.conftest import answer_questions
from tests.public.conftest import first_day_page
from tests.public.conftest import offered
from tests.public.conftest import web  # noqa: F401
from tests.staff.conftest import signed_in  # noqa: F401
from tests.staff.conftest import staff_user  # noqa: F401

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann.lee@example.com")


def _weekday_after(day: date) -> date:
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def beyond_horizon() -> datetime:
    """10:00 Central on a weekday just after the last bookable day: a time the clinic is open."""
    return central(_weekday_after(last_bookable_day(utc_now()) + timedelta(days=1)), 10)


def appointment_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one()


# ----- the rule ------------------------------------------------------------------------------------


def test_the_last_bookable_day_is_two_years_after_today_in_central_time():
    now = datetime(2030, 1, 1, 3, tzinfo=UTC)  # still December 31 in Rochester
    assert last_bookable_day(now) == date(2031, 12, 31) == date(2029, 12, 31) + timedelta(days=BOOKING_HORIZON_DAYS)


def test_a_start_on_the_last_bookable_day_passes_and_the_next_day_is_refused_on_start():
    now = datetime(2030, 6, 3, 15, tzinfo=UTC)
    last = last_bookable_day(now)
    check_within_horizon(central(last, 16, 45), now=now)
    with pytest.raises(BeyondHorizon) as refused:
        check_within_horizon(central(last + timedelta(days=1), 8), now=now)
    assert set(refused.value.fields) == {"start"}
    assert "2 years ahead" in refused.value.fields["start"]
    assert not about_the_time(refused.value)  # no "next open time" years ahead


def test_year_9999_is_refused_without_arithmetic_on_it():
    with pytest.raises(BeyondHorizon):
        check_within_horizon(datetime(9999, 12, 31, 23, 59, tzinfo=UTC), now=utc_now())


def test_availability_offers_nothing_beyond_the_horizon(app, client, make_provider):
    make_provider("pmr")
    last = last_bookable_day(utc_now())
    first = (last - timedelta(days=6)).isoformat()
    answer = client.get(f"/api/v1/availability?visit_type=evaluation&from={first}&days=14")
    assert answer.status_code == 200, answer.json
    days = {datetime.fromisoformat(s["start"]).date() for s in answer.json["slots"]}
    assert days and max(days) <= last


# ----- every way in --------------------------------------------------------------------------------


def test_the_api_refuses_a_visit_in_2090_with_422_on_start(app, client, make_provider):
    make_provider("pmr")
    answer = client.post("/api/v1/appointments", json=booking_json(central(date(2090, 3, 6), 10)))
    assert answer.status_code == 422, answer.json
    assert answer.json["error"] == "beyond_booking_horizon" and set(answer.json["fields"]) == {"start"}
    assert "next_open" not in answer.json
    answer = client.post("/api/v1/appointments", json=booking_json(beyond_horizon()))
    assert answer.status_code == 422 and answer.json["fields"]["start"].startswith("That is too far ahead")
    assert appointment_count(app) == 0


def test_fhir_hold_and_book_refuse_a_start_beyond_the_horizon(app, clinic, fhir_client):  # noqa: F811
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3)
    proposal = ehr.find("evaluation", day.isoformat(), day.isoformat()).resource["entry"][0]["resource"]
    far = beyond_horizon()
    proposal = {**proposal, "start": far.isoformat(), "end": (far + timedelta(minutes=60)).isoformat()}
    held = ehr.hold(proposal)
    assert held.status == 422, held.resource
    issue = held.resource["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "beyond_booking_horizon" and issue["expression"] == ["start"]
    booked = ehr.book(proposal, patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "a@example.com"))
    assert booked.status == 422, booked.resource
    assert booked.resource["issue"][0]["details"]["coding"][0]["code"] == "beyond_booking_horizon"
    assert appointment_count(app) == 0


def test_the_patients_time_page_refuses_a_posted_time_beyond_the_horizon(app, web, make_provider):  # noqa: F811
    provider = make_provider("pmr")
    answer_questions(web, requested="evaluation")
    web.get("/request/time")
    refused = web.post("/request/time", data={"slot": f"{beyond_horizon().isoformat()}|{provider}"})
    assert refused.status_code == 422
    assert "That is too far ahead" in refused.get_data(as_text=True)


def test_a_patients_reschedule_refuses_a_time_beyond_the_horizon(app, web, make_provider):  # noqa: F811
    provider = make_provider("pmr")
    with app.app_context():
        booked = booking.place_visit(
            visit_type_code="evaluation", start=central(next_clinic_day(3), 10), patient=ANN, channel="web"
        )
    page = f"/manage/{booked.appointment.reference}/{booked.manage_token}/reschedule"
    assert offered(first_day_page(web, page))
    refused = web.post(page, data={"slot": f"{beyond_horizon().isoformat()}|{provider}"})
    assert refused.status_code == 422
    assert "That is too far ahead" in refused.get_data(as_text=True)


def test_staff_cannot_move_a_visit_beyond_the_horizon(app, client, make_provider, signed_in):  # noqa: F811
    provider = make_provider("pmr")
    staff = signed_in(client, "scheduler")
    with app.app_context():
        booked = booking.place_visit(
            visit_type_code="evaluation", start=central(next_clinic_day(3), 10), patient=ANN, channel="phone"
        )
    far = beyond_horizon()
    refused = client.post(
        f"/staff/visits/{booked.appointment.id}/move", data={"slot": f"{far.isoformat()}|{provider}", "notify": "y"}
    )
    assert refused.status_code == 422
    assert "That is too far ahead" in refused.get_data(as_text=True)
    with app.app_context():
        with pytest.raises(BeyondHorizon):
            staff_visits.move(booked.appointment.id, far, actor=Actor(staff.id, staff.role), notify=False)


def test_staff_placing_and_phone_booking_refuse_a_start_beyond_the_horizon(app, make_provider, staff_user):  # noqa: F811
    make_provider("pmr")
    staff = staff_user("phone")
    far = beyond_horizon()
    with app.app_context():
        with pytest.raises(BeyondHorizon):
            staff_visits.book_for_patient(
                visit_type_code="evaluation", start=far, patient=ANN, actor=Actor(staff.id, staff.role, "phone")
            )
        with pytest.raises(BeyondHorizon):
            booking.place_visit(visit_type_code="evaluation", start=far, patient=ANN, channel="phone")
    assert appointment_count(app) == 0
    assert clinic_today(far) > last_bookable_day(utc_now())
