"""Schemathesis over the OpenAPI document: whatever a client sends, the API answers as documented.

The document is the one /api/v1/openapi.json serves (the first test holds the two equal), loaded
with ``from_dict`` at import so that ``schema.parametrize()`` can make one test per operation; each
case is then sent in-process to that test's WSGI app with ``call_and_validate(app=...)``.
``schemathesis.pytest.from_fixture`` would load it from the app itself, but schemathesis 4.32.5
sets ``request.node._nodeid``, which pytest 9.2 no longer has (AttributeError at run time).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import allow_header_conformance
from schemathesis.checks import content_type_conformance
from schemathesis.checks import ensure_resource_availability
from schemathesis.checks import ignored_auth
from schemathesis.checks import missing_required_header
from schemathesis.checks import negative_data_rejection
from schemathesis.checks import not_a_server_error
from schemathesis.checks import positive_data_acceptance
from schemathesis.checks import response_headers_conformance
from schemathesis.checks import response_schema_conformance
from schemathesis.checks import status_code_conformance
from schemathesis.checks import unsupported_method
from schemathesis.checks import use_after_free
from schemathesis.config import SchemathesisConfig

from scheduler.web.api.openapi import openapi_document
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]

# Operation path -> why a schema-valid request may still be refused there (rules between fields and
# over the clinic's data, which the document states in words and no schema can encode).
RULES_BEYOND_THE_DOCUMENT = {
    "/api/v1/availability": "the visit type must be one the clinic offers, and the window within the booking "
    "horizon (422 invalid_input)",
    "/api/v1/appointments": "the visit type must exist and be bookable by this patient, the time free and within "
    "the clinic's hours on its grid (409 slot_taken; 422 outside_clinic_hours, not_on_grid, requires_request...)",
    "/api/v1/requests": "the patient needs a phone number or an email address; the visit type must exist (422)",
    "/api/v1/waitlist": "the visit type must exist; a visit to replace must match its manage token; offers need "
    "an email or consent to texts (422)",
}
ALLOWED_THERE = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]

schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-path": path,
                    "include-method": "POST" if path != "/api/v1/availability" else "GET",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ALLOWED_THERE}},
                }
                for path in RULES_BEYOND_THE_DOCUMENT
            ]
        }
    ),
)


@pytest.fixture
def clinic(app: Flask, make_provider) -> Flask:
    """The app with a provider in each bookable specialty, so availability has slots to offer."""
    make_provider("pmr")
    make_provider("radiology-pain")
    return app


def test_the_allowances_are_stated():
    documented = openapi_document()["paths"]
    for path, reason in RULES_BEYOND_THE_DOCUMENT.items():
        assert path in documented and reason
        print(f"positive_data_acceptance also allows 400, 404, 409 and 422 on {path}: {reason}")


def test_the_document_fuzzed_here_is_the_one_the_api_serves(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.json == json.loads(json.dumps(openapi_document()))
    assert response.json["openapi"].startswith("3.1")


# HealthCheck.function_scoped_fixture: `clinic` (and `app` under it) is set up once for each
# operation, not for each generated case, so every case of an operation runs against the same
# database. That is acceptable here because no check depends on a pristine database: each judges
# one response against the document on its own (a documented status, a body matching its schema,
# negative input refused), and the seeded catalog and providers are never removed through the API.
# What cases do leave behind (patients, requests, the odd booking that lands on a free time) can
# only make a later case meet another documented answer, such as 409 slot_taken. Resetting the
# database for every case would make the run many times slower, for nothing these checks can see.
# database=None: no example database is written into the repository.
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@schema.parametrize()
def test_every_operation_answers_as_its_openapi_document_says(case, clinic):
    case.call_and_validate(app=clinic, checks=CHECKS)


# ----- the answers random data rarely reaches ----------------------------------------------------


def conforms(response: Any, path: str, method: str) -> dict[str, Any]:
    """The response's status is documented for the operation and its body matches that schema."""
    documented = openapi_document()["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, (response.status_code, response.get_data(as_text=True))
    schema[path][method].validate_response(response)
    return response.json


def test_booking_viewing_and_cancelling_answer_as_documented(client, clinic):
    day = next_clinic_day()
    booked = conforms(
        client.post("/api/v1/appointments", json=booking_json(central(day, 9))), "/api/v1/appointments", "POST"
    )
    assert booked["status"] == "booked" and booked["manage_token"]
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    one = "/api/v1/appointments/{reference}"
    assert (
        conforms(client.get(f"/api/v1/appointments/{booked['reference']}", headers=auth), one, "GET")["reference"]
        == booked["reference"]
    )
    cancel = "/api/v1/appointments/{reference}/cancel"
    url = f"/api/v1/appointments/{booked['reference']}/cancel"
    assert conforms(client.post(url, headers=auth, json={"reason": "moved"}), cancel, "POST")["status"] == "cancelled"
    assert conforms(client.post(url, headers=auth), cancel, "POST")["status"] == "cancelled"
    assert conforms(client.get(f"/api/v1/appointments/{booked['reference']}"), one, "GET")["error"] == "not_found"


def test_every_kind_of_refused_booking_answers_as_documented(client, clinic):
    path, day = "/api/v1/appointments", next_clinic_day()
    returning = {"cause": "trauma", "seen_before": True}
    assert conforms(client.post(path, json=booking_json(central(day, 10))), path, "POST")["status"] == "booked"
    other = patient_json(given_name="Bo", email="bo@example.com", phone="507-555-0199")
    refusals = {
        "slot_taken": booking_json(central(day, 10), patient=other),
        "outside_clinic_hours": booking_json(central(day, 7, 30)),
        "not_on_grid": booking_json(central(day, 9, 5)),
        "requires_request": booking_json(central(day, 9), visit_type="injection", reason=returning),
        "routed_elsewhere": booking_json(central(day, 9), visit_type="therapy"),
        "invalid_input": booking_json(central(day - timedelta(days=400), 9)),
    }
    for code, body in refusals.items():
        answer = conforms(client.post(path, json=body), path, "POST")
        assert answer["error"] == code, answer
    assert conforms(client.post(path, json={"start": "soon"}), path, "POST")["fields"]


def test_requests_and_availability_answer_as_documented(client, clinic):
    path = "/api/v1/requests"
    for reason in ({"requested": "injection"}, {"requested": "unsure", "red_flags": ["fever"]}):
        answer = conforms(client.post(path, json={"patient": patient_json(), "reason": reason}), path, "POST")
        assert answer["status"] == "open"
    assert answer["routed_to"]["urgent"] and answer["call_now"]
    query = {"visit_type": "injection", "from": next_clinic_day().isoformat(), "days": "3"}
    assert "slots" in conforms(client.get("/api/v1/availability", query_string=query), "/api/v1/availability", "GET")
    query["visit_type"] = "evaluation"
    slots = conforms(client.get("/api/v1/availability", query_string=query), "/api/v1/availability", "GET")["slots"]
    assert slots and slots[0]["provider"]["id"]
    assert conforms(client.get("/api/v1/visit-types"), "/api/v1/visit-types", "GET")["visit_types"]
