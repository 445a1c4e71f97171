"""Junk a client may send to the public API: every piece is refused with a 4xx that says what to fix,
never a 500; and every refusal a booking can meet arrives with its documented status and code."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services.seed import default_holidays
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json

CENTRAL = ZoneInfo("America/Chicago")
DEEP_JSON = "[" * 20_000 + "]" * 20_000  # 40 KB: under the body cap, far over any sane depth
LONG = "A" * 10_000
TIME_REFUSALS = ("outside_clinic_hours", "clinic_closed", "not_on_grid")


def today() -> date:
    return clinic_today(utc_now())


def assert_refused(response: Any, status: int, error: str, field: str | None = None) -> dict[str, Any]:
    """The JSON error contract: a status, a stable code, a sentence, and for invalid_input the field."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    body = response.get_json()
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"].strip()
    if error == "invalid_input":
        assert body["fields"], body
        assert all(isinstance(m, str) and m.strip() for m in body["fields"].values())
    if field is not None:
        assert field in body["fields"], body["fields"]
    return body


def request_json(**overrides: Any) -> dict[str, Any]:
    return {"patient": patient_json(), "reason": {"requested": "injection", "cause": "trauma"}, **overrides}


# ----- POST /api/v1/appointments ---------------------------------------------------------------

BOOKING_JUNK = [
    pytest.param({"patient": patient_json(given_name=LONG)}, "patient.given_name", id="10000-char given name"),
    pytest.param({"patient": patient_json(family_name=LONG)}, "patient.family_name", id="10000-char family name"),
    pytest.param({"patient": patient_json(given_name="Ann\x00")}, "patient.given_name", id="NUL in given name"),
    pytest.param({"patient": patient_json(family_name="L\x00ee")}, "patient.family_name", id="NUL in family name"),
    pytest.param({"patient": patient_json(given_name="   ")}, "patient.given_name", id="blank name"),
    pytest.param({"patient": patient_json(birth_date="2026-02-30")}, "patient.birth_date", id="February 30"),
    pytest.param({"patient": patient_json(birth_date="yesterday")}, "patient.birth_date", id="birth date in words"),
    pytest.param({"patient": patient_json(birth_date="1850-01-01")}, "patient.birth_date", id="born in 1850"),
    pytest.param(
        {"patient": patient_json(birth_date=(date.today() + timedelta(days=400)).isoformat())},
        "patient.birth_date",
        id="born next year",
    ),
    pytest.param({"patient": patient_json(birth_date="0")}, "patient.birth_date", id="birth date as unix time"),
    pytest.param({"patient": patient_json(phone="12")}, "patient.phone", id="phone 12"),
    pytest.param({"patient": patient_json(phone="abc")}, "patient.phone", id="phone abc"),
    pytest.param({"patient": patient_json(phone="5" * 40)}, "patient.phone", id="phone of 40 digits"),
    pytest.param({"patient": patient_json(email="ann.lee")}, "patient.email", id="email without domain"),
    pytest.param({"patient": patient_json(email="ann@@example.com")}, "patient.email", id="email with two at signs"),
    pytest.param({"patient": patient_json(email="a\x00@example.com")}, "patient.email", id="NUL in email"),
    pytest.param({"patient": patient_json(phone=None, email=None)}, "patient", id="no way to reach the patient"),
    pytest.param({"patient": patient_json(phone=None, sms_consent=True)}, "patient", id="texts without a phone"),
    pytest.param({"patient": patient_json(given_name=42)}, "patient.given_name", id="number for a name"),
    pytest.param({"patient": patient_json(phone=5075550101)}, "patient.phone", id="number for a phone"),
    pytest.param({"patient": patient_json(sms_consent="yes")}, "patient.sms_consent", id="string for a boolean"),
    pytest.param({"patient": patient_json(birth_date=19700203)}, "patient.birth_date", id="number for a date"),
    pytest.param({"patient": [patient_json()]}, "patient", id="array for the patient object"),
    pytest.param({"patient": "Ann Lee"}, "patient", id="string for the patient object"),
    pytest.param({"reason": {"seen_before": "false"}}, "reason.seen_before", id="string for seen_before"),
    pytest.param({"reason": {"cause": "aliens"}}, "reason.cause", id="unknown cause"),
    pytest.param({"reason": {"red_flags": "fever"}}, "reason.red_flags", id="string for the red flag list"),
    pytest.param({"reason": {"red_flags": ["rash"]}}, "reason.red_flags.0", id="unknown red flag"),
    pytest.param({"reason": ["trauma"]}, "reason", id="array for the reason object"),
    pytest.param({"provider_id": "1"}, "provider_id", id="string for the provider id"),
    pytest.param({"provider_id": 0}, "provider_id", id="provider id zero"),
    pytest.param({"provider_id": 2**40}, "provider_id", id="provider id past 32 bits"),
    pytest.param({"visit_type": "massage"}, "visit_type", id="unknown visit type"),
    pytest.param({"visit_type": "Evaluation"}, "visit_type", id="visit type in capitals"),
    pytest.param({"visit_type": 7}, "visit_type", id="number for the visit type"),
    pytest.param({"start": "2027-03-08T08:00:00"}, "start", id="start without an offset"),
    pytest.param({"start": "2027-03-08 08:00"}, "start", id="start with a space and no offset"),
    pytest.param({"start": "next tuesday"}, "start", id="start in words"),
    pytest.param({"start": "2027-02-30T08:00:00-06:00"}, "start", id="start on February 30"),
    pytest.param({"start": "1900000000"}, "start", id="start as unix time in a string"),
    pytest.param({"start": 1900000000}, "start", id="start as a number"),
    pytest.param({"start": None}, "start", id="null start"),
    pytest.param({"admin": True}, "admin", id="unknown field"),
]


