"""The clinic's details as patients read them, and what the clinic's details may not be."""

from __future__ import annotations

import pytest

from scheduler.domain.clinic_details import PLACEHOLDER
from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clinic_details import ClinicDetailsError
from scheduler.domain.clinic_details import checked
from scheduler.domain.clinic_details import tel_href

CLINIC = ClinicDetails(
    name="SI Joint Clinic",
    address_lines=("1216 Second Street SW", "Suite 4"),
    city="Rochester",
    state="MN",
    postal_code="55902",
)


def test_the_address_reads_on_one_line_for_an_invite_and_line_by_line_for_a_page():
    assert CLINIC.one_line() == "SI Joint Clinic, 1216 Second Street SW, Suite 4, Rochester, MN 55902"
    assert CLINIC.multi_line() == "SI Joint Clinic\n1216 Second Street SW\nSuite 4\nRochester, MN 55902"


def test_parts_not_given_are_left_out_rather_than_shown_empty():
    assert ClinicDetails(name="Clinic", address_lines=("1 Main St",), city="Rochester").one_line() == (
        "Clinic, 1 Main St, Rochester"
    )
    assert ClinicDetails(name="Clinic").one_line() == "Clinic"


def test_phone_numbers_become_links_phones_can_call():
    assert tel_href("507-538-1280") == "tel:+15075381280"
    assert tel_href("(507) 538-1280") == "tel:+15075381280"
    assert tel_href("1-507-538-1280") == "tel:+15075381280"
    assert tel_href("+44 20 7946 0000") == "tel:+442079460000"
    assert tel_href("") == ""


def test_a_stored_phone_wins_and_the_configured_one_fills_a_blank():
    assert CLINIC.with_default_phone("507-538-1280").phone == "507-538-1280"
    assert ClinicDetails(phone="507-555-0123").with_default_phone("507-538-1280").phone == "507-555-0123"


def test_the_demo_details_pass_their_own_checks_and_say_they_are_placeholders():
    assert checked(PLACEHOLDER) == PLACEHOLDER
    assert "(placeholder)" in PLACEHOLDER.address_lines[0]


def test_checking_trims_spaces_and_drops_empty_address_lines():
    tidy = checked(ClinicDetails(address_lines=("  1 Main St ", "  "), city=" Rochester "))
    assert tidy.address_lines == ("1 Main St",) and tidy.city == "Rochester"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address_lines": ()}, "address_line1"),
        ({"city": ""}, "city"),
        ({"map_url": "http://maps.example.org"}, "map_url"),
        ({"map_url": "javascript:alert(1)"}, "map_url"),
        ({"map_url": "https://"}, "map_url"),
        ({"address_lines": ("1 Main\x00 St",)}, "address_line1"),
        ({"address_lines": ("1 Main\n St",)}, "address_line1"),
        ({"parking": "x" * 501}, "parking"),
        ({"nurse_line": "ask at the desk"}, "nurse_line"),
    ],
)
def test_details_that_cannot_be_used_are_refused_naming_the_field(changes, field):
    base = {"address_lines": ("1 Main St",), "city": "Rochester", **changes}
    with pytest.raises(ClinicDetailsError) as refused:
        checked(ClinicDetails(**base))
    assert refused.value.field == field and refused.value.message
