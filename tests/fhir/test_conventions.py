"""The FHIR RESTful API's conventions (issue 16, item 6): weak ETags and conditional reads, the
answer's format (406 for anything but JSON), the charset, Allow on a 405, a FHIR 414, Slot
fullUrls that resolve, $find paging, and an OpenAPI document from which openapi-python-client
generates a client whose searches return typed Bundles.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scheduler.web.fhir.openapi import openapi_document
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

DAY = next_clinic_day(after_days=3)
FHIR_CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def get(client, token, path, headers=None):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **(headers or {})})


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def visit(clinic, fhir_client):
    ehr = fhir_client("read", "book")
    found = ehr.find("evaluation", DAY.isoformat(), DAY.isoformat(), f"Practitioner/{clinic['adams']}").resource
    proposal = next(e["resource"] for e in found["entry"] if "T09:00" in e["resource"]["start"])
    booked = ehr.book(proposal, patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann@example.com"))
    assert booked.status == 201, booked.resource
    return booked.resource


# ----- conditional reads -------------------------------------------------------------------------------


def test_an_appointment_read_carries_a_weak_etag_and_its_meta(client, visit, api_token):
    response = get(client, api_token("read"), f"/fhir/Appointment/{visit['id']}")
    assert response.status_code == 200
    validate(response.json)
    meta = response.json["meta"]
    assert response.headers["ETag"] == f'W/"{meta["versionId"]}"' and meta["versionId"] == "1"
    assert response.headers["Last-Modified"] and meta["lastUpdated"].endswith("Z")


def test_if_none_match_with_the_current_version_is_a_304_without_a_body(client, visit, api_token):
    token = api_token("read")
    path = f"/fhir/Appointment/{visit['id']}"
    etag = get(client, token, path).headers["ETag"]
    unchanged = get(client, token, path, {"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b"" and unchanged.headers["ETag"] == etag
    changed = get(client, token, path, {"If-None-Match": 'W/"0"'})
    assert changed.status_code == 200 and changed.json["id"] == visit["id"]


# ----- format, charset, Allow, 414 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,accept",
    [
        ("_format=xml", None),
        ("_format=application/fhir%2Bxml", None),
        ("_format=text/turtle", None),
        ("", "application/fhir+xml"),
        ("", "text/html"),
        ("_format=xml", "application/fhir+json"),  # _format overrides Accept
    ],
)
def test_a_format_other_than_json_is_a_406_operation_outcome(client, clinic, api_token, query, accept):
    headers = {"Accept": accept} if accept else {}
    response = get(client, api_token("read"), f"/fhir/Practitioner?{query}", headers)
    assert response.status_code == 406, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == FHIR_CONTENT_TYPE
    validate(response.json)
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "not_acceptable"


@pytest.mark.parametrize(
    "query,accept",
    [
        ("_format=json", None),
        ("_format=application/fhir%2Bjson", None),
        ("_format=application/fhir+json", None),  # the + unencoded arrives as a space
        ("_format=application/json", "application/xml"),
        ("", "application/fhir+json"),
        ("", "application/json"),
        ("", "application/fhir+xml;q=0.9, */*;q=0.1"),
        ("", "*/*"),
    ],
)
def test_json_under_any_of_its_names_is_answered(client, clinic, api_token, query, accept):
    headers = {"Accept": accept} if accept else {}
    response = get(client, api_token("read"), f"/fhir/Practitioner?{query}", headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["total"] == 3


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("GET", "/fhir/metadata", 200),
        ("GET", "/fhir/Practitioner", 200),
        ("GET", "/fhir/Appointment/SIJ-NONE", 404),
        ("GET", "/fhir/NoSuchType", 404),
        ("GET", "/fhir/Appointment?status=maybe", 400),
        ("DELETE", "/fhir/Slot", 405),
    ],
)
def test_every_fhir_answer_says_its_charset(client, clinic, api_token, method, path, status):
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {api_token('read')}"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == FHIR_CONTENT_TYPE


def test_an_unauthorised_answer_says_its_charset_too(client):
    response = client.get("/fhir/Practitioner")
    assert response.status_code == 401 and response.headers["Content-Type"] == FHIR_CONTENT_TYPE


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("POST", "/fhir/Slot", {"GET"}),
        ("DELETE", "/fhir/Appointment/SIJ-7K3M-Q9TX", {"GET"}),
        ("PUT", "/fhir/Appointment/$find", {"GET", "POST"}),
        ("DELETE", "/fhir/Appointment/$book", {"POST"}),
    ],
)
def test_a_405_names_the_methods_allowed(client, api_token, method, path, allowed):
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {api_token('read')}"})
    assert response.status_code == 405
    validate(response.json)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_long_url_is_a_414_operation_outcome(client, api_token):
    ids = ",".join(f"SIJ-{n:04d}-AAAA" for n in range(400))
    response = get(client, api_token("read"), f"/fhir/Appointment?_id={ids}")
    assert response.status_code == 414
    assert response.headers["Content-Type"] == FHIR_CONTENT_TYPE
    validate(response.json)
    assert response.json["issue"][0]["code"] == "too-long"


def test_a_url_under_the_limit_is_read(client, clinic, api_token):
    ids = ",".join(f"SIJ-{n:04d}-AAAA" for n in range(200))
    response = get(client, api_token("read"), f"/fhir/Appointment?_id={ids}")
    assert response.status_code == 400  # read, and refused for what it says (one _id at a time)
    assert response.json["issue"][0]["expression"] == ["_id"]


# ----- Slot fullUrls -----------------------------------------------------------------------------------


def test_every_slot_full_url_resolves_to_the_slot(client, clinic, visit, api_token):
    token = api_token("read")
    free = get(client, token, f"/fhir/Slot?service-type=evaluation&start=ge{DAY}&start=lt{DAY}T11:00:00-06:00").json
    busy = get(client, token, f"/fhir/Slot?status=busy&start=ge{DAY}&start=lt{DAY + timedelta(days=1)}").json
    entries = free["entry"] + busy["entry"]
    assert any(e["resource"]["status"] == "busy" for e in entries)
    for entry in entries:
        response = get(client, token, local(entry["fullUrl"]))
        assert response.status_code == 200, (entry["fullUrl"], response.get_data(as_text=True))
        assert response.headers["Content-Type"] == FHIR_CONTENT_TYPE
        assert response.json == entry["resource"]
        validate(response.json)


@pytest.mark.parametrize(
    "ident",
    ["free-1-1-209901011500", "free-1-999-202703081500", "free-1-1-202713451500", "busy-999999", "busy-x", "nope"],
)
def test_a_slot_that_is_not_offered_is_a_404(client, clinic, api_token, ident):
    response = get(client, api_token("read"), f"/fhir/Slot/{ident}")
    assert response.status_code == 404
    validate(response.json)


def test_a_free_slot_once_booked_is_no_longer_read_as_free(client, clinic, fhir_client, api_token):
    ehr = fhir_client("read", "book")
    token = api_token("read")
    day = f"start=ge{DAY}&start=lt{DAY}T10:00:00-06:00&schedule=Schedule/provider-{clinic['adams']}"
    slot = get(client, token, f"/fhir/Slot?service-type=evaluation&{day}").json["entry"][0]
    assert get(client, token, local(slot["fullUrl"])).status_code == 200
    found = ehr.find("evaluation", DAY.isoformat(), DAY.isoformat(), f"Practitioner/{clinic['adams']}").resource
    proposal = next(e["resource"] for e in found["entry"] if e["resource"]["start"] == slot["resource"]["start"])
    assert (
        ehr.book(proposal, patient_resource("Bea", "Lee", "1971-02-03", "507-555-0102", "b@example.com")).status == 201
    )
    assert get(client, token, local(slot["fullUrl"])).status_code == 404


# ----- $find paging ------------------------------------------------------------------------------------


def test_find_pages_with_next_links_and_a_total(client, clinic, api_token):
    token = api_token("read")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "service-type", "valueCoding": {"code": "evaluation"}},
            {"name": "start", "valueDate": DAY.isoformat()},
            {"name": "end", "valueDate": DAY.isoformat()},
            {"name": "_count", "valueInteger": 5},
        ],
    }
    page = client.post("/fhir/Appointment/$find", data=json.dumps(body), headers=headers).json
    validate(page)
    total, seen = page["total"], []
    assert total > 5 and len(page["entry"]) == 5
    while True:
        seen += [(e["resource"]["start"], e["fullUrl"]) for e in page["entry"]]
        assert page["total"] == total
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            break
        page = get(client, token, local(following[0])).json
        validate(page)
    assert len(seen) == total and len(set(seen)) == total


def test_find_clamps_a_large_count_and_counts_only_for_zero(client, clinic, api_token):
    token = api_token("read")
    query = f"/fhir/Appointment/$find?service-type=evaluation&start={DAY}&end={DAY}"
    clamped = get(client, token, f"{query}&_count=5000")
    assert clamped.status_code == 200 and len(clamped.json["entry"]) == clamped.json["total"]
    counted = get(client, token, f"{query}&_count=0")
    assert counted.status_code == 200 and counted.json["total"] == clamped.json["total"]
    assert "entry" not in counted.json


# ----- the OpenAPI document ----------------------------------------------------------------------------


def test_the_openapi_document_describes_bundle_and_outcome_items():
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["Bundle"]["properties"]["entry"]["items"] == {"$ref": "#/components/schemas/BundleEntry"}
    assert schemas["Bundle"]["properties"]["link"]["items"] == {"$ref": "#/components/schemas/BundleLink"}
    issue = schemas["OperationOutcome"]["properties"]["issue"]["items"]
    assert issue == {"$ref": "#/components/schemas/OperationOutcomeIssue"}


def test_openapi_python_client_generates_typed_search_results(tmp_path: Path):
    """The generator (a test dependency) reads the document without dropping a schema, and the
    generated search functions return the Bundle model (or the OperationOutcome model)."""
    document = tmp_path / "fhir-openapi.json"
    document.write_text(json.dumps(openapi_document()))
    generator = Path(sys.executable).with_name("openapi-python-client")
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(generator), "generate", "--path", str(document), "--meta", "none", "--output-path",
         str(tmp_path / "fhir_api_client")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "Failure to process schema" not in report and "removal of" not in report, report
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("fhir_api_client.models")
        for operation in ("search_appointment", "search_slot", "search_practitioner", "appointment_find"):
            module = importlib.import_module(f"fhir_api_client.api.default.{operation}")
            answer = inspect.signature(module.sync).return_annotation
            assert "Bundle" in str(answer) and "OperationOutcome" in str(answer), (operation, answer)
        parsed = models.Bundle.from_dict(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": 1,
                "link": [{"relation": "self", "url": "https://example.org/fhir/Slot"}],
                "entry": [
                    {
                        "fullUrl": "https://example.org/fhir/Slot/busy-1",
                        "resource": {"resourceType": "Slot", "id": "busy-1"},
                    }
                ],
            }
        )
        assert parsed.total == 1 and parsed.entry[0].resource.id == "busy-1"
        outcome = models.OperationOutcome.from_dict(
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "expression": ["_sort"]}],
            }
        )
        assert outcome.issue[0].expression == ["_sort"]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "fhir_api_client" or m.startswith("fhir_api_client.")]:
            del sys.modules[name]