@pytest.mark.parametrize(("changes", "field"), BOOKING_JUNK)
def test_a_booking_with_junk_is_refused_naming_the_field(client, app, make_provider, changes, field):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(), 9))
    for key, value in changes.items():
        if key == "reason" and isinstance(value, dict):
            body["reason"] = {**body["reason"], **value}
        else:
            body[key] = value
    assert_refused(client.post("/api/v1/appointments", json=body), 422, "invalid_input", field)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(models.Patient)).scalar_one() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param("null", "application/json", id="null body"),
        pytest.param("[]", "application/json", id="array body"),
        pytest.param('"book me"', "application/json", id="string body"),
        pytest.param("visit_type=evaluation", "application/x-www-form-urlencoded", id="form body"),
        pytest.param("{not json", "application/json", id="broken JSON"),
        pytest.param(b"\xff\xfe\x00{", "application/json", id="bytes that are not UTF-8"),
        pytest.param(DEEP_JSON, "application/json", id="JSON nested 20000 deep"),
        pytest.param('{"a":' * 5000 + "1" + "}" * 5000, "application/json", id="objects nested 5000 deep"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/requests"])
def test_a_body_that_is_not_a_json_object_is_refused_as_a_whole(client, path, data, content_type):
    assert_refused(client.post(path, data=data, content_type=content_type), 422, "invalid_input", "body")


@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/requests"])
def test_an_empty_body_names_each_missing_field(client, path):
    body = assert_refused(client.post(path), 422, "invalid_input", "patient")
    assert set(body["fields"]) >= ({"visit_type", "start"} if path.endswith("appointments") else {"reason"})


@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/requests"])
def test_a_body_too_large_to_be_a_booking_is_refused_unread(client, path):
    huge = '{"padding": "' + "x" * 100_000 + '"}'
    assert_refused(client.post(path, data=huge, content_type="application/json"), 413, "too_large")


# ----- POST /api/v1/requests -------------------------------------------------------------------

REQUEST_JUNK = [
    pytest.param({"patient": patient_json(family_name=LONG)}, "patient.family_name", id="10000-char family name"),
    pytest.param({"patient": patient_json(given_name="A\x00n")}, "patient.given_name", id="NUL in a name"),
    pytest.param({"patient": patient_json(birth_date="2026-02-30")}, "patient.birth_date", id="February 30"),
    pytest.param({"patient": patient_json(birth_date="yesterday")}, "patient.birth_date", id="birth date in words"),
    pytest.param({"patient": patient_json(birth_date="1850-01-01")}, "patient.birth_date", id="born in 1850"),
    pytest.param(
        {"patient": patient_json(birth_date=(date.today() + timedelta(days=30)).isoformat())},
        "patient.birth_date",
        id="born next month",
    ),
    pytest.param({"patient": patient_json(phone="12")}, "patient.phone", id="phone 12"),
    pytest.param({"patient": patient_json(phone="abc")}, "patient.phone", id="phone abc"),
    pytest.param({"patient": patient_json(email="@example.com")}, "patient.email", id="email without a name"),
    pytest.param({"patient": None}, "patient", id="null patient"),
    pytest.param({"reason": {"cause": "trauma"}}, "reason.requested", id="no visit asked for"),
    pytest.param({"reason": {"requested": "massage"}}, "reason.requested", id="unknown visit asked for"),
    pytest.param(
        {"reason": {"requested": "injection", "referred": "yes"}}, "reason.referred", id="string for a boolean"
    ),
    pytest.param({"reason": {"requested": 3}}, "reason.requested", id="number for the visit asked for"),
    pytest.param({"preferences": {"notes": "mornings\x00please"}}, "preferences.notes", id="NUL in notes"),
    pytest.param({"preferences": {"notes": LONG}}, "preferences.notes", id="10000-char notes"),
    pytest.param({"preferences": {"days": ["sunday"]}}, "preferences.days.0", id="a day the clinic is closed"),
    pytest.param({"preferences": {"days": "monday"}}, "preferences.days", id="string for the list of days"),
    pytest.param({"preferences": {"parts_of_day": ["night"]}}, "preferences.parts_of_day.0", id="night"),
    pytest.param({"preferences": ["monday"]}, "preferences", id="array for the preferences object"),
]


@pytest.mark.parametrize(("changes", "field"), REQUEST_JUNK)
def test_a_request_with_junk_is_refused_naming_the_field(client, app, changes, field):
    assert_refused(client.post("/api/v1/requests", json=request_json(**changes)), 422, "invalid_input", field)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(models.VisitRequest)).scalar_one() == 0


