"""Every resource /fhir emits is valid FHIR (fhir.resources, R4B), and every Slot is in clinic hours."""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.services.holds import hold_time
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

CENTRAL = ZoneInfo("America/Chicago")
ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


@pytest.fixture
def busy_clinic(app, clinic, make_room, fhir_client):
    """The clinic with a room, a closure, one booked visit (via FHIR) and one hold."""
    make_room("fluoroscopy", name="Fluoro 1")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        db.session.add(models.Closure(day=day + timedelta(days=1), starts=None, ends=None, name="Inventory"))
        db.session.commit()
        hold_time("evaluation", central(day, 14), provider_id=clinic["baker"], channel="api")
    ehr = fhir_client("read", "book")
    proposal = next(
        e["resource"]
        for e in ehr.find("evaluation", day.isoformat(), day.isoformat(), f"Practitioner/{clinic['adams']}").resource[
            "entry"
        ]
        if e["resource"]["start"].startswith(f"{day.isoformat()}T09:00")
    )
    booked = ehr.book(proposal, ANN)
    assert booked.status == 201
    return {"day": day, "ehr": ehr, "appointment": booked.resource}


def test_every_resource_type_validates_against_fhir_r4b(busy_clinic, clinic):
    ehr, day, visit = busy_clinic["ehr"], busy_clinic["day"], busy_clinic["appointment"]
    answers = [
        ehr.capabilities(),
        ehr.search("Practitioner", []),
        ehr.read("Practitioner", str(clinic["adams"])),
        ehr.search("Schedule", []),
        ehr.search("Schedule", [("actor", f"Practitioner/{clinic['chen']}")]),
        ehr.read("Schedule", f"provider-{clinic['adams']}"),
        ehr.search("Location", []),
        ehr.read("Location", "clinic"),
        ehr.search("HealthcareService", []),
        ehr.read("HealthcareService", "radiology-pain"),
        ehr.search("Slot", [("service-type", "evaluation"), ("start", f"ge{day.isoformat()}"), ("_count", "5")]),
        ehr.search("Slot", [("status", "busy,busy-tentative"), ("start", f"ge{day.isoformat()}")]),
        ehr.search("Appointment", [("date", f"eq{day.isoformat()}"), ("status", "booked")]),
        ehr.read("Appointment", visit["id"]),
        ehr.read(
            "Patient",
            next(p for p in visit["participant"] if "Patient" in p["actor"]["reference"])["actor"]["reference"].split(
                "/"
            )[1],
        ),
        ehr.read("Practitioner", "999999"),
        ehr.search("Slot", [("status", "free")]),
    ]
    for answer in answers:
        assert answer.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
        validate(answer.resource)
    kinds = [a.resource["resourceType"] for a in answers]
    assert kinds.count("OperationOutcome") == 2 and answers[-1].status == 400 and answers[-2].status == 404
    assert answers[4].resource["total"] == 1  # one schedule has Dr. Chen as its actor
    locations = {r["resource"]["id"] for r in answers[6].resource["entry"]}
    assert "clinic" in locations and any(i.startswith("room-") for i in locations)
    busy = [e["resource"] for e in answers[11].resource["entry"]]
    assert sorted(s["status"] for s in busy) == ["busy", "busy-tentative"]


def test_a_search_pages_with_next_links_and_a_total(busy_clinic):
    ehr, day = busy_clinic["ehr"], busy_clinic["day"]
    params = [("service-type", "evaluation"), ("start", f"ge{day.isoformat()}"), ("start", f"lt{day + timedelta(7)}")]
    first = ehr.search("Slot", [*params, ("_count", "10")])
    total = first.resource["total"]
    assert total > 10 and len(first.resource["entry"]) == 10
    assert [link["relation"] for link in first.resource["link"]] == ["self", "next"]
    everything = ehr.search_all("Slot", [*params, ("_count", "10")])
    assert len(everything) == total == len({s["id"] for s in everything})
    assert [s["start"] for s in everything] == sorted(s["start"] for s in everything)
    one_page = ehr.search("Slot", [*params, ("_count", "1000")]).resource
    assert [e["resource"]["id"] for e in one_page["entry"]] == [s["id"] for s in everything]


@pytest.mark.parametrize(
    "query",
    [
        [("start", "ge2027-13-45")],
        [("start", "sa2027-03-08")],
        [("start", "ge1850-01-01")],
        [("status", "open")],
        [("service-type", "Evaluation!")],
        [("service-type", "no-such-visit")],
        [("schedule", "Schedule/doctor-3")],
        [("schedule", "Practitioner/3")],
        [("_count", "-1")],  # 0 is a count only (test_search_strictness)
        [("_count", "ten")],
        [("start", "ge2027-03-01"), ("start", "lt2027-06-01")],
        [("specialty", "dentistry")],
    ],
)
def test_unusable_slot_search_parameters_are_a_400_naming_the_parameter(clinic, fhir_client, query):
    answer = fhir_client("read").search("Slot", [("service-type", "evaluation"), *query])
    assert answer.status == 400, answer.resource
    assert answer.outcome_codes == ["invalid_input"] and answer.resource["issue"][0].get("expression")
    validate(answer.resource)


def test_every_slot_lies_within_clinic_hours_on_weekdays(app, busy_clinic, clinic):
    ehr = busy_clinic["ehr"]
    today = datetime.now(CENTRAL).date()
    drill = next_clinic_day(after_days=8)
    with app.app_context():  # a part-day closure too: slots must stop at it
        db.session.add(models.Closure(day=drill, starts=time(15), ends=None, name="Drill"))
        db.session.commit()
    seen = 0
    for service in ("evaluation", "therapy", "follow-up"):
        for offset in (0, 31):
            start = today + timedelta(days=offset)
            params = [("service-type", service), ("start", f"ge{start}"), ("start", f"lt{start + timedelta(31)}")]
            for slot in ehr.search_all("Slot", [*params, ("_count", "1000")]):
                begins = datetime.fromisoformat(slot["start"])
                ends = datetime.fromisoformat(slot["end"])
                local_start, local_end = begins.astimezone(CENTRAL), ends.astimezone(CENTRAL)
                assert begins.utcoffset() == local_start.utcoffset()  # written with the Central offset
                assert local_start.weekday() < 5 and local_start.date() == local_end.date()
                assert time(8) <= local_start.time() and local_end.time() <= time(17), slot
                assert not (local_start.date() == drill and local_end.time() > time(15))
                seen += 1
    assert seen > 500
