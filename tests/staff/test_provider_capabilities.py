"""Who does what: every entry point offers, and accepts, only a provider who performs the visit.

The property test draws random catalogs (providers of two specialties, each performing a random
set of visit types) and asks every entry point that offers times: the JSON API, FHIR ``$find``,
the phone console, the request queue and the patient pages. Each must offer only capable
providers (the API and FHIR exactly those), and the API and FHIR must refuse an incapable one by
name. The deterministic tests cover moves, request placement, follow-ups, the
providers list and the admin page.
"""

from __future__ import annotations

import copy
import html
import re
from datetime import date

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.errors import InvalidInput
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.services.integrations import create_api_client
from scheduler.services.seed import seed_catalog
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import clear_database
from tests.conftest import next_clinic_day
from tests.fhir.conftest import send_via
from tests.fhir.spec_client import FhirClient
from tests.public.conftest import answer_questions
from tests.public.conftest import first_day_page
from tests.staff.conftest import audit_events

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
SCHEDULER = staff_visits.Actor(staff_id=7, role="scheduler")
# Visit types a provider of each specialty may be given (follow-ups belong to every team).
PERFORMABLE = {"pmr": ("evaluation", "therapy", "follow-up"), "radiology-pain": ("injection", "xray", "follow-up")}
OFFERED = ("evaluation", "therapy", "injection", "xray")
# What FHIR $find offers a client that names no patient: what a new patient may book.
BOOKABLE = ("evaluation",)
SPECIALTY_OF = {"evaluation": "pmr", "therapy": "pmr", "injection": "radiology-pain", "xray": "radiology-pain"}


@st.composite
def clinics(draw: st.DrawFn) -> list[tuple[str, tuple[str, ...]]]:
    """Two to four providers: (specialty, the visit types they perform)."""
    providers = []
    for _ in range(draw(st.integers(2, 4))):
        specialty = draw(st.sampled_from(sorted(PERFORMABLE)))
        does = draw(st.lists(st.sampled_from(PERFORMABLE[specialty]), unique=True, max_size=3))
        providers.append((specialty, tuple(does)))
    return providers


def provider_of_slot(value: str) -> int:
    return int(html.unescape(value).rsplit("|", 1)[1])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=clinics())
