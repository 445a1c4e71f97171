"""Urgent patients and who does what, in Chromium (issue 13).

- A red-flag intake on the patient pages, on a 390 px phone, is never offered a time: outside
  clinic hours (a closure for today makes that certain) the page says the clinic is closed, with
  911 advice and when it opens; in clinic hours (the real clock: Mon-Fri 8-17 Central) it says
  call us now. Either way the patient leaves a call-back request, with a phone number required.
- An admin sets what a provider does on the provider page; a visit type of another specialty is
  refused with what was typed kept.
- The phone console offers an urgent caller physicians only, with the red flags named.

axe (WCAG 2.2 A/AA) runs on each of these pages and states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from typing import Any

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services import urgent
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.helpers import PHONE_HEIGHT
from tests.browser.helpers import PHONE_WIDTH
from tests.browser.helpers import sign_in
from tests.browser.patient_steps import CLINIC_PHONE
from tests.browser.patient_steps import DETAILS
from tests.browser.patient_steps import TRAUMA
from tests.browser.patient_steps import answer_questions
from tests.browser.patient_steps import assert_error_state
from tests.browser.patient_steps import fill_details
from tests.browser.patient_steps import lands_on
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows

CANNOT_BEAR_WEIGHT = "Sudden inability to bear weight"
PHONE_REQUIRED = "Enter a phone number: we will call you back on it"
# "Monday, December 7, 2026 at 9 a.m. CST", "... at 11:30 a.m. CDT", "... at noon CST"
CENTRAL_WHEN = r"\w+day, \w+ \d{1,2}, \d{4} at (\d{1,2}(:\d{2})? [ap]\.m\.|noon) C[SD]T"
EVALUATION = "Comprehensive SI joint evaluation"
THERAPY = "Physical or occupational therapy session"
INJECTION = "Fluoroscopy-guided SI joint injection"
LIN, GRACE = "Dr. Lin", "Grace Thorsen, PT"


# ----- shared steps ------------------------------------------------------------------------------


def on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways on a {PHONE_WIDTH} px phone: {width} px wide"


def assert_no_time_offered(page: Page) -> None:
    main = page.locator("main")
    expect(main).not_to_contain_text(re.compile("choose a time", re.I))
    expect(page.get_by_role("radio")).to_have_count(0)


def leave_a_call_back_request(page: Page, app: Flask, axe: Callable[..., None]) -> str:
    """From the urgent route page to "Your request has been sent": the phone number is required
    (left empty: an error that keeps what was typed). Returns the request-sent page's text."""
    page.get_by_role("button", name="Ask us to call you back").click()
    lands_on(page, "/request/details")
    expect(page.locator("#phone-hint")).to_contain_text("we will call you back on this number")
    fill_details(page, {**DETAILS, "Phone number": ""}, sms=False)
    press(page, "Continue")
    assert_error_state(page, {PHONE_REQUIRED: "phone"}, axe)
    for label, value in {**DETAILS, "Phone number": ""}.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)  # what was typed is kept
    assert_fits_the_phone(page)

    page.get_by_label("Phone number", exact=True).fill(DETAILS["Phone number"])
    press(page, "Continue", "/request/check")
    # The answers page of a call-back request (it used to fail with a 500: no preferred days).
    expect(page.locator("main")).to_contain_text("We call you back on your phone number")
    expect(page.get_by_role("button", name="Book this visit")).to_have_count(0)
    axe(page)
    press(page, "Send request", "/request/confirmation")
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text(re.compile("We will call you back by " + CENTRAL_WHEN))
    expect(main).to_contain_text("call 911")
    axe(page)
    assert_fits_the_phone(page)

    # Nothing was booked: one urgent call-back request, with the patient's phone and red flags.
    assert not rows(app, models.Appointment)
    (request,) = rows(app, models.VisitRequest)
    assert request.urgent and request.call_back_by is not None
    assert request.reference == page.locator(".reference").inner_text()
    return main.inner_text()


# ----- 1. a red flag on the patient pages, at 390 px ---------------------------------------------


