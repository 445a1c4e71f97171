"""Schemathesis over /fhir's OpenAPI document, with every check schemathesis has: no 5xx, every
answer a documented status with a FHIR resource or OperationOutcome body in application/fhir+json,
schema-valid requests accepted and schema-invalid ones refused, the token enforced, OPTIONS and
405s naming exactly the documented methods.

Loaded with ``from_dict`` at import and called in-process, as tests/test_openapi_schemathesis.py
explains; the checks that send requests of their own (``ignored_auth`` probes without the token and
with a wrong one) send them in-process too. Each case carries a token with both scopes (otherwise
every case would stop at 401).

The query parameters are documented by patterns the server reads exactly (fhir/openapi.py), so a
value that matches is answered and one that does not is a 400. One allowance, printed by
``test_the_allowances_are_stated``: :data:`RULES_BEYOND_THE_DOCUMENT` lists the operations whose
answers also depend on rules between their parameters or on the clinic's data, which no OpenAPI
document can state; schema-valid requests to them may also be refused with a 400 or a 422 (the
clinic's rules) and ``positive_data_acceptance`` allows that there, and only there.
"""

from __future__ import annotations

import json

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
from schemathesis.core.parameters import ParameterLocation

from scheduler.web.fhir.openapi import openapi_document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,  # Bundle and OperationOutcome item by item (entries, links, issues)
    response_headers_conformance,
    missing_required_header,
    unsupported_method,  # a 405 with the Allow header
    allow_header_conformance,  # OPTIONS and 405s name exactly the documented methods
    positive_data_acceptance,
    negative_data_rejection,
    ignored_auth,  # without the token, and with a wrong one, the same request is refused
    use_after_free,  # FHIR here deletes nothing: these two have nothing to find, and say so by passing
    ensure_resource_availability,
]

# Operation path -> why a schema-valid request may still be a 400 or a 422 there.
RULES_BEYOND_THE_DOCUMENT = {
    "/fhir/Slot": "free slots need a service-type; the start bounds span at most 62 days; service-type and "
    "specialty must be codes the clinic offers (rules between parameters and over the catalog)",
    "/fhir/Appointment/$find": "service-type, start and end are required and end must follow start within 62 days; "
    "the visit type must be one the clinic offers and the patient may book (422 requires_request, "
    "routed_elsewhere); the POST body is FHIR's one Parameters envelope for every operation",
    "/fhir/Appointment/$hold": "the Parameters envelope is documented, not each operation's parameters; the time "
    "must be free (409) and within the clinic's rules (422 outside_clinic_hours, not_on_grid, ...)",
    "/fhir/Appointment/$book": "as $hold, and the patient must be given, or be on file when referred to",
}
ALLOWED_THERE = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]

schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=SchemathesisConfig.from_dict(
        {
            "operations": [
                {"include-path": path, "checks": {"positive_data_acceptance": {"expected-statuses": ALLOWED_THERE}}}
                for path in RULES_BEYOND_THE_DOCUMENT
            ]
        }
    ),
)


@pytest.fixture
def token(app: Flask, clinic, api_token) -> str:
    return api_token("read", "book")


def test_the_document_fuzzed_here_is_the_one_fhir_serves(client):
    response = client.get("/fhir/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(json.dumps(openapi_document()))


def test_the_allowances_are_stated():
    documented = openapi_document()["paths"]
    for path, reason in RULES_BEYOND_THE_DOCUMENT.items():
        assert path in documented and reason
        print(f"positive_data_acceptance also allows 400 and 422 on {path}: {reason}")


# function_scoped_fixture: as in tests/test_openapi_schemathesis.py, the database is set up once per
# operation, not per case; no check here depends on a pristine database.
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@schema.parametrize()
def test_every_fhir_operation_answers_as_documented_and_never_fails(case, app, token):
    # The probes ignored_auth sends (without the token, with a wrong one) go through the schema's own
    # transport: given this test's app, they are sent in-process as the case is.
    case.operation.schema.app = app
    # A negative case may be one without the Authorization header the document requires: sent so,
    # not with the token put back (which would make it a valid request that negative_data_rejection
    # then sees accepted).
    without_token = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if without_token else {"Authorization": f"Bearer {token}"}
    case.call_and_validate(app=app, checks=CHECKS, headers=headers)