def test_every_entry_point_offers_only_capable_providers_and_the_api_refuses_the_others(
    app, client, make_provider, make_room, signed_in, drawn
):
    with app.app_context():
        clear_database()
        seed_catalog()
        db.session.remove()
    make_room("fluoroscopy")
    make_room("xray")
    ids = [make_provider(specialty, visit_types=does) for specialty, does in drawn]
    capable = {
        code: {
            pid
            for pid, (specialty, does) in zip(ids, drawn, strict=True)
            if specialty == SPECIALTY_OF[code] and code in does
        }
        for code in OFFERED
    }
    day = next_clinic_day(after_days=3)
    with app.app_context():
        token = create_api_client("EHR", ("read", "book")).token
    ehr = FhirClient(send_via(client), "/fhir", token)
    signed_in(client, "phone")

    for code in OFFERED:
        # The JSON API: every provider who does it (all work all day, nothing booked), nobody else.
        answer = client.get(f"/api/v1/availability?visit_type={code}&from={day.isoformat()}&days=1")
        assert answer.status_code == 200, answer.json
        assert {s["provider"]["id"] for s in answer.json["slots"]} == capable[code], code
        # FHIR $find (which offers the visits patients book themselves): the same providers.
        if code in BOOKABLE:
            found = ehr.find(code, day.isoformat(), day.isoformat())
            assert found.status == 200, found.resource
            practitioners = {
                int(p["actor"]["reference"].split("/")[1])
                for entry in found.resource.get("entry", [])
                for p in entry["resource"]["participant"]
                if p["actor"]["reference"].startswith("Practitioner/")
            }
            assert practitioners == capable[code], code
            # $hold of one of those times with someone who does not do it: refused, saying why.
            for incapable in sorted(set(ids) - capable[code])[:1]:
                if found.resource.get("entry"):
                    proposal = copy.deepcopy(found.resource["entry"][0]["resource"])
                    for p in proposal["participant"]:
                        if p["actor"]["reference"].startswith("Practitioner/"):
                            p["actor"] = {"reference": f"Practitioner/{incapable}"}
                    held = ehr.hold(proposal)
                    assert held.status in (400, 422) and "does not do" in str(held.resource), held.resource
        for incapable in set(ids) - capable[code]:
            refused = client.get(
                f"/api/v1/availability?visit_type={code}&from={day.isoformat()}&days=1&provider={incapable}"
            )
            assert refused.status_code == 422 and "provider_id" in str(refused.json), refused.json

    # The API refuses to book an evaluation with anyone who does not do evaluations, by name.
    for incapable in set(ids) - capable["evaluation"]:
        refused = client.post("/api/v1/appointments", json=booking_json(central(day, 9), provider_id=incapable))
        assert refused.status_code == 422, refused.json
        assert "does not do comprehensive si joint evaluation visits" in str(refused.json).lower()

    # The phone console: a new caller is routed to an evaluation; only its performers are offered.
    page = client.post(
        "/staff/phone/book",
        data={
            "given_name": "Cara",
            "family_name": "Diaz",
            "birth_date_text": "3/27/1970",
            "phone": "507-555-0177",
            "requested": "evaluation",
            "seen_before": "no",
            "cause": "trauma",
            "referred": "no",
            "action": "find",
        },  # fmt: skip
    ).get_data(as_text=True)
    offered = {provider_of_slot(v) for v in re.findall(r'name="slot" value="([^"]+)"', page)}
    assert offered <= capable["evaluation"]
    assert bool(offered) == bool(capable["evaluation"])

    # The request queue: a returning patient's injection request, placed at the times suggested.
    with app.app_context():
        visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={}, channel="web"
        )
    client.post("/staff/logout")
    signed_in(client, "scheduler")
    queue = client.get("/staff/queue?specialty=radiology-pain").get_data(as_text=True)
    suggested = {provider_of_slot(v) for v in re.findall(r'name="slot" value="([^"]+)"', queue)}
    assert suggested <= capable["injection"] and bool(suggested) == bool(capable["injection"])

    # The patient pages: a new patient's evaluation, the times offered to choose from.
    client.post("/staff/logout")
    app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain http
    answer_questions(client)
    times = first_day_page(client).get_data(as_text=True) if capable["evaluation"] else ""
    chosen_from = {provider_of_slot(v) for v in re.findall(r'name="slot" value="([^"]+)"', times)}
    assert chosen_from <= capable["evaluation"] and bool(chosen_from) == bool(capable["evaluation"])


def test_a_move_never_hands_a_visit_to_a_provider_who_does_not_do_it(app, make_provider):
    physiatrist = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    therapist = make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("therapy",))
    day = next_clinic_day(after_days=5)
    with app.app_context():
        booked = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 9), patient=ANN, actor=SCHEDULER
        )
        assert booked.appointment.provider.id == physiatrist
        with pytest.raises(InvalidInput) as refused:
            staff_visits.move(
                booked.appointment.id, central(day, 11), actor=SCHEDULER, notify=False, provider_id=therapist
            )
        assert "Grace Thorsen, PT (Physical therapist) does not do comprehensive" in refused.value.message
        db.session.rollback()
        visit = db.session.get(models.Appointment, booked.appointment.id)
        assert (visit.provider_id, visit.starts_at) == (physiatrist, central(day, 9))
        moved = staff_visits.move(booked.appointment.id, central(day, 11), actor=SCHEDULER, notify=False)
        assert moved.provider.id == physiatrist  # "any provider" means any capable one