def test_a_red_flag_outside_clinic_hours_is_told_the_clinic_is_closed_and_never_offered_a_time(
    page, app, make_provider, axe, screenshot
):
    make_provider("pmr", name="Dr. Lin")
    with app.app_context():
        # Closed all today, whatever the hour the test runs: the out-of-hours advice, for certain.
        db.session.add(models.Closure(day=clinic_today(utc_now()), name="Staff training", source="admin"))
        db.session.commit()
    on_a_phone(page)
    answer_questions(page, cause=TRAUMA, red_flags=(CANNOT_BEAR_WEIGHT,))

    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", level=1)).to_have_text("The clinic is closed now")
    expect(alert).to_contain_text("go to an emergency department or call 911 now")
    main = page.locator("main")
    expect(main).to_contain_text(re.compile(r"We open at \w+day, \w+ \d{1,2}, \d{4} at 8 a\.m\. C[SD]T"))
    expect(main).to_contain_text(re.compile("we will call you back by " + CENTRAL_WHEN))
    expect(main.get_by_role("link", name=CLINIC_PHONE)).to_have_attribute(
        "href", "tel:+1" + CLINIC_PHONE.replace("-", "")
    )
    expect(page.get_by_role("button", name="Ask us to call you back")).to_be_visible()
    assert_no_time_offered(page)
    axe(page)
    assert_fits_the_phone(page)
    screenshot(page, "route-urgent-closed")

    # No routine times, whatever address is typed.
    page.goto("/request/time")
    expect(page).not_to_have_url(re.compile(r"/request/time$"))
    assert_no_time_offered(page)
    page.goto("/request/route")

    sent = leave_a_call_back_request(page, app, axe)
    # Out of hours, the call-back is due in the first hour of the next open day.
    assert re.search(r"We will call you back by \w+day, \w+ \d{1,2}, \d{4} at 9 a\.m\. C[SD]T", sent), sent
    (request,) = rows(app, models.VisitRequest)
    assert request.intake["red_flags"] == ["cannot-bear-weight"]


def test_a_red_flag_in_clinic_hours_is_told_to_call_now_and_never_offered_a_time(
    page, app, make_provider, axe, screenshot
):
    """In clinic hours when the real clock allows; otherwise the closed advice is checked instead,
    and the output says why (the in-hours wording is also checked without a browser, in
    tests/public/test_urgent_patients.py::test_the_route_page_in_clinic_hours_says_call_now...)."""
    make_provider("pmr", name="Dr. Lin")
    on_a_phone(page)
    with app.app_context():
        open_before = urgent.clinic_status().open
    answer_questions(page, cause=TRAUMA, red_flags=("Fever",))
    with app.app_context():
        open_after = urgent.clinic_status().open

    alert = page.get_by_role("alert")
    heading = alert.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^(Call us now on .+|The clinic is closed now)$"))
    shown_open = heading.inner_text().startswith("Call us now")
    assert shown_open in {open_before, open_after}, (
        f"the route page says {heading.inner_text()!r}, but the clinic is "
        f"{'open' if open_before else 'closed'} now (Mon-Fri 8-17 Central, no closure)"
    )
    main = page.locator("main")
    if shown_open:
        expect(heading).to_have_text(f"Call us now on {CLINIC_PHONE}")
        expect(alert.get_by_role("link", name=CLINIC_PHONE)).to_have_attribute(
            "href", "tel:+1" + CLINIC_PHONE.replace("-", "")
        )
        expect(alert).to_contain_text("call 911")
        expect(main).to_contain_text(re.compile("we will call you back by " + CENTRAL_WHEN))
        expect(main).not_to_contain_text("The clinic is closed now")
    else:
        why = (
            f"the clinic is closed at {utc_now().isoformat()} (UTC): the in-clinic-hours advice cannot be "
            "shown live now, so the closed advice is checked instead"
        )
        print(why)
        expect(heading, why).to_have_text("The clinic is closed now")
        expect(main, why).to_contain_text(re.compile(r"We open at " + CENTRAL_WHEN))
        expect(main, why).to_contain_text("call 911")
    expect(page.get_by_role("button", name="Ask us to call you back")).to_be_visible()
    assert_no_time_offered(page)
    axe(page)
    assert_fits_the_phone(page)
    screenshot(page, "route-urgent-open" if shown_open else "route-urgent-closed-by-the-clock")

    leave_a_call_back_request(page, app, axe)
    (request,) = rows(app, models.VisitRequest)
    assert request.intake["red_flags"] == ["fever"]


# ----- 2. an admin sets what a provider does ------------------------------------------------------



def performs(app: Flask, provider_id: int) -> set[str]:
    with app.app_context():
        return {v.code for v in db.session.get(models.Provider, provider_id).visit_types}


