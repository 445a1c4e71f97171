"""What running schemathesis with every check found (issue 16): FHIR statuses no stored appointment
can have, parameters given twice, _id and identifier together, and the methods a URL allows."""

from __future__ import annotations

import pytest

from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

DAY = next_clinic_day(after_days=3)
ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


def get(client, token, path, headers=None):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **(headers or {})})


@pytest.fixture
def booked(clinic, fhir_client):
    ehr = fhir_client("read", "book")
    proposal = ehr.find("evaluation", DAY.isoformat(), DAY.isoformat()).resource["entry"][0]["resource"]
    answer = ehr.book(proposal, ANN)
    assert answer.status == 201, answer.resource
    return answer.resource


@pytest.mark.parametrize("status", ["proposed", "waitlist", "checked-in"])
def test_a_fhir_status_no_stored_appointment_has_matches_nothing(client, booked, api_token, status):
    token = api_token("read")
    found = get(client, token, f"/fhir/Appointment?status={status}")  # was a 500: not a stored status
    assert found.status_code == 200, found.get_data(as_text=True)
    validate(found.json)
    assert found.json["total"] == 0
    assert get(client, token, f"/fhir/Appointment?status={status},booked").json["total"] == 1
    assert get(client, token, f"/fhir/Appointment?status:not={status}").json["total"] == 1


@pytest.mark.parametrize(
    "query,named",
    [
        ("/fhir/Appointment?status=booked&status=cancelled", "status"),
        ("/fhir/Schedule?actor=1&actor=2", "actor"),
        ("/fhir/Practitioner?_id=1&_id=2", "_id"),
        ("/fhir/Slot?service-type=evaluation&service-type=injection", "service-type"),
        (f"/fhir/Appointment/$find?service-type=evaluation&start={DAY}&end={DAY}&end={DAY}", "end"),
    ],
)
def test_a_parameter_given_twice_is_refused_naming_it(client, clinic, api_token, query, named):
    for headers in ({}, {"Prefer": "handling=lenient"}):
        response = get(client, api_token("read"), query, headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        issue = response.json["issue"][0]
        assert issue["expression"] == [named] and "separate them by commas" in issue["details"]["text"]


def test_a_dates_bounds_may_be_repeated(client, clinic, api_token):
    query = f"/fhir/Slot?service-type=evaluation&start=ge{DAY}&start=lt{DAY}T12:00:00-06:00"
    response = get(client, api_token("read"), query)
    assert response.status_code == 200 and response.json["total"] > 0


@pytest.mark.parametrize("name", ["date", "_lastUpdated"])
def test_a_dates_bounds_are_refused_beyond_the_documented_four(client, clinic, api_token, name):
    # Schemathesis sent five 'date' bounds, which the OpenAPI document says is too many (maxItems 4).
    token = api_token("read")
    bounds = [f"ge{DAY}", f"le{DAY}", f"gt{DAY.year - 1}", f"lt{DAY.year + 1}"]
    four = "&".join(f"{name}={b}" for b in bounds)
    assert get(client, token, f"/fhir/Appointment?{four}").status_code == 200
    response = get(client, token, f"/fhir/Appointment?{four}&{name}=ge{DAY}")
    assert response.status_code == 400, response.get_data(as_text=True)
    issue = response.json["issue"][0]
    assert issue["expression"] == [name] and "at most 4 times" in issue["details"]["text"]


def test_id_and_identifier_together_match_only_the_appointment_both_name(client, booked, api_token):
    token, reference = api_token("read"), booked["id"]
    both = get(client, token, f"/fhir/Appointment?_id={reference}&identifier={reference}").json
    assert both["total"] == 1
    other = get(client, token, f"/fhir/Appointment?_id={reference}&identifier=SIJ-0000-0000")
    assert other.status_code == 200 and other.json["total"] == 0  # was a 400: both at once is none
    assert get(client, token, f"/fhir/Appointment?_id={reference},SIJ-0000-0000").status_code == 400


@pytest.mark.parametrize(
    "path,allowed",
    [
        ("/fhir/Appointment/$hold", {"POST", "OPTIONS"}),
        ("/fhir/Appointment/$book", {"POST", "OPTIONS"}),
        ("/fhir/Appointment/$find", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/fhir/Appointment/SIJ-7K3M-Q9TX", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_options_names_exactly_the_methods_a_url_has(client, api_token, path, allowed):
    response = client.open(path, method="OPTIONS", headers={"Authorization": f"Bearer {api_token('read', 'book')}"})
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_an_operations_name_is_never_read_as_an_appointment_id(client, api_token):
    response = get(client, api_token("read"), "/fhir/Appointment/$hold")
    assert response.status_code == 405 and response.headers["Allow"].replace(" ", "") in (
        "POST,OPTIONS",
        "OPTIONS,POST",
    )
    validate(response.json)
