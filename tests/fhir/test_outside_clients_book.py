"""Outside FHIR clients (fhirpy, fhirclient) over real HTTP: find -> hold -> book for a patient on
file by Patient reference, then read the booking back; every answer validates with R4B."""

from __future__ import annotations

from typing import Any

from fhirclient.models.appointment import Appointment as FhirclientAppointment
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import participant
from tests.fhir.spec_client import patient_resource
from tests.fhir.test_search_strictness import served  # noqa: F401  (the app on a real port)

ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


def parameters(*pairs: tuple[str, str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": n, kind: v} for n, kind, v in pairs]}


def a_patient_on_file(client: SyncFHIRClient, day: str) -> str:
    """Book Ann once (as a new patient), so that she is on file: her Patient reference."""
    found = client.execute(
        "Appointment/$find",
        method="post",
        data=parameters(
            ("service-type", "valueCode", "evaluation"), ("start", "valueDate", day), ("end", "valueDate", day)
        ),
    )
    booked = client.execute(
        "Appointment/$book",
        method="post",
        data=parameters(("appointment", "resource", found["entry"][-1]["resource"]), ("patient", "resource", ANN)),
    )
    reference = participant(booked, "Patient")
    assert reference and reference.startswith("Patient/"), booked
    return reference


def test_fhirpy_finds_holds_and_books_for_a_patient_by_reference_and_reads_it_back(app, served, clinic, api_token):  # noqa: F811
    client = SyncFHIRClient(f"{served}/fhir", authorization=f"Bearer {api_token('read', 'book')}")
    day = next_clinic_day(after_days=3).isoformat()
    patient = a_patient_on_file(client, day)
    question = parameters(
        ("service-type", "valueCode", "evaluation"), ("start", "valueDate", day), ("end", "valueDate", day),
        ("patient-reference", "valueReference", {"reference": patient}),
    )  # fmt: skip
    found = client.execute("Appointment/$find", method="post", data=question)
    validate(found)
    proposal = found["entry"][0]["resource"]
    held = client.execute("Appointment/$hold", method="post", data=parameters(("appt-resource", "resource", proposal)))
    validate(held)
    held_appointment = held["entry"][0]["resource"] if held["resourceType"] == "Bundle" else held
    assert held_appointment.get("id"), held  # a resource with an id, as IHE asks
    booked = client.execute(
        "Appointment/$book",
        method="post",
        data=parameters(
            ("appt-resource", "resource", held_appointment),
            ("patient-reference", "valueReference", {"reference": patient}),
        ),
    )
    validate(booked)
    visit = booked["entry"][0]["resource"] if booked["resourceType"] == "Bundle" else booked
    assert participant(visit, "Patient") == patient and visit["start"] == proposal["start"]
    read_back = client.reference("Appointment", visit["id"]).to_resource()
    validate(read_back.serialize())
    assert read_back["status"] == "booked" and read_back["start"] == proposal["start"]
    with app.app_context():
        assert db.session.query(models.Patient).count() == 1  # the same person, never a second record


def test_fhirclient_books_for_a_patient_by_reference_and_reads_it_back(app, served, clinic, api_token):  # noqa: F811
    token = api_token("read", "book")
    day = next_clinic_day(after_days=4).isoformat()
    patient = a_patient_on_file(SyncFHIRClient(f"{served}/fhir", authorization=f"Bearer {token}"), day)
    server = FHIRServer(None, base_uri=f"{served}/fhir/")
    server.session.headers["Authorization"] = f"Bearer {token}"
    reference = {"reference": patient}
    found = server.post_json("Appointment/$find", parameters(
        ("service-type", "valueCode", "evaluation"), ("start", "valueDate", day), ("end", "valueDate", day),
        ("patient-reference", "valueReference", reference))).json()  # fmt: skip
    proposal = found["entry"][1]["resource"]
    booked = server.post_json(
        "Appointment/$book",
        parameters(("appt-resource", "resource", proposal), ("patient-reference", "valueReference", reference)),
    ).json()
    validate(booked)
    visit = booked["entry"][0]["resource"] if booked["resourceType"] == "Bundle" else booked
    read_back = FhirclientAppointment.read(visit["id"], server)
    assert read_back.status == "booked" and read_back.start.isostring == proposal["start"]
    assert any(p.actor.reference == patient for p in read_back.participant)
    validate(read_back.as_json())
    with app.app_context():
        assert db.session.query(models.Patient).count() == 1
