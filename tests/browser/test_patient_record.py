"""The patient record in Chromium, keyboard only (issue 14): phone staff find a caller by phone
number and by a visit's reference and see their next visit on the record; change the contact
details (an error, then saved); a visit says who booked it; an administrator finds a patient's
trail by name. axe (WCAG 2.2 A/AA) on each new page and state. Every record view is audited.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.test_staff_passwords import focused
from tests.browser.test_staff_passwords import follow
from tests.browser.test_staff_passwords import sign_in_by_keyboard
from tests.browser.test_staff_passwords import tab_to
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.staff.conftest import PASSWORD

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", None)


def book(app: Flask, staff_id: int, day: date, hour: int, patient: PatientDetails) -> models.Appointment:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient,
            actor=staff_visits.Actor(staff_id=staff_id, role="phone", channel="phone"),
            intake=Intake("evaluation", False, "trauma", True),
        ).appointment  # fmt: skip


def record_views(app: Flask) -> list[tuple[int | None, int | None]]:
    with app.app_context():
        events = db.session.execute(
            select(models.AuditEvent).where(models.AuditEvent.action == "patient.view").order_by(models.AuditEvent.id)
        ).scalars()
        return [(e.actor_id, e.patient_id) for e in events]


def search(page: Page, typed: str) -> None:
    """Type into the focused search box and wait for the results as you type."""
    assert focused(page) == "q"
    page.keyboard.type(typed)
    expect(page.locator("#phone-search-status")).to_have_text(re.compile(r"found|No patients match"))


def test_phone_staff_find_a_caller_by_phone_and_by_reference_and_see_their_next_visit(
    page: Page, app, staff_user, make_provider, axe, screenshot
):
    make_provider("pmr", name="Dr. Adams")
    phone = staff_user("phone")
    day = next_clinic_day(after_days=4)
    visit = book(app, phone.id, day, 9, ANN)
    book(app, phone.id, day, 11, BOB)
    sign_in_by_keyboard(page, phone.username, PASSWORD)

    follow(page, "Patients")
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    axe(page)
    search(page, "555-0101")  # the caller's number, as phone staff hear it
    expect(page.locator("#phone-search-status")).to_have_text("1 patient found")
    axe(page)
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("Lee, Ann born 03/03/1970")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lee, Ann born 03/03/1970")
    next_visit = page.locator("#next-visit")
    expect(next_visit).to_contain_text("Comprehensive SI joint evaluation")
    expect(next_visit).to_contain_text("Dr. Adams")
    expect(next_visit).to_contain_text(visit.reference)
    expect(page.locator("main")).to_contain_text("Likely cause: Trauma")
    axe(page)
    screenshot(page, "patient-record")

    follow(page, "Find another patient")
    search(page, visit.reference.lower().replace("-", " "))  # a reference read out over the phone
    expect(page.locator("#phone-search-status")).to_have_text("1 patient found")
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#next-visit")).to_contain_text(visit.reference)

    follow(page, "Find another patient")
    search(page, "SIJ-ZZZZ-ZZZZ")
    expect(page.locator("#phone-search-status")).to_contain_text("No patients match")
    axe(page)

    with app.app_context():
        ann = db.session.get(models.Appointment, visit.id).patient_id  # type: ignore[union-attr]
    assert record_views(app) == [(phone.id, ann), (phone.id, ann)]


def test_contact_details_are_changed_by_keyboard_and_the_visit_says_who_booked_it(
    page: Page, app, staff_user, make_provider, axe, screenshot
):
    make_provider("pmr", name="Dr. Adams")
    phone = staff_user("phone")
    visit = book(app, phone.id, next_clinic_day(after_days=4), 9, ANN)
    with app.app_context():
        patient_id = db.session.get(models.Appointment, visit.id).patient_id  # type: ignore[union-attr]
    scheduler = staff_user("scheduler")
    sign_in_by_keyboard(page, scheduler.username, PASSWORD)
    page.goto(f"/staff/visits/{visit.id}")
    history = page.get_by_role("table", name="Who did what")
    expect(history).to_contain_text("Booked")
    expect(history).to_contain_text("Test Phone (Phone staff)")
    expect(history).to_contain_text("by phone (phone console)")
    axe(page)

    follow(page, "Patient record of Ann Lee")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lee, Ann born 03/03/1970")
    follow(page, "Change contact details of Ann Lee")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact details: Lee, Ann")
    axe(page)
    tab_to(page, "phone")
    page.keyboard.press("Control+A")
    page.keyboard.type("12")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Enter a phone number we can call")
    axe(page)
    screenshot(page, "contact-error")
    tab_to(page, "phone")
    page.keyboard.press("Control+A")
    page.keyboard.type("507-555-0199")
    tab_to(page, "interpreter_language")
    page.keyboard.type("Spanish")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Contact details saved.")
    flags = page.get_by_role("region", name="Flags")
    expect(flags).to_contain_text("Interpreter needed: Spanish")
    expect(page.locator("main")).to_contain_text("(507) 555-0199")
    axe(page)
    with app.app_context():
        event = db.session.execute(
            select(models.AuditEvent).where(models.AuditEvent.action == "patient.contact-update")
        ).scalar_one()
        assert (event.actor_id, event.patient_id, event.detail) == (
            scheduler.id,
            patient_id,
            "changed: phone, interpreter",
        )


def test_an_administrator_finds_a_patients_trail_by_name(page: Page, app, staff_user, make_provider, axe):
    make_provider("pmr")
    phone = staff_user("phone")
    day = next_clinic_day(after_days=4)
    book(app, phone.id, day, 9, ANN)
    book(app, phone.id, day, 11, PatientDetails("Lea", "Leeds", date(1990, 1, 1), "+15075550103", None))
    admin = staff_user("admin")
    sign_in_by_keyboard(page, admin.username, PASSWORD)
    follow(page, "Audit trail")
    tab_to(page, "patient")
    page.keyboard.type("lee")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Which patient?")).to_be_visible()
    assert "lee" not in page.url.lower()
    axe(page)
    follow(page, "Lee, Ann, born 03/03/1970")
    expect(page.locator("main")).to_contain_text("Events about Lee, Ann")
    expect(page.get_by_role("table")).to_contain_text("appointment.book")
    axe(page)
