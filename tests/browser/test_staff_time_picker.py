"""The staff time picker in Chromium (issue 14), keyboard only, on a 390 px phone and a 1280 px
desktop: on the move page, the request queue and the phone console, staff go to another day of
the row of days (shown in the page, no round trip), into its times (one radio group: the arrow
keys choose), and Enter does the page's job with the time chosen. Nothing is chosen for them; axe
(WCAG 2.2 A/AA) on every state; no sideways scrolling. The console hides the cause and referral
questions for a returning caller. Without JavaScript, another day is a round trip that keeps what
was typed. Screenshots in test-artifacts/screenshots/test_staff_time_picker/.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime

import pytest
from flask import Flask
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.clock import to_clinic
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.staff import time_picker
from tests.browser.helpers import DESKTOP_WIDTH
from tests.browser.helpers import fits
from tests.browser.helpers import sign_in
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
STAYED = "() => window.__stayed === true"  # set on the page: gone if the browser loaded another


def tab_until(page: Page, condition: str, key: str = "Tab", limit: int = 150) -> None:
    """Press ``key`` until the JavaScript ``condition`` (on document.activeElement) holds."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"() => {{ const el = document.activeElement; return {condition}; }}"):
            return
        seen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
    raise AssertionError(f"{condition} never held; the focus went through {seen[-20:]}")


def on_day(iso: str) -> str:
    return f"el.getAttribute('data-picker-day') === '{iso}'"


ON_A_TIME = "el.name === 'slot' && el.type === 'radio'"


def day_of(value: str) -> date:
    return to_clinic(datetime.fromisoformat(value.split("|")[0])).date()


def focused_value(page: Page) -> str:
    return page.evaluate("() => document.activeElement.value")


def show_another_day(page: Page, picker: Locator, index: int, key: str = "Tab") -> str:
    """From where the focus is, to the ``index``-th day of the row, and Enter: the day's times are
    shown in the page (no round trip) and its first time has the focus. Returns the day."""
    day = picker.locator("[data-picker-day]").nth(index).get_attribute("data-picker-day")
    assert day
    page.evaluate("() => { window.__stayed = true; }")
    tab_until(page, on_day(day), key)
    page.keyboard.press("Enter")
    expect(picker.locator(f"[data-picker-day='{day}']")).to_have_attribute("aria-current", "true")
    expect(picker.locator("[data-picker-day][aria-current]")).to_have_count(1)
    expect(picker.locator(f"[data-picker-panel='{day}']")).to_be_visible()
    expect(picker.locator("[data-picker-panel]:visible")).to_have_count(1)
    assert page.evaluate(STAYED), "showing a day loaded reloaded the page"
    assert page.evaluate(f"() => {{ const el = document.activeElement; return {ON_A_TIME}; }}")
    assert day_of(focused_value(page)).isoformat() == day
    return day


def choose_second_time(page: Page, picker: Locator, day: str) -> str:
    """From the shown day's first time (focused): back to the row of days and into the times
    again by Tab (the hidden days' times are skipped), then ArrowDown chooses the second."""
    tab_until(page, on_day(day), "Shift+Tab")
    tab_until(page, ON_A_TIME)
    assert day_of(focused_value(page)).isoformat() == day
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    page.keyboard.press("ArrowDown")
    chosen = focused_value(page)
    assert page.evaluate("() => document.activeElement.checked") and day_of(chosen).isoformat() == day
    said = re.compile(r"^Chosen: \w{3} \w{3} \d{1,2}, \d{4} at \d{1,2}(:\d{2})? [ap]\.m\. C[SD]T with ")
    expect(picker.locator("[data-picker-chosen]")).to_contain_text(said)
    return chosen


def rows(app: Flask, model: type) -> list:
    with app.app_context():
        return list(db.session.execute(select(model).order_by(model.id)).scalars())


def book(app: Flask, day: date, hour: int) -> int:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=ANN,
            actor=staff_visits.Actor(staff_id=1, role="scheduler"),
        ).appointment.id  # fmt: skip


