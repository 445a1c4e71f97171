"""Urgent patients reach a clinician, never a routine slot, on every channel.

A red flag (fever, sudden inability to bear weight) or an infection is refused as a routine
booking by the JSON API and FHIR ``$book``; the patient pages tell the patient to call (or that
the clinic is closed, with 911 advice and the next opening) and take a call-back request with a
phone number and a call-back target; the phone console offers physicians only, including the
times they keep for urgent patients, which nobody else is offered until they are released.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import render_template
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import Closure
from scheduler.domain.routing import RoutingDecision
from scheduler.domain.urgent import ClinicNow
from scheduler.domain.urgent import clinic_now
from scheduler.domain.urgent import urgent_only
from scheduler.services.availability import find_availability
from scheduler.services.integrations import create_api_client
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.fhir.conftest import send_via
from tests.fhir.spec_client import FhirClient
from tests.fhir.spec_client import patient_resource
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import page_text

TWO_HOURS = timedelta(hours=2)
MONDAY = date(2027, 3, 8)  # an ordinary Monday (daylight saving begins the Sunday after)


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# ----- when the clinic can answer, and by when it calls back -----------------------------------------


def test_in_hours_the_call_back_is_due_two_open_hours_later_spilling_into_the_next_morning():
    calendar = ClinicCalendar()
    ten = clinic_instant(MONDAY, time(10))
    assert clinic_now(calendar, ten, TWO_HOURS) == ClinicNow(True, None, clinic_instant(MONDAY, time(12)))
    half_past_four = clinic_instant(MONDAY, time(16, 30))
    assert clinic_now(calendar, half_past_four, TWO_HOURS).call_back_by == clinic_instant(
        MONDAY + timedelta(days=1), time(9, 30)
    )


def test_out_of_hours_the_call_back_is_due_in_the_first_hour_of_the_next_open_day_past_closures():
    friday_evening = clinic_instant(MONDAY - timedelta(days=3), time(18))
    told = clinic_now(ClinicCalendar(), friday_evening, TWO_HOURS)
    assert (told.open, told.next_opening) == (False, clinic_instant(MONDAY, time(8)))
    assert told.call_back_by == clinic_instant(MONDAY, time(9))
    closed_monday = ClinicCalendar(closures=(Closure(MONDAY, "Storm"),))
    told = clinic_now(closed_monday, friday_evening, TWO_HOURS)
    assert told.next_opening == clinic_instant(MONDAY + timedelta(days=1), time(8))
    early = clinic_instant(MONDAY, time(6, 45))
    assert clinic_now(ClinicCalendar(), early, TWO_HOURS).call_back_by == clinic_instant(MONDAY, time(9))


def test_urgent_only_times_are_kept_until_their_release_cut_off():
    block = WorkBlock(MONDAY.weekday(), time(13), time(14))
    doctor = Provider(1, "Dr. Lin", "pmr", (WorkBlock(0, time(8), time(17)),), urgent_blocks=(block,))
    starts = clinic_instant(MONDAY, time(13))
    assert urgent_only(doctor, [MONDAY], starts - timedelta(hours=25)) == [(starts, clinic_instant(MONDAY, time(14)))]
    assert urgent_only(doctor, [MONDAY], starts - timedelta(hours=23)) == []  # released to everyone
    assert urgent_only(doctor, [MONDAY + timedelta(days=1)], starts - timedelta(hours=25)) == []


# ----- urgent-only times and who is offered --------------------------------------------------------


def keep_for_urgent(app, provider_id: int, day: date, starts: time, ends: time, release_hours: int = 24) -> None:
    with app.app_context():
        provider = db.session.get(models.Provider, provider_id)
        provider.urgent_blocks = [models.UrgentBlock(weekday=day.weekday(), starts=starts, ends=ends)]
        provider.urgent_release_hours = release_hours
        db.session.commit()


def test_routine_patients_never_see_urgent_only_times_and_staff_placing_an_urgent_patient_do(
    app, client, make_provider
):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("evaluation", "therapy"))
    day = next_clinic_day(after_days=4)
    keep_for_urgent(app, lin, day, time(13), time(15))
    one_pm = central(day, 13)
    with app.app_context():
        routine = {(s.start, s.provider_id) for s in find_availability("evaluation", day, 1).slots}
        assert (one_pm, lin) not in routine and (central(day, 15), lin) in routine
        urgent = find_availability("evaluation", day, 1, urgent=True)
        assert (one_pm, lin) in {(s.start, s.provider_id) for s in urgent.slots}
        assert set(urgent.providers) == {lin}  # physicians only: the therapist is not offered
    refused = client.post("/api/v1/appointments", json=booking_json(one_pm, provider_id=lin))
    assert refused.status_code == 409
    # Released a day before: then anyone may have the time.
    keep_for_urgent(app, lin, day, time(13), time(15), release_hours=24 * 7)
    with app.app_context():
        assert (one_pm, lin) in {(s.start, s.provider_id) for s in find_availability("evaluation", day, 1).slots}


# ----- the JSON API and FHIR -----------------------------------------------------------------------


def test_the_api_refuses_a_red_flag_booking_as_urgent_and_takes_a_call_back_request(app, client, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    urgent_reason = {
        "cause": "trauma",
        "seen_before": False,
        "referred": False,
        "red_flags": ["fever"],
    }
    refused = client.post("/api/v1/appointments", json=booking_json(central(day, 9), reason=urgent_reason))
    assert refused.status_code == 422
    assert refused.json["error"] == "urgent" and "call the clinic now" in refused.json["message"]
    assert refused.json["routed_to"]["urgent"] is True
    infection = {**urgent_reason, "red_flags": [], "cause": "infection"}
    assert client.post("/api/v1/appointments", json=booking_json(central(day, 9), reason=infection)).status_code == 422
    with app.app_context():
        assert count(models.Appointment) == count(models.Patient) == 0

    no_phone = client.post(
        "/api/v1/requests",
        json={
            "patient": patient_json(phone=None),
            "reason": {**urgent_reason, "requested": "unsure"},
            "preferences": {},
        },
    )
    assert no_phone.status_code == 422 and "patient.phone" in no_phone.json["fields"]
    sent = client.post(
        "/api/v1/requests",
        json={"patient": patient_json(), "reason": {**urgent_reason, "requested": "unsure"}, "preferences": {}},
    )
    assert sent.status_code == 201, sent.json
    assert sent.json["routed_to"]["urgent"] is True and "911" in sent.json["call_now"]
    due = datetime.fromisoformat(sent.json["call_back_by"])
    assert utc_now() < due <= utc_now() + timedelta(days=5)
    with app.app_context():
        (request,) = db.session.execute(select(models.VisitRequest)).scalars()
        assert request.urgent and request.call_back_by == due


def test_fhir_book_with_a_red_flag_reason_is_refused_as_urgent_and_writes_nothing(app, client, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        token = create_api_client("EHR", ("read", "book")).token
    ehr = FhirClient(send_via(client), "/fhir", token)
    proposal = ehr.find("evaluation", day.isoformat(), day.isoformat()).resource["entry"][0]["resource"]
    proposal["reasonCode"] = [{"coding": [{"system": "urn:si-joint-clinic:fhir:red-flag", "code": "fever"}]}]
    booked = ehr.book(proposal, patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann@example.com"))
    assert booked.status == 422, booked.resource
    assert booked.outcome_codes == ["urgent"] and "911" in str(booked.resource)
    proposal["reasonCode"] = [{"coding": [{"system": "urn:si-joint-clinic:fhir:red-flag", "code": "headache"}]}]
    unknown = ehr.book(proposal, patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann@example.com"))
    assert unknown.status == 400 and "headache" in str(unknown.resource)
    with app.app_context():
        assert count(models.Appointment) == 0


# ----- the patient pages ------------------------------------------------------------------------------


def test_a_red_flag_online_is_never_offered_a_time_and_leaves_a_call_back_request_with_a_phone(web, app, make_provider):
    make_provider("pmr")
    with app.app_context():
        # The clinic is closed all today (whatever the hour the test runs): the closed advice.
        db.session.add(models.Closure(day=clinic_today(utc_now()), name="Staff training", source="admin"))
        db.session.commit()
    route = page_text(answer_questions(web, red_flags=["fever"]))
    assert "The clinic is closed now" in route and "call 911" in route
    assert re.search(r"We open at \w+day, \w+ \d+, \d{4} at 8 a\.m\. C[SD]T", route)
    assert "choose a time" not in route.lower()
    assert web.get("/request/time").status_code == 302  # no routine times, whatever the address typed
    missing = web.post("/request/details", data={**DETAILS, "phone": ""})
    assert "Enter a phone number: we will call you back on it" in errors(missing)
    assert 'value="Ann"' in page_text(missing)
    assert web.post("/request/details", data=DETAILS).headers["Location"].endswith("/request/check")
    done = web.post("/request/check")
    sent = page_text(web.get(done.headers["Location"]))
    assert re.search(r"We will call you back by \w+day, \w+ \d+, \d{4} at 9 a\.m\. C[SD]T", sent)
    with app.app_context():
        assert count(models.Appointment) == 0
        (request,) = db.session.execute(select(models.VisitRequest)).scalars()
        assert request.urgent and request.intake["red_flags"] == ["fever"]
        due = to_clinic(request.call_back_by)
        assert due.time() == time(9) and due.date() > clinic_today(utc_now())  # the next open day's first hour


def test_the_route_page_in_clinic_hours_says_call_now_and_offers_a_call_back_by_a_time(app):
    decision = RoutingDecision("urgent", "evaluation", "pmr", "A possible infection needs an urgent evaluation.", True)
    due = clinic_instant(MONDAY, time(12))
    with app.test_request_context("/request/route"):
        page = render_template(
            "public/route.html",
            decision=decision,
            clinic_now=ClinicNow(True, None, due),
            next_url="/request/details",
            back="public.red_flags",
        )
    assert "Call us now on" in page and "tel:" in page and "911" in page
    assert "we will call you back by Monday, March 8, 2027 at noon CST" in page
    assert "The clinic is closed now" not in page and "choose a time" not in page.lower()
