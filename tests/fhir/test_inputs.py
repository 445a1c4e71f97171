"""Malformed operation bodies and search values are a 400 OperationOutcome, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate

DAY = next_clinic_day(after_days=3).isoformat()
PROPOSAL = {
    "resourceType": "Appointment",
    "start": f"{DAY}T09:00:00-06:00",
    "serviceType": [{"coding": [{"code": "evaluation"}]}],
}
PATIENT = {
    "resourceType": "Patient",
    "name": [{"family": "Lee", "given": ["Ann"]}],
    "birthDate": "1970-02-03",
    "telecom": [{"system": "email", "value": "ann@example.com"}],
}


def parameters(**values):
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": name, **({"resource": v} if isinstance(v, dict) and "resourceType" in v else {"valueString": v})}
            for name, v in values.items()
        ],
    }


BAD_BODIES = {
    "$find": [
        b"",
        b"not json",
        b"[]",
        json.dumps({"resourceType": "Bundle"}).encode(),
        json.dumps(parameters(**{"service-type": "evaluation", "start": DAY})).encode(),  # no end
        json.dumps(parameters(**{"service-type": "evaluation", "start": DAY, "end": "2020-01-01"})).encode(),
        json.dumps(parameters(**{"service-type": "evaluation", "start": "2027-02-30", "end": DAY})).encode(),
        json.dumps(parameters(**{"service-type": "eval\u0000uation", "start": DAY, "end": DAY})).encode(),
        json.dumps(parameters(**{"service-type": "evaluation", "start": "1800-01-01", "end": "1800-01-02"})).encode(),
        json.dumps(
            parameters(**{"service-type": "evaluation", "start": DAY, "end": DAY, "practitioner": "x/1"})
        ).encode(),
        json.dumps({"resourceType": "Parameters", "parameter": [{"name": "start", "valueInteger": 10**30}]}).encode(),
    ],
    "$hold": [
        json.dumps(parameters(start=f"{DAY}T09:00:00")).encode(),  # no offset, no service type
        json.dumps(parameters(appointment={**PROPOSAL, "start": "soon"})).encode(),
        json.dumps(parameters(appointment={**PROPOSAL, "serviceType": []})).encode(),
        json.dumps(
            parameters(appointment={**PROPOSAL, "participant": [{"actor": {"reference": "Practitioner/abc"}}]})
        ).encode(),
    ],
    "$book": [
        json.dumps(parameters(appointment=PROPOSAL)).encode(),  # no patient
        json.dumps(parameters(appointment=PROPOSAL, patient={**PATIENT, "telecom": []})).encode(),
        json.dumps(parameters(appointment=PROPOSAL, patient={**PATIENT, "birthDate": "2999-01-01"})).encode(),
        json.dumps(
            parameters(appointment=PROPOSAL, patient={**PATIENT, "name": [{"family": "\u0000", "given": ["A"]}]})
        ).encode(),
        json.dumps(
            parameters(
                appointment={
                    **PROPOSAL,
                    "identifier": [{"system": "urn:si-joint-clinic:fhir:hold-token", "value": "\u0000"}],
                },
                patient=PATIENT,
            )
        ).encode(),
        json.dumps(
            parameters(appointment=PROPOSAL, patient={**PATIENT, "telecom": [{"system": "phone", "value": "12"}]})
        ).encode(),
    ],
}


@pytest.mark.parametrize(
    "operation,body", [(op, body) for op, bodies in BAD_BODIES.items() for body in bodies], ids=lambda v: str(v)[:30]
)
def test_a_malformed_operation_body_is_a_400_operation_outcome(client, clinic, api_token, operation, body):
    headers = {"Authorization": f"Bearer {api_token('read', 'book')}", "Content-Type": "application/fhir+json"}
    response = client.post(f"/fhir/Appointment/{operation}", data=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    validate(response.json)
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "invalid_input"


def test_an_oversized_body_is_refused_before_it_is_read(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('book')}"}
    response = client.post("/fhir/Appointment/$book", data=b"{" + b" " * 70_000 + b"}", headers=headers)
    assert response.status_code == 413 and response.json["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Appointment?patient=Patient/abc",
        "/fhir/Appointment?patient=1,2",
        "/fhir/Appointment?date=ge2027-03-08T10:00",
        "/fhir/Appointment?status=maybe",
        "/fhir/Appointment?_offset=-1",
        "/fhir/Appointment?practitioner=Location/2",
        "/fhir/Slot?service-type=evaluation&start=%00",
        "/fhir/Schedule?_id=a%00b",
        "/fhir/Appointment?identifier=urn:x|SIJ%00",
    ],
)
def test_a_malformed_search_value_is_a_400(client, api_token, path):
    response = client.get(path, headers={"Authorization": f"Bearer {api_token('read')}"})
    assert response.status_code == 400, response.get_data(as_text=True)
    validate(response.json)


@pytest.mark.parametrize(
    "path", ["/fhir/Appointment/SIJ%00", "/fhir/Patient/%00", "/fhir/Patient/99999999999999", "/fhir/Location/x%00"]
)
def test_a_read_of_an_id_that_cannot_exist_is_a_404(client, api_token, path):
    response = client.get(path, headers={"Authorization": f"Bearer {api_token('read')}"})
    assert response.status_code == 404
    validate(response.json)


def test_a_get_find_takes_its_parameters_from_the_query_string(client, clinic, api_token):
    headers = {"Authorization": f"Bearer {api_token('read')}"}
    response = client.get(f"/fhir/Appointment/$find?service-type=evaluation&start={DAY}&end={DAY}", headers=headers)
    assert response.status_code == 200 and response.json["total"] > 0
    validate(response.json)
