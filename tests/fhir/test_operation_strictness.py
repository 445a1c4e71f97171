"""The operations hold their query strings to what they read, as searches do (issue 16, item 1).

GET ``$find`` reads its question from the query string: a name it does not read (an unknown one, a
modifier, ``_sort``, ``_include``) is a 400 OperationOutcome naming it, by default and with
``Prefer: handling=strict``; with ``Prefer: handling=lenient`` it is ignored and left out of the
Bundle's links, so the client sees what was answered. ``$hold`` and ``$book`` (and POST ``$find``)
read their Parameters body and nothing of the query string but ``_format``: any other name there
is refused or, lenient, ignored (and left out of the IHE return Bundle's ``self`` link).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest

from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import patient_resource

DAY = next_clinic_day(after_days=3)
FIND = f"/fhir/Appointment/$find?service-type=evaluation&start={DAY}&end={DAY}"
LENIENT = {"Prefer": "handling=lenient"}
ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


def get(client, token, path, headers=None):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **(headers or {})})


def post(client, token, path, body, headers=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json", **(headers or {})}
    return client.post(path, data=json.dumps(body), headers=headers)


def link_params(bundle, relation: str) -> list[tuple[str, str]]:
    url = next(link["url"] for link in bundle["link"] if link["relation"] == relation)
    return parse_qsl(urlsplit(url).query)


def parameters(*pairs):
    return {"resourceType": "Parameters", "parameter": [{"name": n, k: v} for n, k, v in pairs]}


def assert_refused_naming(response, named: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    validate(response.json)
    issue = response.json["issue"][0]
    assert issue["expression"] == [named] and f"'{named}'" in issue["details"]["text"]
    assert issue["details"]["coding"][0]["code"] == "invalid_input"
    assert "handling=lenient" in issue["details"]["text"]


@pytest.mark.parametrize(
    "extra,named",
    [
        ("colour=blue", "colour"),
        ("_sort=start", "_sort"),
        ("_include=Appointment:actor", "_include"),
        ("service-type:text=evaluation", "service-type:text"),
        ("practitioner.name=Adams", "practitioner.name"),
        ("specialty=pmr", "specialty"),  # a Slot search parameter, not one $find reads
    ],
)
@pytest.mark.parametrize("prefer", [None, "handling=strict"])
def test_get_find_refuses_a_parameter_it_does_not_read_naming_it(client, clinic, api_token, extra, named, prefer):
    response = get(client, api_token("read"), f"{FIND}&{extra}", {"Prefer": prefer} if prefer else {})
    assert_refused_naming(response, named)


def test_get_find_lenient_ignores_it_and_leaves_it_out_of_the_links(client, clinic, api_token):
    token = api_token("read")
    plain = get(client, token, f"{FIND}&_count=3").json
    response = get(client, token, f"{FIND}&_count=3&colour=blue&_sort=-start", LENIENT)
    assert response.status_code == 200, response.get_data(as_text=True)
    validate(response.json)
    assert response.json["total"] == plain["total"] > 3
    assert [e["resource"]["start"] for e in response.json["entry"]] == [e["resource"]["start"] for e in plain["entry"]]
    for relation in ("self", "next"):
        names = {name for name, _ in link_params(response.json, relation)}
        assert {"service-type", "start", "end", "_count"} <= names and not {"colour", "_sort"} & names, relation


def test_get_find_answers_what_it_reads(client, clinic, api_token):
    token = api_token("read")
    query = f"{FIND}&practitioner=Practitioner/{clinic['adams']}&_count=2&_offset=2&_format=json&_total=accurate"
    response = get(client, token, query, {"Prefer": "handling=strict"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.json["entry"]) == 2
    counted = get(client, token, f"{FIND}&_summary=count")
    assert counted.status_code == 200 and counted.json["total"] > 0 and "entry" not in counted.json
    assert get(client, token, f"{FIND}&_summary=true").json["issue"][0]["expression"] == ["_summary"]


@pytest.mark.parametrize("operation", ["$find", "$hold", "$book"])
def test_a_posted_operation_refuses_a_query_parameter_it_would_not_read(client, clinic, api_token, operation):
    token = api_token("read", "book")
    body = parameters(("service-type", "valueCode", "evaluation"), ("start", "valueDate", DAY.isoformat()),
                      ("end", "valueDate", DAY.isoformat()))  # fmt: skip
    response = post(client, token, f"/fhir/Appointment/{operation}?_count=1&colour=blue", body)
    # Both names: _count would be read from the body, never from the query string of a POST.
    assert response.status_code == 400, response.get_data(as_text=True)
    assert [i["expression"] for i in response.json["issue"]] == [["_count"], ["colour"]]
    strict = post(client, token, f"/fhir/Appointment/{operation}?colour=blue", body, {"Prefer": "handling=strict"})
    assert_refused_naming(strict, "colour")


def test_a_posted_operation_lenient_ignores_them_and_the_return_bundle_does_not_show_them(client, clinic, api_token):
    token = api_token("read", "book")
    found = post(
        client, token, "/fhir/Appointment/$find?colour=blue", parameters(
            ("service-type", "valueCode", "evaluation"), ("start", "valueDate", DAY.isoformat()),
            ("end", "valueDate", DAY.isoformat()), ("_count", "valueInteger", 1)),
        LENIENT,
    )  # fmt: skip
    assert found.status_code == 200 and len(found.json["entry"]) == 1, found.get_data(as_text=True)
    proposal = found.json["entry"][0]["resource"]
    booked = post(
        client, token, "/fhir/Appointment/$book?colour=blue&_format=json",
        parameters(("appt-resource", "resource", proposal), ("patient-resource", "resource", ANN)), LENIENT,
    )  # fmt: skip
    assert booked.status_code == 201, booked.get_data(as_text=True)
    validate(booked.json)
    assert booked.json["resourceType"] == "Bundle"  # the IHE return Bundle, whose self link is the call
    assert link_params(booked.json, "self") == [("_format", "json")]


def test_a_posted_operation_with_a_clean_query_string_is_answered(client, clinic, api_token):
    body = parameters(("service-type", "valueCode", "evaluation"), ("start", "valueDate", DAY.isoformat()),
                      ("end", "valueDate", DAY.isoformat()))  # fmt: skip
    response = post(client, api_token("read"), "/fhir/Appointment/$find?_format=application/fhir%2Bjson", body)
    assert response.status_code == 200 and response.json["total"] > 0