def test_multi_line_notes_are_welcome_in_a_request(client):
    notes = "Mornings are best.\r\nNot Fridays.\tThanks"
    response = client.post("/api/v1/requests", json=request_json(preferences={"notes": notes}))
    assert response.status_code == 201, response.json


# ----- POST /api/v1/appointments/REF/cancel ----------------------------------------------------


@pytest.fixture
def booked(client, make_provider) -> dict[str, Any]:
    make_provider("pmr")
    response = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(), 10)))
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"json": {"reason": "sick\x00"}}, "reason", id="NUL in the reason"),
        pytest.param({"json": {"reason": LONG}}, "reason", id="10000-char reason"),
        pytest.param({"json": {"reason": 5}}, "reason", id="number for the reason"),
        pytest.param({"json": {"reason": None}}, "reason", id="null reason"),
        pytest.param({"json": {"why": "moved"}}, "why", id="unknown field"),
        pytest.param({"json": ["moved"]}, "body", id="array body"),
        pytest.param({"data": "null", "content_type": "application/json"}, "body", id="null body"),
        pytest.param({"data": "moved away", "content_type": "text/plain"}, "body", id="body that is not JSON"),
        pytest.param({"data": DEEP_JSON, "content_type": "application/json"}, "body", id="JSON nested 20000 deep"),
    ],
)
def test_a_cancellation_with_junk_is_refused_and_the_visit_stays_booked(client, booked, kwargs, field):
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    url = f"/api/v1/appointments/{booked['reference']}/cancel"
    assert_refused(client.post(url, headers=auth, **kwargs), 422, "invalid_input", field)
    assert client.get(f"/api/v1/appointments/{booked['reference']}", headers=auth).json["status"] == "booked"


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("SIJ-AAAA-AAAA", id="unknown reference"),
        pytest.param("SIJ%00AAAA", id="NUL in the reference"),
        pytest.param("SIJ-%F0%9F%98%80", id="emoji in the reference"),
        pytest.param("S" * 5000, id="5000-char reference"),
        pytest.param("%27%20OR%201%3D1--", id="SQL in the reference"),
    ],
)
def test_a_malformed_reference_is_the_same_plain_not_found_as_a_wrong_one(client, booked, reference):
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    wrong = client.get(f"/api/v1/appointments/{booked['reference']}", headers={"Authorization": "Bearer nope"})
    for response in (
        client.get(f"/api/v1/appointments/{reference}", headers=auth),
        client.post(f"/api/v1/appointments/{reference}/cancel", headers=auth, json={"reason": "moved"}),
    ):
        assert assert_refused(response, 404, "not_found")["message"] == wrong.json["message"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a\x00b", "Bearer " + "x" * 10_000],
)
def test_a_cancellation_without_a_valid_token_is_not_found_and_cancels_nothing(client, booked, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    url = f"/api/v1/appointments/{booked['reference']}/cancel"
    assert_refused(client.post(url, headers=headers, json={"reason": "x"}), 404, "not_found")
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    assert client.get(f"/api/v1/appointments/{booked['reference']}", headers=auth).json["status"] == "booked"


# ----- GET /api/v1/availability ----------------------------------------------------------------


def availability_query(**changes: str | None) -> dict[str, str]:
    query = {"visit_type": "evaluation", "from": next_clinic_day().isoformat(), "days": "7", **changes}
    return {k: v for k, v in query.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"days": "0"}, "days", id="days=0"),
        pytest.param({"days": "63"}, "days", id="days=63"),
        pytest.param({"days": "abc"}, "days", id="days=abc"),
        pytest.param({"days": "-1"}, "days", id="days=-1"),
        pytest.param({"days": "7.5"}, "days", id="days=7.5"),
        pytest.param({"days": "7.0"}, "days", id="days=7.0"),
        pytest.param({"days": "9" * 400}, "days", id="days with 400 digits"),
        pytest.param({"from": "9999-12-31"}, "from", id="from=9999-12-31"),
        pytest.param({"from": "0001-01-01"}, "from", id="from=0001-01-01"),
        pytest.param({"from": "2026-02-30"}, "from", id="from=2026-02-30"),
        pytest.param({"from": "yesterday"}, "from", id="from=yesterday"),
        pytest.param({"from": "1798761600"}, "from", id="from as unix time"),
        pytest.param({"from": ""}, "from", id="empty from"),
        pytest.param({"from": None}, "from", id="no from"),
        pytest.param({"visit_type": "massage"}, "visit_type", id="unknown visit type"),
        pytest.param({"visit_type": "eval\x00uation"}, "visit_type", id="NUL in the visit type"),
        pytest.param({"visit_type": LONG.lower()}, "visit_type", id="10000-char visit type"),
        pytest.param({"visit_type": None}, "visit_type", id="no visit type"),
        pytest.param({"provider": "0"}, "provider", id="provider=0"),
        pytest.param({"provider": "abc"}, "provider", id="provider=abc"),
        pytest.param({"provider": str(2**40)}, "provider", id="provider past 32 bits"),
    ],
)
def test_an_availability_query_with_junk_is_refused_naming_the_parameter(client, make_provider, changes, field):
    make_provider("pmr")
    response = client.get("/api/v1/availability", query_string=availability_query(**changes))
    assert_refused(response, 422, "invalid_input", field)