def width_of(page: Page) -> int:
    return page.viewport_size["width"] if page.viewport_size else 0


# ----- the move page ---------------------------------------------------------------------------


def test_a_scheduler_moves_a_visit_to_a_time_on_another_day_by_keyboard(
    sized: Page, app, make_provider, staff_user, axe, screenshot
):
    page = sized
    make_provider("pmr", name="Dr. Lin")
    make_provider("pmr", name="Dr. Ortiz")
    visit = book(app, next_clinic_day(after_days=4), 9)
    sign_in(page, staff_user("scheduler"))
    page.goto(f"/staff/visits/{visit}/move")
    picker = page.locator("#slot")
    expect(picker.locator("[data-picker-day]")).to_have_count(time_picker.DAYS_SHOWN)
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    expect(picker.get_by_role("heading", name="Morning", exact=False).first).to_be_visible()
    expect(picker.get_by_label("Provider")).to_be_visible()  # two may do it: the filter is offered
    axe(page)
    fits(page)

    day = show_another_day(page, picker, 2)
    axe(page)
    chosen = choose_second_time(page, picker, day)
    fits(page)
    if width_of(page) == DESKTOP_WIDTH:  # the helper takes both widths
        screenshot(page, "move")
    page.keyboard.press("Enter")  # on the time: move the visit to it
    expect(page).to_have_url(re.compile(rf"/staff/visits/{visit}$"))
    expect(page.get_by_role("status").first).to_contain_text("Visit moved to")
    (appointment,) = rows(app, models.Appointment)
    assert appointment.starts_at.isoformat() == chosen.split("|")[0]


# ----- the request queue -----------------------------------------------------------------------


def test_a_scheduler_places_a_request_at_a_time_on_another_day_by_keyboard(
    sized: Page, app, make_provider, staff_user, axe, screenshot
):
    page = sized
    make_provider("pmr", name="Dr. Lin")
    with app.app_context():
        item = visit_requests.submit_request(
            intake=Intake("evaluation", True, "unknown", False), patient=ANN, preferences={}, channel="web"
        ).request
    sign_in(page, staff_user("scheduler"))
    page.goto("/staff/queue?specialty=pmr")
    picker = page.locator(f"#times-{item.id}")
    expect(picker.get_by_role("heading", name="Earliest free times")).to_be_visible()
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    axe(page)
    fits(page)

    day = show_another_day(page, picker, 1)
    expect(page).to_have_url(re.compile(r"/staff/queue\?specialty=pmr$"))
    axe(page)
    chosen = choose_second_time(page, picker, day)
    if width_of(page) == DESKTOP_WIDTH:  # the helper takes both widths
        screenshot(page, "queue")
    page.keyboard.press("Enter")  # on the time: place the request at it
    expect(page).to_have_url(re.compile(r"/staff/visits/\d+$"))
    expect(page.get_by_role("status").first).to_contain_text(f"Request {item.reference} placed on")
    (appointment,) = rows(app, models.Appointment)
    assert appointment.request_id == item.id and appointment.starts_at.isoformat() == chosen.split("|")[0]


# ----- the phone console -----------------------------------------------------------------------


