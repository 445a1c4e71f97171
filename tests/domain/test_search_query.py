from datetime import date

import pytest

from scheduler.domain.search import PatientQuery
from scheduler.domain.search import parse_patient_query

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("lee", PatientQuery(words=("lee",))),
        ("Lee  Ann", PatientQuery(words=("lee", "ann"))),
        ("3/27/1970", PatientQuery(birth_date=date(1970, 3, 27))),
        ("1970-03-27", PatientQuery(birth_date=date(1970, 3, 27))),
        ("03271970", PatientQuery(birth_date=date(1970, 3, 27))),
        ("555-0101", PatientQuery(phone_digits="5550101")),
        ("(507) 555-0101", PatientQuery(phone_digits="5075550101")),
        ("+1 507 555 0101", PatientQuery(phone_digits="5075550101")),
        ("o'brien 3/27/1970", PatientQuery(words=("o'brien",), birth_date=date(1970, 3, 27))),
        ("12", PatientQuery()),  # too few digits to be a phone, and no name
        ("2/30/1970", PatientQuery()),  # not a date, and not a phone either (slashes)
        ("1/1/2027", PatientQuery()),  # a birth date cannot be in the future
    ],
)
def test_the_search_box_reads_names_birth_dates_and_phone_digits(typed, expected):
    assert parse_patient_query(typed, TODAY) == expected


def test_an_empty_or_huge_query_asks_for_nothing_and_costs_nothing():
    assert parse_patient_query("   ", TODAY).empty
    assert len(parse_patient_query("a " * 10_000, TODAY).words) == 4


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SIJ-7KQ4-M2XD", PatientQuery(reference="SIJ-7KQ4-M2XD")),
        ("sij 7kq4 m2xd", PatientQuery(reference="SIJ-7KQ4-M2XD")),  # read out over the phone
        ("SIJ7KQ4M2XD", PatientQuery(reference="SIJ-7KQ4-M2XD")),
        ("req-ab23-cd45", PatientQuery(reference="REQ-AB23-CD45")),
        ("lee REQ-AB23-CD45", PatientQuery(words=("lee",), reference="REQ-AB23-CD45")),
        ("SIJ-7KQ4", PatientQuery(words=("sij-7kq4",))),  # half a reference is no reference
    ],
)
def test_the_search_box_reads_visit_and_request_references(typed, expected):
    assert parse_patient_query(typed, TODAY) == expected