def test_a_placed_request_goes_only_to_a_provider_who_performs_it(app, make_provider, make_room):
    make_provider("radiology-pain", name="Dr. Chen", kind="pain-physician", visit_types=("injection", "follow-up"))
    technologist = make_provider(
        "radiology-pain", name="Jordan Baptiste, RT(R)", kind="imaging-technologist", visit_types=("xray", "ct")
    )
    make_room("fluoroscopy")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={}, channel="web"
        ).request
        with pytest.raises(InvalidInput):
            staff_visits.place_request(request.id, central(day, 10), actor=SCHEDULER, provider_id=technologist)
        db.session.rollback()
        placed = staff_visits.place_request(request.id, central(day, 10), actor=SCHEDULER)
        assert placed.appointment.provider.name == "Dr. Chen"


def test_a_follow_up_goes_to_the_last_provider_when_capable_and_free_else_a_capable_colleague(app, make_provider):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    okafor = make_provider("pmr", name="Dr. Okafor", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    therapist = make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("therapy",))
    first = next_clinic_day(after_days=3)
    later = next_clinic_day(after_days=10)
    follow_up = Intake("follow-up", True, "trauma", False)
    with app.app_context():
        # Ann's last visit was with Dr. Okafor (the busier of the two physicians that day).
        staff_visits.book_for_patient(visit_type_code="evaluation", start=central(first, 8), patient=
                                      PatientDetails("Bo", "Ray", date(1960, 1, 1), "+15075550102", None),
                                      actor=SCHEDULER, provider_id=lin)  # fmt: skip
        last = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(first, 10), patient=ANN, actor=SCHEDULER, provider_id=okafor
        )
        db.session.get(models.Appointment, last.appointment.id).status = AppointmentStatus.FULFILLED
        db.session.commit()
        request = visit_requests.submit_request(intake=follow_up, patient=ANN, preferences={}, channel="web")
        assert request.decision.preferred_provider_id == okafor
        # Dr. Okafor is free, and preferred although Dr. Lin's day is lighter.
        placed = staff_visits.place_request(request.request.id, central(later, 9), actor=SCHEDULER)
        assert placed.appointment.provider.id == okafor

        # After a therapy session the last provider does no follow-ups: a capable colleague does.
        staff_visits.cancel(placed.appointment.id, "", actor=SCHEDULER, notify=False)
        therapy = staff_visits.book_for_patient(
            visit_type_code="therapy", start=central(first, 13), patient=ANN, actor=SCHEDULER
        )
        assert therapy.appointment.provider.id == therapist
        db.session.get(models.Appointment, therapy.appointment.id).status = AppointmentStatus.FULFILLED
        db.session.commit()
        again = visit_requests.submit_request(intake=follow_up, patient=ANN, preferences={}, channel="web")
        assert again.decision.preferred_provider_id == therapist
        placed = staff_visits.place_request(again.request.id, central(later, 9), actor=SCHEDULER)
        assert placed.appointment.provider.id in (lin, okafor)


def test_the_providers_list_names_each_kind_and_what_they_do_and_every_offered_slot_fits_it(
    app, client, make_provider, make_room
):
    make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("therapy",))
    make_provider("radiology-pain", name="Jordan Baptiste, RT(R)", kind="imaging-technologist", visit_types=("xray",))
    make_room("xray")
    listed = client.get("/api/v1/providers")
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    by_name = {p["name"]: p for p in listed.json["providers"]}
    assert by_name["Grace Thorsen, PT"]["kind"] == "physical-therapist"
    assert by_name["Grace Thorsen, PT"]["kind_label"] == "Physical therapist"
    assert by_name["Grace Thorsen, PT"]["visit_types"] == ["therapy"]
    assert by_name["Dr. Lin"]["visit_types"] == ["evaluation", "follow-up"]
    assert by_name["Jordan Baptiste, RT(R)"]["specialty"]["code"] == "radiology-pain"
    does = {p["id"]: set(p["visit_types"]) for p in listed.json["providers"]}
    day = next_clinic_day(after_days=3)
    for code in ("evaluation", "therapy", "xray"):
        slots = client.get(f"/api/v1/availability?visit_type={code}&from={day.isoformat()}&days=3").json["slots"]
        assert slots and all(code in does[s["provider"]["id"]] for s in slots)
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/api/v1/providers"]["get"]["operationId"] == "listProviders"
    assert "visit_types" in document["components"]["schemas"]["ProviderListedOut"]["properties"]


