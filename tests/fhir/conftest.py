"""FHIR fixtures: a clinic with providers, API tokens of each scope, a spec-only client over the
Flask test client, and validation of every resource against fhir.resources (R4B).

The staff fixtures (accounts, a clean audit trail per test) come from tests/staff/conftest.py:
API clients and calendar feeds name staff accounts, and every FHIR call writes audit rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from flask import Flask
from flask.testing import FlaskClient

from scheduler.services.integrations import create_api_client
from tests.fhir.spec_client import FhirClient
from tests.staff.conftest import signed_in  # noqa: F401
from tests.staff.conftest import staff_user  # noqa: F401


def validate(resource: dict[str, Any]) -> Any:
    """Parse ``resource`` with fhir.resources' R4B model of its type (a Bundle's entries with it)."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource)


@pytest.fixture
def clinic(app: Flask, make_provider: Callable[..., int]) -> dict[str, int]:
    """Two PM&R providers and one radiology provider, working Monday to Friday 08:00-17:00."""
    return {
        "adams": make_provider("pmr", name="Dr. Adams"),
        "baker": make_provider("pmr", name="Dr. Baker"),
        "chen": make_provider("radiology-pain", name="Dr. Chen"),
    }


@pytest.fixture
def api_token(app: Flask) -> Callable[..., str]:
    """``api_token("read", "book")``: a new client with those scopes; returns its token."""

    def create(*scopes: str, name: str = "Test EHR") -> str:
        with app.app_context():
            return create_api_client(name, scopes or ("read", "book")).token

    return create


def send_via(client: FlaskClient) -> Callable[..., tuple[int, dict[str, str], bytes]]:
    def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        response = client.open(url, method=method, headers=headers, data=body)
        return response.status_code, dict(response.headers), response.get_data()

    return send


@pytest.fixture
def fhir_client(client: FlaskClient, api_token: Callable[..., str]) -> Callable[..., FhirClient]:
    """``fhir_client("read")``: the spec-only client with a token of those scopes (None: no token)."""

    def make(*scopes: str, token: str | None = "new") -> FhirClient:
        if token == "new":
            token = api_token(*scopes)
        return FhirClient(send_via(client), "/fhir", token)

    return make