def test_a_well_formed_availability_query_answers_with_slots(client, make_provider):
    make_provider("pmr")
    response = client.get("/api/v1/availability", query_string=availability_query())
    assert response.status_code == 200 and response.json["slots"]


# ----- refusals a well-formed booking can meet ---------------------------------------------------


def assert_a_real_opening(next_open: str, *, after: datetime, minutes: int) -> datetime:
    """``next_open`` is an aware ISO time on the clinic's grid, on a weekday, inside 8-17 Central."""
    moment = datetime.fromisoformat(next_open)
    assert moment.utcoffset() is not None, next_open
    local = moment.astimezone(CENTRAL)
    assert local.utcoffset() == moment.utcoffset(), "next_open carries the Central offset of that instant"
    assert local.weekday() < 5
    assert time(8) <= local.time() and (local + timedelta(minutes=minutes)).time() <= time(17)
    assert local.minute % 15 == 0 and local.second == 0
    assert moment > after and moment > utc_now()
    return moment


def saturday() -> date:
    day = today() + timedelta(days=2)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def future_weekday_holiday() -> tuple[date, str]:
    """A default holiday on a weekday at least two days ahead, in the years seed_catalog closes."""
    years = range(today().year, today().year + 3)
    return next((day, name) for day, name in default_holidays(years) if day >= today() + timedelta(days=2))