def test_phone_staff_book_a_returning_caller_at_a_time_on_another_day_by_keyboard(
    sized: Page, app, make_provider, staff_user, axe, screenshot
):
    page = sized
    make_provider("pmr", name="Dr. Lin")
    sign_in(page, staff_user("phone"))
    page.goto("/staff/phone/new")
    expect(page.get_by_label("First name")).to_be_focused()
    for value in ("Cara", "Diaz", "3/27/1970", "507-555-0177"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    tab_until(page, "el.id === 'requested'")
    page.keyboard.type("Follow")  # type-ahead in the closed list
    expect(page.get_by_label("What are they asking for?")).to_have_value("follow-up")
    cause = page.get_by_role("group", name="Likely cause of the pain")
    referred = page.get_by_role("group", name="Referred by a physician?")
    expect(cause).to_be_visible()  # not said yet: every question
    page.keyboard.press("Tab")  # "Seen at the clinic before?": Yes is the first choice
    assert page.evaluate("() => document.activeElement.id") == "seen_before"
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Yes").first).to_be_checked()
    # A returning caller: the clinic's records answer the cause and the referral.
    expect(cause).to_be_hidden()
    expect(referred).to_be_hidden()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "red_flags"  # straight to the red flags
    axe(page)
    page.keyboard.press("Alt+F")

    picker = page.locator("#slot")
    expect(page.get_by_role("heading", name="When: next available")).to_be_visible()
    expect(cause).to_be_hidden()
    first = picker.locator("input[name=slot]:visible").first
    expect(first).to_be_focused()  # the first day's first time; nothing chosen
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    axe(page)
    fits(page)
    day = show_another_day(page, picker, 1, key="Shift+Tab")  # back up to the row of days
    axe(page)
    chosen = choose_second_time(page, picker, day)
    if width_of(page) == DESKTOP_WIDTH:  # the helper takes both widths
        screenshot(page, "console")
    page.keyboard.press("Enter")  # on a time: read it back, as the console always did

    panel = page.get_by_role("region", name="Read back to the caller")
    expect(panel).to_be_focused()
    local = to_clinic(datetime.fromisoformat(chosen.split("|")[0]))
    expect(panel).to_contain_text(f"{local:%A}, {local:%B} {local.day}, {local.year} at ")
    axe(page)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    (appointment,) = rows(app, models.Appointment)
    assert appointment.starts_at.isoformat() == chosen.split("|")[0]
    answers = appointment.answers
    assert answers is not None and (answers.seen_before, answers.cause, answers.referred) == (True, "unknown", False)


# ----- without JavaScript ----------------------------------------------------------------------


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_another_day_is_a_round_trip_that_keeps_what_was_typed(
    page: Page, app, make_provider, staff_user
):
    make_provider("pmr", name="Dr. Lin")
    visit = book(app, next_clinic_day(after_days=4), 9)
    sign_in(page, staff_user("scheduler"))
    page.goto(f"/staff/visits/{visit}/move")
    picker = page.locator("#slot")
    notify = page.get_by_label("Tell the patient (email and, with consent, a text)")
    expect(notify).to_be_checked()
    tab_until(page, "el.id === 'notify'")
    page.keyboard.press("Space")  # do not tell the patient
    expect(notify).not_to_be_checked()
    first_time = picker.locator("input[name=slot]:visible").first
    first_time.check()
    chosen = first_time.get_attribute("value")
    third = picker.locator("[data-picker-day]").nth(2)
    day = third.get_attribute("data-picker-day")
    with page.expect_navigation():
        third.press("Enter")  # a button of the move form: the whole form goes with it
    expect(page.locator(f"[data-picker-day='{day}']")).to_have_attribute("aria-current", "true")
    first_of_day = picker.locator("input[name=slot]:visible").first
    expect(first_of_day).to_be_focused()
    assert day_of(first_of_day.get_attribute("value") or "").isoformat() == day
    expect(notify).not_to_be_checked()  # what staff set is kept
    # The time chosen on the first day is left with it: times are chosen on the day shown.
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    expect(picker.locator("[data-picker-chosen]")).to_have_text("No time chosen yet.")
    assert chosen and day_of(chosen).isoformat() != day
    assert rows(app, models.Appointment)[0].starts_at == central(next_clinic_day(after_days=4), 9)  # not moved
    second = picker.locator("input[name=slot]:visible").nth(1)
    second.check()
    target = second.get_attribute("value")
    with page.expect_navigation():
        second.press("Enter")  # the default button is "Move visit"
    expect(page.get_by_role("status").first).to_contain_text("Visit moved to")
    (appointment,) = rows(app, models.Appointment)
    assert target and appointment.starts_at.isoformat() == target.split("|")[0]
