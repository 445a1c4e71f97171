"""Schemathesis over /fhir's OpenAPI document: whatever a client sends, no 5xx, and every answer is a
documented status with a FHIR resource or OperationOutcome body in application/fhir+json.

Loaded with ``from_dict`` at import and called in-process, as tests/test_openapi_schemathesis.py
explains. Each case carries a token with both scopes (otherwise every case would stop at 401).
Not negative_data_rejection nor positive_data_acceptance: FHIR search parameters are documented
loosely (free text such as ``ge2027-03-08``), so the document cannot say which values the server
refuses (a free Slot search needs a service-type the clinic offers, a window of at most 62 days).
Not ignored_auth, use_after_free nor ensure_resource_availability: they send requests of their own,
outside the app this test calls in-process (tests/fhir/test_access.py checks every path's token;
FHIR here deletes nothing).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import content_type_conformance
from schemathesis.checks import missing_required_header
from schemathesis.checks import not_a_server_error
from schemathesis.checks import response_headers_conformance
from schemathesis.checks import response_schema_conformance
from schemathesis.checks import status_code_conformance
from schemathesis.checks import unsupported_method

from scheduler.web.fhir.openapi import openapi_document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,  # Bundle and OperationOutcome item by item (entries, links, issues)
    response_headers_conformance,
    missing_required_header,
    unsupported_method,  # a 405 with the Allow header
]

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def token(app: Flask, clinic, api_token) -> str:
    return api_token("read", "book")


def test_the_document_fuzzed_here_is_the_one_fhir_serves(client):
    response = client.get("/fhir/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(json.dumps(openapi_document()))


# function_scoped_fixture: as in tests/test_openapi_schemathesis.py, the database is set up once per
# operation, not per case; no check here depends on a pristine database.
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@schema.parametrize()
def test_every_fhir_operation_answers_as_documented_and_never_fails(case, app, token):
    case.call_and_validate(app=app, checks=CHECKS, headers={"Authorization": f"Bearer {token}"})
