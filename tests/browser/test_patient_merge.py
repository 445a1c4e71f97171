"""Merging duplicate records in Chromium, keyboard only (issue 14): a scheduler opens Ann's record,
sees the record her online booking made among its possible duplicates, finds it by phone number
from "Merge with another record", chooses to keep the newer record, is refused while both records
hold a visit at the same time (the choice kept), and merges once that visit is cancelled. axe
(WCAG 2.2 A/AA) on each new page and state."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.test_patient_record import search
from tests.browser.test_staff_passwords import focused
from tests.browser.test_staff_passwords import follow
from tests.browser.test_staff_passwords import sign_in_by_keyboard
from tests.browser.test_staff_passwords import tab_to
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.staff.conftest import PASSWORD

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
ANN_ONLINE = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550199", "ann@newmail.example")


def patient_of(app: Flask, appointment_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.id == appointment_id)
        ).scalar_one()


def test_a_scheduler_merges_two_records_of_one_patient_by_keyboard(
    page: Page, app, staff_user, make_provider, axe, screenshot
):
    first = make_provider("pmr", name="Dr. Adams")
    second = make_provider("pmr", name="Dr. Berg")
    phone = staff_user("phone")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        actor = staff_visits.Actor(staff_id=phone.id, role="phone", channel="phone")
        visit = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 9), patient=ANN, actor=actor, provider_id=first
        ).appointment
        online = booking.book_appointment(
            visit_type_code="evaluation", start=central(day, 13), patient=ANN_ONLINE, channel="web",
            intake=Intake("evaluation", False, "trauma", False), provider_id=first,
        ).appointment  # fmt: skip
        clash = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 9), patient=ANN_ONLINE, actor=actor, provider_id=second
        ).appointment
    ann, newer = patient_of(app, visit.id), patient_of(app, online.id)
    scheduler = staff_user("scheduler")
    sign_in_by_keyboard(page, scheduler.username, PASSWORD)

    page.goto(f"/staff/patients/{ann}")
    duplicates = page.get_by_role("region", name=re.compile("Possible duplicates"))
    expect(duplicates).to_contain_text(f"(record {newer})")
    axe(page)
    follow(page, "Merge with another record")
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge Lee, Ann with another record")
    axe(page)
    tab_to(page, "q")
    search(page, "555-0199")  # the number she gave online
    expect(page.locator("#phone-search-status")).to_have_text("1 record found")
    axe(page)
    page.keyboard.press("ArrowDown")
    assert focused(page).startswith("Lee, Ann born 03/03/1970 (507) 555-0199")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Merge records {ann} and {newer}?")
    table = page.get_by_role("table", name="The two records side by side")
    expect(table).to_contain_text("(507) 555-0101")
    expect(table).to_contain_text("ann@newmail.example")
    expect(page.locator("main")).to_contain_text("cannot be merged as they stand")
    axe(page)
    screenshot(page, "merge-side-by-side")

    # Keep the newer record (its phone and email are the ones she uses now).
    tab_to(page, f"keep-{ann}")
    page.keyboard.press("ArrowDown")
    assert focused(page) == f"keep-{newer}"
    expect(page.locator(f"#keep-{newer}")).to_be_checked()
    follow(page, "Merge the two records")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Both records have a visit at the same time")
    expect(alert).to_contain_text(clash.reference)
    expect(page.locator(f"#keep-{newer}")).to_be_checked()  # the choice is kept
    axe(page)
    screenshot(page, "merge-refused")

    with app.app_context():  # the scheduler cancels the visit booked twice, on another tab
        staff_visits.cancel(clash.id, "entered twice", actor=staff_visits.Actor(scheduler.id, "scheduler", "web"),
                            notify=False)  # fmt: skip
    follow(page, "Merge the two records")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lee, Ann born 03/03/1970")
    expect(page.get_by_role("status").first).to_contain_text(f"Records merged: record {ann} is now part of this record")
    assert page.url.endswith(f"/staff/patients/{newer}")
    expect(page.locator("main")).to_contain_text(visit.reference)
    expect(page.locator("main")).to_contain_text("(507) 555-0199")
    expect(page.locator("main")).to_contain_text("patient.merge")
    axe(page)
    screenshot(page, "merged")

    page.goto(f"/staff/patients/{ann}")  # the old record's address leads to the kept one
    assert page.url.endswith(f"/staff/patients/{newer}")
    expect(page.get_by_role("status").first).to_contain_text(f"Record {ann} was merged into this record.")
    with app.app_context():
        merges = db.session.execute(
            select(models.AuditEvent).where(models.AuditEvent.action == "patient.merge")
        ).scalars()
        assert [(e.actor_id, e.patient_id, e.record_id) for e in merges] == [(scheduler.id, newer, str(ann))]
