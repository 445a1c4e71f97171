"""The staff side of the waitlist in Chromium, keyboard only (issue 17): phone staff find a caller
on the phone console and add them to the waitlist (Tuesday mornings, one day), after a form error;
the entry is on the specialty's waitlist page, and a free Tuesday-morning cell of the specialty's
calendar says "1 waiting fits" (an afternoon cell says nothing). A scheduler takes the entry off
after a confirmation. axe (WCAG 2.2 A/AA) on each new page and state: the form and its error,
the waitlist, the calendar with counts, the move dialog with counts, the confirmation, and the
admin's waitlist rules with their error.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.waitlist import EntryStatus
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.test_request_queue import press_on
from tests.browser.test_request_queue import sign_in_by_keyboard
from tests.browser.test_request_queue import tab_to
from tests.conftest import central
from tests.conftest import next_clinic_day

ROSA = PatientDetails("Rosa", "Quist", date(1958, 11, 4), "+15075550133", "rosa@example.com")
NEW_PATIENT = Intake("evaluation", seen_before=False, cause="trauma", referred=False)


def typed_date(day: date) -> str:
    return f"{day.month:02d}{day.day:02d}{day.year}"


def test_phone_staff_add_a_caller_to_the_waitlist_and_a_free_cell_says_one_waiting_fits(
    page: Page, app: Flask, make_provider, staff_user, axe
):
    make_provider("pmr", name="Dr. Lin")
    tuesday = next_clinic_day(after_days=5, weekday=1)
    with app.app_context():  # Rosa is on record: a visit of hers three weeks on
        visit = booking.book_appointment(
            visit_type_code="evaluation", start=central(tuesday + timedelta(days=21), 13), patient=ROSA,
            intake=NEW_PATIENT, channel="web",
        ).appointment.id  # fmt: skip

    phone = staff_user("phone")
    sign_in_by_keyboard(page, phone.username, phone.password)
    press_on(page, "Phone console")
    page.keyboard.type("quist")  # the results come as one types
    expect(page.locator("[data-results-count]")).to_have_text("1 patient found")
    press_on(page, "Waitlist for Quist, Rosa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Quist, Rosa to the waitlist")
    expect(page.get_by_role("radio")).to_have_count(0)  # urgent is for schedulers
    axe(page)

    # Nothing chosen: the error, then the visit, Tuesday mornings, that one day.
    press_on(page, "Add to the waitlist")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("Select the visit they are waiting for")
    axe(page)
    tab_to(page, "visit_type")
    page.keyboard.type("Comprehensive")
    tab_to(page, "days-1")  # Tuesday
    page.keyboard.press("Space")
    tab_to(page, "parts_of_day")  # Morning (the first choice has the question's own id)
    page.keyboard.press("Space")
    tab_to(page, "earliest")
    page.keyboard.type(typed_date(tuesday))
    tab_to(page, "latest")
    page.keyboard.type(typed_date(tuesday))
    press_on(page, "Add to the waitlist")

    # The specialty's waitlist, with the entry.
    expect(page).to_have_url(re.compile(r"/staff/waitlist\?specialty=pmr#WL-"))
    expect(page.get_by_role("status").first).to_contain_text("Added to the waitlist")
    entry = page.get_by_role("region", name="Quist, Rosa: Comprehensive SI joint evaluation")
    expect(entry).to_contain_text(f"Tuesdays; mornings; from {tuesday:%B} {tuesday.day}, {tuesday.year} to")
    expect(entry).to_contain_text("anyone who does this visit")
    expect(entry).to_contain_text("None yet.")
    expect(page.get_by_role("link", name="Physical Medicine & Rehabilitation (1 waiting)")).to_be_visible()
    axe(page)

    # The calendar of that Tuesday: the free morning cells say so, the afternoon ones do not.
    press_on(page, "Calendars")
    tab_to(page, "day")
    page.keyboard.type(typed_date(tuesday))
    press_on(page, "Show")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{tuesday:%A, %B} {tuesday.day}")
    expect(page.get_by_role("link", name="1 waiting fits 9 a.m. with Dr. Lin")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"waiting fits 1 p\.m\."))).to_have_count(0)
    axe(page)
    press_on(page, "1 waiting fits 9 a.m. with Dr. Lin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waitlist for Physical Medicine & Rehabilitation")
    press_on(page, "Sign out")

    # A scheduler: the move dialog of Rosa's visit counts too; then takes the entry off.
    scheduler = staff_user("scheduler")
    sign_in_by_keyboard(page, scheduler.username, scheduler.password)
    page.goto(f"/staff/visits/{visit}/move?from={tuesday.isoformat()}")
    expect(page.get_by_text(re.compile(r"^9 a\.m\., Dr\. Lin.*\(1 waiting fits\)$")).first).to_be_visible()
    axe(page)
    press_on(page, "Waitlist")
    with app.app_context():
        reference = db.session.execute(select(models.WaitlistEntry.reference)).scalar_one()
    press_on(page, f"Take Quist, Rosa ({reference}) off the waitlist")
    expect(page.get_by_role("heading", level=1)).to_contain_text("off the waitlist?")
    axe(page)
    press_on(page, "Yes, take it off the waitlist")
    expect(page.get_by_role("status").first).to_contain_text("is off the waitlist")
    expect(page.get_by_role("main")).to_contain_text("Nobody is waiting for Physical Medicine & Rehabilitation.")
    with app.app_context():
        (row,) = db.session.execute(select(models.WaitlistEntry)).scalars()
        assert row.status == EntryStatus.LEFT and row.channel == "phone"
    press_on(page, "Sign out")

    # An admin's waitlist rules of a visit type, and their error.
    admin = staff_user("admin")
    sign_in_by_keyboard(page, admin.username, admin.password)
    page.goto("/staff/admin/visit-types?code=injection")
    axe(page)
    tab_to(page, "batch_size")
    page.keyboard.press("Control+A")
    page.keyboard.type("50")
    press_on(page, "Save the waitlist rules")
    expect(page.get_by_role("alert")).to_contain_text("Enter a number from 1 to 20")
    axe(page)