def test_an_admin_has_a_therapist_do_evaluations_and_cannot_give_her_injections(
    page, app, make_provider, staff_user, axe
):
    grace = make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("therapy",))
    sign_in(page, staff_user("admin"))
    page.goto(f"/staff/admin/providers/{grace}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Thorsen, PT")
    kind = page.get_by_label("Kind of provider", exact=False)
    expect(kind).to_have_value("physical-therapist")
    does = page.get_by_role("group", name="Visit types they do")
    expect(does.get_by_role("checkbox", name=THERAPY)).to_be_checked()
    expect(does.get_by_role("checkbox", name=EVALUATION)).not_to_be_checked()
    axe(page)

    # An injection is Radiology & Pain Medicine's: refused, with what was typed kept.
    page.get_by_label("Name", exact=True).fill("Grace T., PT")
    does.get_by_role("checkbox", name=INJECTION).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".error-summary")).to_contain_text(f"{INJECTION} is a Radiology & Pain Medicine visit")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Grace T., PT")
    expect(does.get_by_role("checkbox", name=INJECTION)).to_be_checked()
    expect(does.get_by_role("checkbox", name=THERAPY)).to_be_checked()
    axe(page)
    assert performs(app, grace) == {"therapy"}

    # She also does evaluations now.
    page.get_by_label("Name", exact=True).fill("Grace Thorsen, PT")
    does.get_by_role("checkbox", name=INJECTION).uncheck()
    does.get_by_role("checkbox", name=EVALUATION).check()
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.get_by_role("status").filter(has_text="Saved Grace Thorsen, PT")
    expect(saved).to_contain_text("Saved Grace Thorsen, PT: Physical therapist, does ")
    expect(saved).to_contain_text(EVALUATION.lower())
    expect(saved).to_contain_text(THERAPY.lower())
    expect(does.get_by_role("checkbox", name=EVALUATION)).to_be_checked()
    expect(does.get_by_role("checkbox", name=INJECTION)).not_to_be_checked()
    expect(kind).to_have_value("physical-therapist")
    axe(page)
    assert performs(app, grace) == {"evaluation", "therapy"}

    # And back: unticked, she no longer does them.
    does.get_by_role("checkbox", name=EVALUATION).uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Saved Grace Thorsen, PT")).to_contain_text(
        f"Physical therapist, does {THERAPY.lower()}."
    )
    assert performs(app, grace) == {"therapy"}


# ----- 3. an urgent caller on the phone console ------------------------------------------------------


def describe_caller(page: Page, red_flags: tuple[str, ...]) -> None:
    page.get_by_label("What are they asking for?").select_option("unsure")
    page.get_by_role("group", name="Seen at the clinic before?").get_by_label("No").check()
    page.get_by_label(TRAUMA).check()
    for flag in ("Fever", CANNOT_BEAR_WEIGHT):
        checkbox = page.get_by_role("checkbox", name=flag, exact=True)
        checkbox.set_checked(flag in red_flags)
    page.get_by_role("group", name="Referred by a physician?").get_by_label("No").check()
    page.get_by_role("button", name=re.compile("^Find next available")).click()
    expect(page.get_by_role("heading", name="When: next available")).to_be_visible()


def offered_with(page: Page) -> set[str]:
    """Who the times offered are with, by the names in their labels ("9 a.m., Dr. Lin ...")."""
    labels: list[Any] = page.locator('input[name="slot"]').evaluate_all(
        "radios => radios.map(r => r.labels[0].innerText)"
    )
    assert labels, "no times offered"
    with_whom = [label.split(", ", 1)[1] for label in labels]
    return {next((name for name in (LIN, GRACE) if who.startswith(name)), who) for who in with_whom}


def test_the_phone_console_offers_an_urgent_caller_physicians_only_and_names_the_red_flags(
    page, make_provider, staff_user, axe
):
    # Mornings with the therapist, afternoons with the physician: a list of times offers both.
    make_provider("pmr", name=LIN, kind="physiatrist", visit_types=("evaluation", "follow-up"),
                  blocks=((time(13), time(17)),))  # fmt: skip
    make_provider("pmr", name=GRACE, kind="physical-therapist", visit_types=("evaluation", "therapy"),
                  blocks=((time(8), time(12)),))  # fmt: skip
    sign_in(page, staff_user("phone"))
    page.goto("/staff/phone/new")
    page.get_by_label("First name").fill("Cara")
    page.get_by_label("Last name").fill("Diaz")
    page.get_by_label("Date of birth").fill("3/27/1970")
    page.get_by_label("Phone number").fill("507-555-0177")

    # A routine caller is offered the therapist too (she does evaluations) ...
    describe_caller(page, red_flags=())
    expect(page.get_by_role("alert")).to_have_count(0)
    assert offered_with(page) == {LIN, GRACE}

    # ... an urgent one, physicians only.
    describe_caller(page, red_flags=(CANNOT_BEAR_WEIGHT, "Fever"))
    warning = page.get_by_role("alert")
    expect(warning.get_by_role("heading")).to_contain_text("Urgent")
    expect(warning).to_contain_text(re.compile(r"Red flags: (Fever, Sudden inability to bear weight|"
                                               r"Sudden inability to bear weight, Fever)\."))  # fmt: skip
    expect(warning).to_contain_text("Only physicians are listed")
    assert offered_with(page) == {LIN}
    axe(page)
