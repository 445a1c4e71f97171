"""A provider's NPI is edited on the admin provider page (issue 16, item 3): 10 digits with a Luhn
check digit over the prefix 80840, one provider each, audited, and shown at once on the FHIR
Practitioner's identifier."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from scheduler.domain.npi import CHECK_MESSAGE
from scheduler.domain.npi import FORMAT_MESSAGE
from scheduler.domain.npi import problem
from scheduler.services.integrations import create_api_client
from scheduler.store import models
from scheduler.store.engine import db
from tests.fhir.conftest import send_via
from tests.fhir.conftest import validate
from tests.fhir.spec_client import FhirClient
from tests.staff.conftest import audit_events

HOURS = {day: "8:00-17:00" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def form(name: str, **extra: str) -> dict[str, object]:
    return {"name": name, "specialty": "pmr", "active": "y", "visit_types": ["evaluation"], **HOURS, **extra}


def npi_of(app, provider_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(select(models.Provider.npi).filter_by(id=provider_id)).scalar_one()


def error_beside_npi(page: str) -> str:
    """The error message shown beside the NPI field (the admin rows' markup)."""
    start = page.index('id="npi-error"')
    return html.unescape(page[page.index("</span>", start) + 7 : page.index("</p>", start)]).strip()


@pytest.mark.parametrize(
    "npi,valid",
    [("1234567893", True), ("1245319599", True), ("1003000126", True), ("1234567890", False),
     ("1245319590", False), ("123456789", False), ("12345678931", False), ("12345678a3", False)],
)  # fmt: skip
def test_an_npi_is_ten_digits_whose_last_is_the_luhn_check_over_80840(npi, valid):
    assert (problem(npi) is None) is valid


def test_an_admin_sets_corrects_and_removes_a_providers_npi(app, client, signed_in, make_provider):
    admin = signed_in(client, "admin")
    adams = make_provider("pmr", name="Dr. Adams")
    page = client.get(f"/staff/admin/providers/{adams}").get_data(as_text=True)
    assert 'name="npi"' in page and "NPI (National Provider Identifier, optional)" in page

    # Typed grouped as on a letterhead: kept as its 10 digits, and audited with the edit.
    saved = client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1234 567 893"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert npi_of(app, adams) == "1234567893"
    event = audit_events(app, "provider.update")[-1]
    assert (event.actor_id, event.record_id, event.detail.endswith("; NPI 1234567893")) == (admin.id, str(adams), True)
    assert 'value="1234567893"' in client.get(f"/staff/admin/providers/{adams}").get_data(as_text=True)

    # The FHIR Practitioner shows it at once (the catalog cache follows the change).
    with app.app_context():
        token = create_api_client("Test EHR", ("read",)).token
    ehr = FhirClient(send_via(client), "/fhir", token)
    practitioner = ehr.read("Practitioner", str(adams)).resource
    validate(practitioner)
    assert {"system": NPI_SYSTEM, "value": "1234567893"} in practitioner["identifier"]

    # Corrected: the Practitioner follows; a save that leaves it alone writes no NPI in the audit.
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1245319599")).status_code == 302
    practitioner = ehr.read("Practitioner", str(adams)).resource
    assert [i["value"] for i in practitioner["identifier"] if i["system"] == NPI_SYSTEM] == ["1245319599"]
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1245319599")).status_code == 302
    assert "NPI" not in audit_events(app, "provider.update")[-1].detail

    # Removed: blank, and the Practitioner no longer carries one.
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="")).status_code == 302
    assert npi_of(app, adams) is None
    assert audit_events(app, "provider.update")[-1].detail.endswith("; NPI removed")
    practitioner = ehr.read("Practitioner", str(adams)).resource
    assert not [i for i in practitioner.get("identifier", []) if i["system"] == NPI_SYSTEM]

    # A post from a page without the field (an older page) leaves the NPI as it is.
    client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1234567893"))
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. A. Adams")).status_code == 302
    assert npi_of(app, adams) == "1234567893"


@pytest.mark.parametrize(
    "typed,message",
    [("1234567890", CHECK_MESSAGE), ("12345", FORMAT_MESSAGE), ("NPI 1234567893", FORMAT_MESSAGE)],
)
def test_a_mistyped_npi_is_refused_beside_the_field_and_nothing_changes(
    app, client, signed_in, make_provider, typed, message
):
    signed_in(client, "admin")
    adams = make_provider("pmr", name="Dr. Adams")
    refused = client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams, MD", npi=typed))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert error_beside_npi(page) == message
    assert "Dr. Adams, MD" in page  # what was typed is kept
    assert npi_of(app, adams) is None
    with app.app_context():
        assert db.session.get(models.Provider, adams).name == "Dr. Adams"
    assert not audit_events(app, "provider.update")


def test_two_providers_never_share_an_npi(app, client, signed_in, make_provider):
    signed_in(client, "admin")
    adams, baker = make_provider("pmr", name="Dr. Adams"), make_provider("pmr", name="Dr. Baker")
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1234567893")).status_code == 302
    refused = client.post(f"/staff/admin/providers/{baker}", data=form("Dr. Baker", npi="1234567893"))
    assert refused.status_code == 422
    assert (
        error_beside_npi(refused.get_data(as_text=True))
        == "Dr. Adams already has this NPI: each provider has their own"
    )
    assert npi_of(app, baker) is None
    # A new provider is held to it too; the provider who has it may save it again.
    created = client.post("/staff/admin/providers/new", data=form("Dr. Clark", npi="1234-567-893"))
    assert created.status_code == 422 and "Dr. Adams already has this NPI" in created.get_data(as_text=True)
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1234567893")).status_code == 302


def test_a_scheduler_may_edit_the_npi_as_the_rest_of_the_provider_page(app, client, signed_in, make_provider):
    signed_in(client, "scheduler")
    adams = make_provider("pmr", name="Dr. Adams")
    assert client.post(f"/staff/admin/providers/{adams}", data=form("Dr. Adams", npi="1003000126")).status_code == 302
    assert npi_of(app, adams) == "1003000126"