def test_an_admin_sets_a_providers_kind_and_visit_types_and_the_change_is_offered_at_once(app, client, signed_in):
    signed_in(client, "admin")
    hours = {"monday": "8:00-17:00", "tuesday": "8:00-17:00", "wednesday": "8:00-17:00",
             "thursday": "8:00-17:00", "friday": "8:00-17:00"}  # fmt: skip
    # A new therapist with nothing ticked takes what therapists usually do.
    created = client.post(
        "/staff/admin/providers/new",
        data={"name": "Grace Thorsen, PT", "specialty": "pmr", "kind": "physical-therapist", "active": "y", **hours},
    )
    assert created.status_code == 302
    with app.app_context():
        grace = db.session.execute(select(models.Provider).filter_by(name="Grace Thorsen, PT")).scalar_one()
        assert (grace.kind, [v.code for v in grace.visit_types]) == ("physical-therapist", ["therapy"])
        grace_id = grace.id
    day = next_clinic_day(after_days=3)
    assert client.get(f"/api/v1/availability?visit_type=evaluation&from={day.isoformat()}&days=1").json["slots"] == []
    page = client.get(f"/staff/admin/providers/{grace_id}").get_data(as_text=True)
    assert re.search(r'value="therapy" checked', page) and not re.search(r'value="evaluation" checked', page)

    # An injection is Radiology & Pain Medicine's: refused for a PM&R provider, with what was typed kept.
    refused = client.post(
        f"/staff/admin/providers/{grace_id}",
        data={
            "name": "Grace T., PT",
            "specialty": "pmr",
            "kind": "physical-therapist",
            "active": "y",
            "visit_types": ["therapy", "injection"],
            **hours,
        },  # fmt: skip
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Fluoroscopy-guided SI joint injection is a Radiology &amp; Pain Medicine visit" in page
    assert 'value="Grace T., PT"' in page and re.search(r'value="injection" checked', page)
    with app.app_context():
        assert db.session.get(models.Provider, grace_id).name == "Grace Thorsen, PT"

    # She also does evaluations now: offered at once, and the change is audited with what she does.
    changed = client.post(
        f"/staff/admin/providers/{grace_id}",
        data={
            "name": "Grace Thorsen, PT",
            "specialty": "pmr",
            "kind": "physical-therapist",
            "active": "y",
            "visit_types": ["therapy", "evaluation"],
            **hours,
        },  # fmt: skip
    )
    assert changed.status_code == 302
    slots = client.get(f"/api/v1/availability?visit_type=evaluation&from={day.isoformat()}&days=1").json["slots"]
    assert {s["provider"]["id"] for s in slots} == {grace_id}
    assert slots[0]["provider"]["kind_label"] == "Physical therapist"
    last = audit_events(app, "provider.update")[-1]
    assert last.detail == "physical-therapist; performs evaluation, therapy"


def test_the_demo_clinic_has_technologists_for_imaging_and_therapists_only_for_therapy(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        providers = db.session.execute(select(models.Provider)).scalars().all()
        does = {p.name: (p.kind, {v.code for v in p.visit_types}) for p in providers}
    assert does["Grace Thorsen, PT"] == ("physical-therapist", {"therapy"})
    assert does["Dr. Maya Lindqvist"] == ("physiatrist", {"evaluation", "follow-up"})
    assert does["Dr. Priya Raman"] == ("pain-physician", {"injection", "neurotomy", "follow-up"})
    assert [n for n, (kind, _) in does.items() if kind == "imaging-technologist"] == [
        "Jordan Baptiste, RT(R)", "Mei Tanaka, RT(CT)",
    ]  # fmt: skip
    with app.app_context():
        visits = db.session.execute(select(models.Appointment)).scalars().all()
        assert visits and all(v.visit_type in v.provider.visit_types for v in visits)
