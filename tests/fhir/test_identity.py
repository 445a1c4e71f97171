"""Issue 16, items 3-5: a patient on file is booked by reference, $find offers only what $book
accepts, and the Argonaut / IHE ITI Scheduling names and shapes are understood."""

from __future__ import annotations

from sqlalchemy import update

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import participant
from tests.fhir.spec_client import patient_resource

ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


def _first(ehr, kind, day, **extra):
    pairs = [("service-type", "valueCode", kind), ("start", "valueDate", day), ("end", "valueDate", day)]
    pairs += [(name, "valueReference", {"reference": ref}) for name, ref in extra.items()]
    return ehr._call("POST", "/Appointment/$find", ehr.parameters(*pairs))


def test_a_known_patient_is_booked_by_reference_and_may_then_book_the_follow_up_find_offered(app, clinic, fhir_client):
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3).isoformat()
    later = next_clinic_day(after_days=10).isoformat()
    first = _first(ehr, "evaluation", day).resource["entry"][0]["resource"]
    booked = ehr.book(first, ANN)
    assert booked.status == 201, booked.resource
    patient = participant(booked.resource, "Patient")
    with app.app_context():
        db.session.execute(update(models.Appointment).values(status="fulfilled"))
        db.session.commit()

    # Without the patient, a follow-up is never offered (it could never be booked).
    refused = _first(ehr, "follow-up", later)
    assert refused.status == 422 and refused.outcome_codes == ["routed_elsewhere"], refused.resource
    # With them, it is, and $book by reference (Argonaut names) books it for the same patient.
    found = _first(ehr, "follow-up", later, **{"patient-reference": patient})
    assert found.status == 200 and found.resource.get("entry"), found.resource
    validate(found.resource)
    proposal = found.resource["entry"][0]["resource"]
    again = ehr._call("POST", "/Appointment/$book", ehr.parameters(
        ("appt-resource", "resource", proposal), ("patient-reference", "valueReference", {"reference": patient})))
    assert again.status == 201, again.resource
    validate(again.resource)
    assert again.resource["resourceType"] == "Bundle"  # IHE: the return Bundle
    visit = again.resource["entry"][0]["resource"]
    assert participant(visit, "Patient") == patient and visit["serviceType"][0]["coding"][0]["code"] == "follow-up"
    with app.app_context():
        assert db.session.query(models.Patient).count() == 1


def test_patient_search_by_name_and_birth_date_together_never_by_a_name_alone(clinic, fhir_client):
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3).isoformat()
    ehr.book(_first(ehr, "evaluation", day).resource["entry"][0]["resource"], ANN)
    found = ehr.search("Patient", [("name", "Ann Lee"), ("birthdate", "1970-02-03")])
    assert found.status == 200 and found.resource["total"] == 1, found.resource
    validate(found.resource)
    assert ehr.search("Patient", [("name", "Lee")]).status == 400
    assert ehr.search("Patient", [("name", "Le"), ("birthdate", "1970-02-03")]).resource["total"] == 0


def test_an_mrn_is_kept_and_books_the_same_patient_again(app, clinic, fhir_client):
    ehr = fhir_client("read", "book")
    with app.app_context():
        from scheduler.settings import settings

        system = settings().patient_mrn_system
    day = next_clinic_day(after_days=3).isoformat()
    proposals = [e["resource"] for e in _first(ehr, "evaluation", day).resource["entry"]]
    with_mrn = {**ANN, "identifier": [{"system": system, "value": "MRN-12345"}]}
    assert ehr.book(proposals[0], with_mrn).status == 201
    found = ehr.search("Patient", [("identifier", f"{system}|MRN-12345")])
    assert found.resource["total"] == 1
    assert found.resource["entry"][0]["resource"]["identifier"][0]["value"] == "MRN-12345"
    validate(found.resource)
    other = ehr._call("POST", "/Appointment/$book", ehr.parameters(
        ("appointment", "resource", proposals[-1]),
        ("patient", "valueIdentifier", {"system": system, "value": "MRN-12345"})))
    assert other.status == 201, other.resource
    with app.app_context():
        assert db.session.query(models.Patient).count() == 1


def test_hold_answers_an_id_and_a_slot_reference_books(clinic, fhir_client):
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3).isoformat()
    proposal = _first(ehr, "evaluation", day).resource["entry"][0]["resource"]
    held = ehr.hold(proposal)
    assert held.status == 200 and held.resource["id"].startswith("hold-")
    validate(held.resource)
    slots = ehr.search("Slot", [("service-type", "evaluation"), ("status", "free"), ("start", f"ge{day}")])
    slot = slots.resource["entry"][-1]["resource"]
    booked = ehr._call("POST", "/Appointment/$book", ehr.parameters(
        ("appointment-resource", "resource", {"resourceType": "Appointment", "status": "pending",
                                              "slot": [{"reference": f"Slot/{slot['id']}"}]}),
        ("patient-resource", "resource", ANN)))
    assert booked.status == 201, booked.resource
    validate(booked.resource)
    assert booked.resource["entry"][0]["resource"]["start"] == slot["start"]


def test_code_systems_are_published_urls_served_as_code_systems(clinic, fhir_client):
    ehr = fhir_client("read")
    metadata = ehr.capabilities().resource
    assert {op["definition"] for op in metadata["rest"][0]["operation"]} == {
        f"https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-{name}"
        for name in ("find", "hold", "book")
    }
    system = ehr.read("HealthcareService", "pmr").resource["specialty"][0]["coding"][0]["system"]
    assert not system.startswith("urn:")
    served = ehr.read("CodeSystem", system.rsplit("/", 1)[-1])
    assert served.status == 200 and served.resource["url"] == system
    validate(served.resource)