@pytest.mark.parametrize(
    ("when", "visit_type", "error"),
    [
        pytest.param(lambda: central(saturday(), 9), "evaluation", "outside_clinic_hours", id="a Saturday"),
        pytest.param(lambda: central(next_clinic_day(), 7, 30), "evaluation", "outside_clinic_hours", id="7:30"),
        pytest.param(
            lambda: central(next_clinic_day(), 16, 30),
            "evaluation",
            "outside_clinic_hours",
            id="16:30 for a 60-minute evaluation",
        ),
        pytest.param(
            lambda: central(next_clinic_day(), 16, 45),
            "therapy",
            "outside_clinic_hours",
            id="16:45 for a 45-minute therapy session",
        ),
        pytest.param(lambda: central(future_weekday_holiday()[0], 9), "evaluation", "clinic_closed", id="a holiday"),
        pytest.param(lambda: central(next_clinic_day(), 9, 5), "evaluation", "not_on_grid", id="9:05"),
        pytest.param(
            lambda: central(next_clinic_day(), 9, 0) + timedelta(seconds=30), "evaluation", "not_on_grid", id="9:00:30"
        ),
    ],
)
def test_a_time_the_clinic_does_not_offer_is_refused_with_the_next_time_it_does(
    client, make_provider, when, visit_type, error
):
    make_provider("pmr")
    start = when()
    body = booking_json(start, visit_type=visit_type, reason={"cause": "trauma", "seen_before": True})
    refused = assert_refused(client.post("/api/v1/appointments", json=body), 422, error)
    minutes = 60 if visit_type == "evaluation" else 45
    offered = assert_a_real_opening(refused["next_open"], after=start, minutes=minutes)
    if error == "clinic_closed":
        assert offered.astimezone(CENTRAL).date() != start.astimezone(CENTRAL).date()
        assert future_weekday_holiday()[1] in refused["message"]
    # The time offered is one the clinic really has: booking it succeeds.
    taken = client.post("/api/v1/appointments", json={**body, "start": refused["next_open"]})
    assert taken.status_code == 201, taken.json
    assert taken.json["start"] == refused["next_open"]


def test_a_visit_type_placed_by_schedulers_must_be_requested_not_booked(client, make_provider):
    make_provider("radiology-pain")
    body = booking_json(
        central(next_clinic_day(), 9), visit_type="injection", reason={"cause": "trauma", "seen_before": True}
    )
    refused = assert_refused(client.post("/api/v1/appointments", json=body), 422, "requires_request")
    assert "request" in refused["message"]


def test_a_new_patient_booking_therapy_is_routed_to_an_evaluation(client, make_provider):
    make_provider("pmr")
    body = booking_json(
        central(next_clinic_day(), 9), visit_type="therapy", reason={"cause": "trauma", "seen_before": False}
    )
    refused = assert_refused(client.post("/api/v1/appointments", json=body), 422, "routed_elsewhere")
    assert refused["routed_to"]["visit_type"] == "evaluation"
    assert refused["routed_to"]["specialty"]["code"] == "pmr"
    assert refused["routed_to"]["rule"] == "new-patient-evaluation"
    assert refused["message"] == refused["routed_to"]["reason"]


def test_a_booking_whose_reason_asks_for_another_visit_is_refused_on_that_field(client, make_provider):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(), 9), reason={"requested": "therapy", "seen_before": True})
    assert_refused(client.post("/api/v1/appointments", json=body), 422, "invalid_input", "reason.requested")


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(lambda: central(today() - timedelta(days=1), 9), id="yesterday at 9:00"),
        pytest.param(lambda: central(today() - timedelta(days=400), 9), id="over a year ago"),
        pytest.param(lambda: central(date(1850, 1, 7), 9), id="a Monday in 1850"),
    ],
)
def test_a_time_in_the_past_is_invalid_input_on_the_start_field(client, make_provider, when):
    make_provider("pmr")
    body = booking_json(when())
    assert_refused(client.post("/api/v1/appointments", json=body), 422, "invalid_input", "start")


def test_a_time_already_booked_is_a_conflict_for_the_next_patient(client, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(), 14)
    assert client.post("/api/v1/appointments", json=booking_json(start)).status_code == 201
    other = patient_json(given_name="Bo", family_name="Ek", email="bo@example.com", phone="507-555-0199")
    refused = assert_refused(
        client.post("/api/v1/appointments", json=booking_json(start, patient=other)), 409, "slot_taken"
    )
    assert "fields" not in refused
