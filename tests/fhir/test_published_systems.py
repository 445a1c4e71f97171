"""Issue 16, item 5: every code and identifier system of ours is a published URL of this service
that resolves (a CodeSystem at /fhir/CodeSystem/<name>, a NamingSystem at /fhir/sid/<name>), and
the urn: names they replace are still accepted on input."""

from __future__ import annotations

import inspect
from urllib.parse import quote
from urllib.parse import urlsplit

import pytest

from scheduler.domain import errors
from scheduler.web.fhir.outcomes import ERROR_CODES
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")
DAY = next_clinic_day(after_days=3).isoformat()
LEGACY = "urn:si-joint-clinic:fhir"


def systems_in(value, found=None) -> set[str]:
    """Every ``system`` (and extension-free ``url`` of a coding) anywhere in a resource."""
    found = set() if found is None else found
    if isinstance(value, dict):
        if isinstance(value.get("system"), str):
            found.add(value["system"])
        for item in value.values():
            systems_in(item, found)
    elif isinstance(value, list):
        for item in value:
            systems_in(item, found)
    return found


@pytest.fixture
def base(app) -> str:
    return app.config["PUBLIC_BASE_URL"].rstrip("/")


def test_the_error_hold_token_and_reference_systems_are_published_urls(client, clinic, fhir_client, base):
    ehr = fhir_client("read", "book")
    proposal = ehr.find("evaluation", DAY, DAY).resource["entry"][0]["resource"]
    held = ehr.hold(proposal).resource
    booked = ehr.book(held, ANN).resource
    refused = ehr.find("no-such-visit", DAY, DAY).resource
    assert held["identifier"][0]["system"] == f"{base}/fhir/sid/hold-token"
    assert booked["identifier"][0]["system"] == f"{base}/fhir/sid/appointment-reference"
    assert refused["issue"][0]["details"]["coding"][0]["system"] == f"{base}/fhir/CodeSystem/error"
    for resource in (held, booked, refused, ehr.capabilities().resource):
        assert not any(s.startswith("urn:") for s in systems_in(resource)), systems_in(resource)
    assert f"{LEGACY}:" not in str(ehr.capabilities().resource)


def test_every_published_url_resolves(client, clinic, fhir_client, base):
    ehr, anonymous = fhir_client("read", "book"), fhir_client(token=None)
    proposal = ehr.find("evaluation", DAY, DAY).resource["entry"][0]["resource"]
    held = ehr.hold(proposal).resource
    booked = ehr.book(held, ANN).resource
    patient = ehr.read("Patient", booked["participant"][-1]["actor"]["reference"].split("/")[1]).resource
    refused = ehr.find("no-such-visit", DAY, DAY).resource
    ours = {s for r in (held, booked, patient, refused, proposal) for s in systems_in(r) if s.startswith(base)}
    assert {f"{base}/fhir/CodeSystem/{n}" for n in ("error", "visit-type", "specialty")} <= ours
    assert {f"{base}/fhir/sid/{n}" for n in ("hold-token", "appointment-reference")} <= ours
    for url in sorted(ours | {f"{base}/fhir/sid/mrn"}):  # the MRN's: this patient was booked without one
        path = urlsplit(url).path.removeprefix("/fhir")
        kind, name = path.strip("/").split("/")
        # A code system is read as any resource (a token); an identifier system's URL needs none.
        answer = ehr._call("GET", path) if kind == "CodeSystem" else anonymous._call("GET", path)
        assert answer.status == 200, (url, answer.resource)
        validate(answer.resource)
        if kind == "CodeSystem":
            assert answer.resource["url"] == url and answer.resource["concept"]
        else:
            assert answer.resource["resourceType"] == "NamingSystem" and answer.resource["kind"] == "identifier"
            preferred = [u["value"] for u in answer.resource["uniqueId"] if u.get("preferred")]
            assert preferred == [url]
            assert ehr.read("NamingSystem", name).resource == answer.resource
    assert anonymous._call("GET", "/sid/nothing").status == 404


def test_the_old_urns_are_named_beside_the_urls_they_were_replaced_by(client, clinic, fhir_client, base):
    found = fhir_client(token=None)._call("GET", "/sid/hold-token").resource
    assert {(u["value"], u["preferred"]) for u in found["uniqueId"]} == {
        (f"{base}/fhir/sid/hold-token", True),
        (f"{LEGACY}:hold-token", False),
    }
    listed = fhir_client("read").search("NamingSystem", []).resource
    assert {e["resource"]["id"] for e in listed["entry"]} == {"appointment-reference", "hold-token", "mrn"}


def test_the_mrn_system_is_not_ours_to_describe_when_the_hospital_names_its_own(app, client, clinic, fhir_client):
    app.config["PATIENT_MRN_SYSTEM"] = "urn:oid:2.16.840.1.113883.3.999"
    assert fhir_client(token=None)._call("GET", "/sid/mrn").status == 404
    assert fhir_client(token=None)._call("GET", "/sid/hold-token").status == 200


def test_the_error_code_system_names_every_code_a_refusal_can_carry(clinic, fhir_client):
    served = fhir_client("read").read("CodeSystem", "error").resource
    validate(served)
    codes = {c["code"] for c in served["concept"]}
    assert codes == set(ERROR_CODES) and served["count"] == len(codes)
    refusals = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.DomainError)]
    assert {c.code for c in refusals} <= codes
    assert all(c.get("definition") for c in served["concept"])


def test_a_hold_token_in_the_old_urn_still_books(client, clinic, fhir_client):
    ehr = fhir_client("read", "book")
    held = ehr.hold(ehr.find("evaluation", DAY, DAY).resource["entry"][0]["resource"]).resource
    token = held["identifier"][0]["value"]
    held["identifier"] = [{"system": f"{LEGACY}:hold-token", "value": token}]
    booked = ehr.book(held, ANN)
    assert booked.status == 201, booked.resource
    # The hold was used: the time is booked under it, not merely booked because it was free.
    assert ehr.hold(held).status == 409


@pytest.mark.parametrize("system", ["published", "legacy"])
def test_an_appointment_is_found_by_its_reference_in_either_system(client, clinic, fhir_client, base, system):
    ehr = fhir_client("read", "book")
    booked = ehr.book(ehr.find("evaluation", DAY, DAY).resource["entry"][0]["resource"], ANN).resource
    named = f"{base}/fhir/sid/appointment-reference" if system == "published" else f"{LEGACY}:appointment-reference"
    found = ehr._call("GET", f"/Appointment?identifier={quote(named + '|' + booked['id'], safe='')}").resource
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == booked["id"]


def test_a_red_flag_in_the_old_urn_is_still_read(client, clinic, fhir_client):
    ehr = fhir_client("read", "book")
    proposal = ehr.find("evaluation", DAY, DAY).resource["entry"][0]["resource"]
    proposal["reasonCode"] = [{"coding": [{"system": f"{LEGACY}:red-flag", "code": "fever"}]}]
    refused = ehr.book(proposal, ANN)
    assert refused.status == 422 and refused.outcome_codes == ["urgent"]
