"""A search never answers more than was asked (issue 16, item 1).

An unknown or unsupported parameter, modifier, chain, ``_include`` or ``_sort`` is a 400
OperationOutcome naming it; ``Prefer: handling=lenient`` ignores it and leaves it out of the
``self`` link. ``_summary=count`` and ``_count=0`` give the total only (fhirpy's ``count()``),
``_count`` over the maximum is read as the maximum, the identifier system is honoured, and
Appointment answers ``_lastUpdated`` and ``status:not``. fhirpy and fhirclient search and page
over real HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from fhirclient.models.bundle import Bundle as FhirclientBundle
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient
from sqlalchemy import update
from werkzeug.serving import make_server

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

DAY = next_clinic_day(after_days=3)
LENIENT = {"Prefer": "handling=lenient"}


@pytest.fixture
def booked(app, clinic, fhir_client):
    """Two visits booked through FHIR (09:00 and 10:00 with Dr. Adams); the second cancelled."""
    ehr = fhir_client("read", "book")
    found = ehr.find("evaluation", DAY.isoformat(), DAY.isoformat(), f"Practitioner/{clinic['adams']}").resource
    visits = []
    for hour, who in (("09:00", "Ann"), ("10:00", "Bea")):
        proposal = next(e["resource"] for e in found["entry"] if f"T{hour}" in e["resource"]["start"])
        answer = ehr.book(proposal, patient_resource(who, "Lee", "1970-02-03", "507-555-0101", f"{who}@example.com"))
        assert answer.status == 201, answer.resource
        visits.append(answer.resource)
    with app.app_context():
        db.session.execute(
            update(models.Appointment).where(models.Appointment.reference == visits[1]["id"]).values(status="cancelled")
        )
        db.session.commit()
    return visits


def get(client, token, path, headers=None):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **(headers or {})})


def self_params(bundle) -> list[tuple[str, str]]:
    url = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    return parse_qsl(urlsplit(url).query)


@pytest.mark.parametrize(
    "path,named",
    [
        ("/fhir/Appointment?patient.identifier=urn:mrn|12345", "patient.identifier"),
        ("/fhir/Appointment?status:missing=true", "status:missing"),
        ("/fhir/Appointment?_include=Appointment:patient", "_include"),
        ("/fhir/Appointment?_revinclude=Provenance:target", "_revinclude"),
        ("/fhir/Appointment?_sort=-date", "_sort"),
        ("/fhir/Appointment?actor=Practitioner/1", "actor"),
        ("/fhir/Slot?service-type=evaluation&_sort=start", "_sort"),
        ("/fhir/Slot?service-type=evaluation&schedule.actor=Practitioner/1", "schedule.actor"),
        ("/fhir/Practitioner?name=Adams", "name"),
        ("/fhir/Schedule?actor:missing=false", "actor:missing"),
        ("/fhir/Location?_elements=name", "_elements"),
        ("/fhir/HealthcareService?_contained=true", "_contained"),
        ("/fhir/Patient?identifier=x&_sort=birthdate", "_sort"),
        ("/fhir/Patient?identifier=x&_include=Patient:organization", "_include"),
    ],
)
@pytest.mark.parametrize("prefer", [None, "handling=strict"])
def test_an_unsupported_search_parameter_is_a_400_naming_it(client, clinic, api_token, path, named, prefer):
    response = get(client, api_token("read"), path, {"Prefer": prefer} if prefer else {})
    assert response.status_code == 400, response.get_data(as_text=True)
    validate(response.json)
    issue = response.json["issue"][0]
    assert issue["expression"] == [named] and f"'{named}'" in issue["details"]["text"]
    assert issue["details"]["coding"][0]["code"] == "invalid_input"


def test_the_examples_of_the_issue_no_longer_answer_every_appointment(client, booked, api_token):
    token = api_token("read")
    for query in ("patient.identifier=urn:mrn|12345", "_lastUpdated=gt2099-01-01", "status:not=cancelled"):
        answer = get(client, token, f"/fhir/Appointment?{query}").json
        assert answer["resourceType"] == "OperationOutcome" or answer["total"] < 2, (query, answer)


def test_lenient_handling_ignores_an_unsupported_parameter_and_leaves_it_out_of_the_self_link(
    client, booked, api_token
):
    path = "/fhir/Appointment?_sort=-date&patient.identifier=urn:mrn|1&status=booked&_include=Appointment:actor"
    response = get(client, api_token("read"), path, LENIENT)
    assert response.status_code == 200, response.get_data(as_text=True)
    validate(response.json)
    assert response.json["total"] == 1
    names = [name for name, _ in self_params(response.json)]
    assert "status" in names and not {"_sort", "patient.identifier", "_include"} & set(names)


def test_lenient_is_read_among_other_preferences(client, clinic, api_token):
    response = get(
        client, api_token("read"), "/fhir/Practitioner?name=Adams", {"Prefer": "return=minimal, handling=lenient"}
    )
    assert response.status_code == 200 and response.json["total"] == 3


@pytest.mark.parametrize("query", ["_summary=count", "_count=0", "_summary=count&_count=5"])
def test_a_count_only_search_answers_the_total_and_no_entries(client, booked, api_token, query):
    response = get(client, api_token("read"), f"/fhir/Appointment?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    validate(response.json)
    assert response.json["total"] == 2 and "entry" not in response.json
    assert [link["relation"] for link in response.json["link"]] == ["self"]


def test_a_count_only_slot_search_has_a_total_and_no_entries(client, clinic, api_token):
    path = f"/fhir/Slot?service-type=evaluation&start=ge{DAY}&start=lt{DAY}T23:00:00-06:00&_summary=count"
    response = get(client, api_token("read"), path)
    assert response.status_code == 200 and response.json["total"] > 10 and "entry" not in response.json


def test_other_summaries_are_refused(client, clinic, api_token):
    response = get(client, api_token("read"), "/fhir/Practitioner?_summary=true")
    assert response.status_code == 400 and response.json["issue"][0]["expression"] == ["_summary"]


def test_a_count_over_the_maximum_is_read_as_the_maximum(client, clinic, api_token):
    response = get(client, api_token("read"), f"/fhir/Slot?service-type=evaluation&start=ge{DAY}&_count=5000")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert ("_count", "1000") in self_params(response.json)
    assert len(response.json["entry"]) == min(response.json["total"], 1000)


@pytest.mark.parametrize(
    "identifier,matches",
    [
        ("{ref}", 1),
        ("{base}/fhir/sid/appointment-reference|{ref}", 1),
        ("urn:si-joint-clinic:fhir:appointment-reference|{ref}", 1),  # the system's earlier name
        ("urn:oid:1.2.3|{ref}", 0),
        ("|{ref}", 0),  # an identifier with no system: ours always have one
        ("http://example.org/other|{ref},{ref}", 1),  # ORed: the bare one matches
    ],
)
def test_an_identifier_search_honours_the_system(app, client, booked, api_token, identifier, matches):
    reference = booked[0]["id"]
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    path = f"/fhir/Appointment?identifier={identifier.format(ref=reference, base=base)}"
    response = get(client, api_token("read"), path.replace("|", "%7C"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["total"] == matches
    assert [e["resource"]["id"] for e in response.json.get("entry", [])] == [reference] * matches


def test_status_not_leaves_the_cancelled_visit_out(client, booked, api_token):
    token = api_token("read")
    answer = get(client, token, "/fhir/Appointment?status:not=cancelled").json
    assert [e["resource"]["id"] for e in answer["entry"]] == [booked[0]["id"]]
    assert get(client, token, "/fhir/Appointment?status:not=cancelled,booked").json["total"] == 0
    assert get(client, token, "/fhir/Appointment?status:not=maybe").status_code == 400


def test_last_updated_filters_by_the_last_change(client, booked, api_token):
    token = api_token("read")
    assert get(client, token, "/fhir/Appointment?_lastUpdated=gt2099-01-01").json["total"] == 0
    assert get(client, token, "/fhir/Appointment?_lastUpdated=ge2020-01-01").json["total"] == 2
    updated = booked[0]["meta"]["lastUpdated"]
    before = get(client, token, f"/fhir/Appointment?_lastUpdated=lt{updated.replace('Z', '%2B00:00')}").json
    assert before["total"] == 0
    assert get(client, token, "/fhir/Appointment?_lastUpdated=ge2027-13-01").status_code == 400


# ----- outside clients, over real HTTP ---------------------------------------------------------------


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app on a real local port (one thread), for clients that speak HTTP themselves."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(PUBLIC_BASE_URL=url)  # the links must point where the clients connect
    yield url
    server.shutdown()
    thread.join()
    server.server_close()


def test_fhirpy_counts_and_pages(served, booked, clinic, api_token):
    fhirpy = SyncFHIRClient(f"{served}/fhir", authorization=f"Bearer {api_token('read')}")
    assert fhirpy.resources("Appointment").count() == 2
    assert fhirpy.resources("Appointment").search(status="booked").count() == 1
    slots = fhirpy.resources("Slot").search(
        **{"service-type": "evaluation", "start": [f"ge{DAY}", f"lt{DAY}T12:00:00-06:00"]}
    )
    total = slots.count()
    paged = slots.limit(7).fetch_all()  # follows the next links, 7 at a time
    assert total > 7 and len(paged) == total and len({s["id"] for s in paged}) == total


def test_fhirclient_searches_and_parses_the_bundle(served, booked, api_token):
    server = FHIRServer(None, base_uri=f"{served}/fhir/")
    server.session.headers["Authorization"] = f"Bearer {api_token('read')}"
    bundle = FhirclientBundle.read_from("Appointment?status:not=cancelled&_count=1", server)
    assert bundle.total == 1 and bundle.entry[0].resource.id == booked[0]["id"]
    counted = FhirclientBundle.read_from("Appointment?_summary=count", server)
    assert counted.total == 2 and not counted.entry
