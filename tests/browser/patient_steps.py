"""Steps of the patient journeys, shared by the browser tests: role and label locators only, and a
wait on the page the step lands on (never a sleep)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.store.engine import db

UNSURE = "I am not sure: I have SI joint pain"
INJECTION = "An injection to ease the pain in the joint"  # its medical name is in the hint under it
TRAUMA = "Trauma, such as a fall or car crash"
NO_RED_FLAGS = "No, none of these"
CLINIC_PHONE = "507-538-1280"
SMS_CONSENT = "Yes, send me text messages about my visits"

# What the patient types on "Your details", by label.
DETAILS = {
    "First name": "Ann",
    "Last name": "Lee",
    "Month": "3",
    "Day": "3",
    "Year": "1970",
    "Phone number": "507-555-0101",
    "Email address": "ann.lee@example.com",
}

FORM_TYPE = "application/x-www-form-urlencoded"

# A description of the focused element: its id, else its text (buttons and links).
FOCUSED = "() => { const el = document.activeElement; return el.id || (el.innerText || '').trim(); }"


def nothing(_name: str) -> None:
    """The default ``visit`` callback: do nothing on each page."""


def lands_on(page: Page, path: str) -> None:
    """Wait until the page is ``path`` (a query string or fragment allowed: a browser keeps the
    fragment of an error-summary link through the POST-redirect-GET that follows), then until it has
    loaded: its address changes before its stylesheet arrives, and a focus ring read before then is
    the browser's own (CI saw it under load)."""
    expect(page).to_have_url(re.compile(re.escape(path) + r"(\?[^#]*)?(#.*)?$"))
    page.wait_for_load_state()


def press(page: Page, name: str, then: str | None = None) -> None:
    """Click the button (or link styled as one) called ``name``; wait for the page ``then``."""
    page.get_by_role("button", name=name, exact=True).click()
    if then is not None:
        lands_on(page, then)


def answer_questions(
    page: Page,
    *,
    requested: str = UNSURE,
    seen_before: str = "No",
    cause: str = TRAUMA,
    red_flags: tuple[str, ...] = (),
    referred: str = "No",
    visit: Callable[[str], None] = nothing,
) -> None:
    """From the start page to the routing result; ``visit(step)`` runs on each page as it opens.
    A returning patient (``seen_before="Yes"``) is not asked the cause or the referral, so
    ``cause`` and ``referred`` are not used for them."""
    new_patient = seen_before == "No"
    page.goto("/")
    visit("01-start")
    press(page, "Start now", "/request/what")
    visit("02-what")
    page.get_by_role("radio", name=requested, exact=True).check()
    press(page, "Continue", "/request/seen-before")
    visit("03-seen-before")
    page.get_by_role("radio", name=seen_before, exact=True).check()
    if new_patient:
        press(page, "Continue", "/request/cause")
        visit("04-cause")
        page.get_by_role("radio", name=cause, exact=True).check()
    press(page, "Continue", "/request/red-flags")
    visit("04-red-flags")
    for flag in red_flags or (NO_RED_FLAGS,):
        page.get_by_role("checkbox", name=flag, exact=True).check()
    if new_patient:
        press(page, "Continue", "/request/referred")
        visit("05-referred")
        page.get_by_role("radio", name=referred, exact=True).check()
    press(page, "Continue", "/request/route")
    visit("06-route")


def answer_by_post(
    page: Page,
    *,
    requested: str = "unsure",
    seen_before: str = "no",
    cause: str = "trauma",
    red_flags: tuple[str, ...] = (),
    referred: str = "no",
) -> None:
    """The same answers as ``answer_questions``, posted with the page's own cookies (and a real
    CSRF token) without drawing the question pages: for tests about the pages that follow. (A
    returning patient's cause and referral pages send them on without keeping the answer.)"""
    html = page.request.get("/request/what").text()
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "no CSRF token on the first question page"
    for path, answer in (
        ("/request/what", {"requested": requested}),
        ("/request/seen-before", {"seen_before": seen_before}),
        ("/request/cause", {"cause": cause}),
        ("/request/red-flags", {"red_flags": list(red_flags) or ["none"]}),
        ("/request/referred", {"referred": referred}),
    ):
        # Encoded by hand: a form dict cannot repeat a name (two red flags).
        body = urlencode({**answer, "csrf_token": found.group(1)}, doseq=True)
        response = page.request.post(path, data=body, headers={"Content-Type": FORM_TYPE}, max_redirects=0)
        assert response.status == 302, (path, response.status)
    assert page.request.get("/request/route").ok  # the routing result, seen


def pick_day(page: Page, index: int = 0) -> str:
    """On the picker's first step, choose the ``index``-th day offered and continue to its
    times; returns the day (YYYY-MM-DD)."""
    choice = page.locator('input[name="day"]').nth(index)
    day = choice.get_attribute("value")
    assert day, "a day radio without a value"
    choice.check()
    press(page, "Continue")
    expect(page).to_have_url(re.compile(r"[?&]day=" + re.escape(day)))
    return day


def pick_time(page: Page, index: int = 0, then: str = "/request/details", day: int = 0) -> str:
    """Choose the ``index``-th time offered (on the ``day``-th day, when the page is still the
    list of days) and continue; returns the chosen radio's value."""
    if page.locator('input[name="day"]').count():
        pick_day(page, day)
    choice = page.locator('input[name="slot"]').nth(index)
    value = choice.get_attribute("value")
    assert value, "a time radio without a value"
    choice.check()
    press(page, "Continue", then)
    return value


def fill_details(page: Page, details: dict[str, str] | None = None, sms: bool = True) -> None:
    for label, value in (details or DETAILS).items():
        page.get_by_label(label, exact=True).fill(value)
    if sms:
        page.get_by_label(SMS_CONSENT, exact=True).check()


def slot_start(value: str) -> datetime:
    """The aware start of a posted time choice ("<ISO start>|<provider id>")."""
    return datetime.fromisoformat(value.split("|")[0])


def book_directly(app: Flask, start: datetime, given_name: str = "Bob") -> tuple[str, str]:
    """Someone else books ``start`` by phone; returns (reference, manage token)."""
    with app.app_context():
        booked = booking.book_appointment(
            visit_type_code="evaluation",
            start=start,
            patient=PatientDetails(given_name, "Ray", date(1960, 1, 1), "+15075550199", None),
            intake=Intake("evaluation", False, "trauma", False),
            channel="phone",
        )
        return booked.appointment.reference, booked.manage_token


def rows(app: Flask, model: Any) -> list[Any]:
    """Every row of ``model`` in the order they were written (by id; PostgreSQL promises no order
    otherwise), read in the test's own app context (expunged, so usable after it)."""
    with app.app_context():
        found = db.session.execute(select(model).order_by(model.id)).scalars().all()
        db.session.expunge_all()
        return list(found)


def assert_error_state(page: Page, problems: dict[str, str], axe: Callable[..., None] | None = None) -> None:
    """GOV.UK error page: "Error: " title, the summary focused on load and listing ``problems``
    (message -> id of the field it links to) in order, each also shown inline; each summary link
    moves focus to its field. With ``axe``, the error state is checked for violations too."""
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert "error-summary" in page.evaluate("document.activeElement.className")
    expect(summary.get_by_role("link")).to_have_text(list(problems))
    for message, field_id in problems.items():
        expect(page.locator(".error-message", has_text=message)).to_be_visible()
        summary.get_by_role("link", name=message, exact=True).click()
        expect(page.locator(f"#{field_id}")).to_be_focused()
    if axe is not None:
        axe(page)
