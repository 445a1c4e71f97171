"""An outside client, written from the FHIR specification alone, finds, holds and books a visit."""

from __future__ import annotations

import ast
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from scheduler.domain.clock import iso_central
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import participant
from tests.fhir.spec_client import patient_resource

ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")
BO = patient_resource("Bo", "Park", "1981-06-07", "507-555-0199", "bo.park@example.com")


def test_the_spec_client_imports_nothing_of_this_project():
    tree = ast.parse((Path(__file__).parent / "spec_client.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.split(".")[0] in ("scheduler", "tests")}


def test_a_client_finds_holds_and_books_a_visit_and_then_sees_it_in_appointment_search(
    app, clinic, fhir_client, signed_in
):
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3)
    found = ehr.find("evaluation", day.isoformat(), day.isoformat())
    assert found.status == 200, found.resource
    validate(found.resource)
    proposals = [e["resource"] for e in found.resource["entry"]]
    assert all(p["status"] == "proposed" for p in proposals)
    assert found.resource["total"] >= len(proposals) > 0
    ten = next(p for p in proposals if p["start"].startswith(f"{day.isoformat()}T10:00"))

    held = ehr.hold(ten)
    assert held.status == 200, held.resource
    validate(held.resource)
    assert held.resource["status"] == "pending"
    assert held.resource["start"] == ten["start"]
    assert [i["value"] for i in held.resource["identifier"]]  # the hold token, the key to $book it

    booked = ehr.book(held.resource, ANN)
    assert booked.status == 201, booked.resource
    validate(booked.resource)
    visit = booked.resource
    assert visit["status"] == "booked" and visit["start"] == ten["start"]
    assert participant(visit, "Practitioner") == participant(held.resource, "Practitioner")
    assert booked.headers["Location"].endswith(f"/fhir/Appointment/{visit['id']}")

    patient = participant(visit, "Patient")
    seen = ehr.search_all("Appointment", [("patient", patient), ("date", f"ge{day.isoformat()}")])
    assert [a["id"] for a in seen] == [visit["id"]]
    assert ehr.read("Appointment", visit["id"]).resource == seen[0]
    person = ehr.read("Patient", patient.split("/")[1])
    assert person.status == 200 and person.resource["birthDate"] == "1970-02-03"
    validate(person.resource)

    # The held time is gone from what others are offered, and its slot now shows busy.
    again = ehr.find("evaluation", day.isoformat(), day.isoformat(), practitioner=participant(visit, "Practitioner"))
    assert ten["start"] not in [e["resource"]["start"] for e in again.resource.get("entry", [])]
    schedule = "Schedule/provider-" + participant(visit, "Practitioner").split("/")[1]
    busy = ehr.search_all("Slot", [("schedule", schedule), ("status", "busy"), ("start", f"ge{day.isoformat()}")])
    assert [s["start"] for s in busy] == [ten["start"]]

    with app.app_context():
        row = db.session.execute(select(models.Appointment).filter_by(reference=visit["id"])).scalar_one()
        assert row.channel == "api" and row.status == "booked" and row.starts_at == datetime.fromisoformat(ten["start"])
        queued = db.session.execute(select(models.OutboxMessage).filter_by(appointment_id=row.id)).scalars().all()
        assert {(m.kind, m.channel) for m in queued} >= {("confirmed", "email")}
        assert db.session.execute(select(models.Hold)).scalars().all() == []  # the hold was used up
        booked_audit = db.session.execute(select(models.AuditEvent).filter_by(action="fhir.book")).scalar_one()
        assert booked_audit.actor_kind == "api" and booked_audit.patient_id == row.patient_id

    # The scheduler sees it on the staff calendar like any other visit.
    staff = app.test_client()
    signed_in(staff, "scheduler")
    page = staff.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}").get_data(as_text=True)
    assert "10 a.m.: Lee, Ann" in page


