"""Schemathesis over /fhir's OpenAPI document: whatever a client sends, no 5xx, and every answer is a
documented status with a FHIR resource or OperationOutcome body in application/fhir+json.

Loaded with ``from_dict`` at import and called in-process, as tests/test_openapi_schemathesis.py
explains. Each case carries a token with both scopes (otherwise every case would stop at 401).
Not negative_data_rejection: FHIR search parameters are documented loosely (free text such as
``ge2027-03-08``), so the document cannot say which values the server refuses.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import content_type_conformance
from schemathesis.checks import not_a_server_error
from schemathesis.checks import response_schema_conformance
from schemathesis.checks import status_code_conformance

from scheduler.web.fhir.openapi import openapi_document

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

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