def test_a_conflicting_book_is_refused_with_an_operation_outcome_and_nothing_is_written(app, clinic, fhir_client):
    first, second = fhir_client("book"), fhir_client("read", "book")
    day = next_clinic_day(after_days=3)
    practitioner = f"Practitioner/{clinic['adams']}"
    proposal = next(
        e["resource"]
        for e in first.find("evaluation", day.isoformat(), day.isoformat(), practitioner).resource["entry"]
        if e["resource"]["start"].startswith(f"{day.isoformat()}T09:00")
    )
    held = first.hold(proposal)
    assert held.status == 200

    # Another client tries to book the same time with the same practitioner, without the hold.
    refused = second.book(proposal, BO)
    assert refused.status == 409, refused.resource
    validate(refused.resource)
    assert refused.outcome_codes == ["slot_taken"]
    assert refused.resource["issue"][0]["code"] == "conflict"
    assert second.hold(proposal).outcome_codes == ["slot_taken"]

    assert first.book(held.resource, ANN).status == 201
    # Booking the same held appointment again: the hold is used up and the time is taken.
    assert first.book(held.resource, BO).outcome_codes == ["slot_taken"]
    with app.app_context():
        rows = db.session.execute(select(models.Appointment)).scalars().all()
        assert [(r.provider_id, r.status) for r in rows] == [(clinic["adams"], "booked")]


def test_the_clinic_rules_refuse_with_the_json_api_codes(clinic, fhir_client):
    ehr = fhir_client("book")
    day = next_clinic_day(after_days=3)
    saturday = next_clinic_day(after_days=3, weekday=4) + timedelta(days=1)

    def book(start: datetime, service: str = "evaluation") -> tuple[int, list[str]]:
        appointment = {
            "resourceType": "Appointment",
            "start": iso_central(start),
            "serviceType": [{"coding": [{"code": service}]}],
        }
        answer = ehr.book(appointment, ANN)
        validate(answer.resource)
        return answer.status, answer.outcome_codes

    assert book(central(day, 7, 30)) == (422, ["outside_clinic_hours"])
    assert book(central(saturday, 10)) == (422, ["outside_clinic_hours"])
    assert book(central(day, 10, 5)) == (422, ["not_on_grid"])
    assert book(central(day, 10), service="injection") == (422, ["requires_request"])
    assert book(central(day, 10), service="no-such-visit") == (400, ["invalid_input"])
    assert book(central(day - timedelta(days=400), 10)) == (400, ["invalid_input"])  # in the past


def test_a_closed_afternoon_is_refused_as_clinic_closed_and_listed_as_not_available(app, clinic, fhir_client):
    day = next_clinic_day(after_days=5)
    with app.app_context():
        db.session.add(models.Closure(day=day, starts=time(12), ends=None, name="Staff training"))
        db.session.commit()
    ehr = fhir_client("book")
    appointment = {
        "resourceType": "Appointment",
        "start": iso_central(central(day, 13)),
        "serviceType": [{"coding": [{"code": "evaluation"}]}],
    }
    answer = ehr.book(appointment, ANN)
    assert (answer.status, answer.outcome_codes) == (422, ["clinic_closed"])
    found = ehr.find("evaluation", day.isoformat(), day.isoformat())
    assert found.resource["entry"]
    assert all(datetime.fromisoformat(e["resource"]["start"]) < central(day, 12) for e in found.resource["entry"])
    service = ehr.read("HealthcareService", "pmr").resource
    validate(service)
    closed = [n for n in service["notAvailable"] if day.isoformat() in n["during"]["start"]]
    assert [(n["during"]["start"], n["during"]["end"]) for n in closed] == [
        (iso_central(central(day, 12)), iso_central(central(day, 17)))
    ]
    assert service["availableTime"] == [
        {
            "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
            "availableStartTime": "08:00:00",
            "availableEndTime": "17:00:00",
        }
    ]
