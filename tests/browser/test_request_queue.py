"""The request queue worked as a call-back list in Chromium, keyboard only (issue 14): phone staff
log a call; a scheduler is told to choose a time when none is chosen, looks at all times and at
one day, logs the call that agrees a time, and places the visit at a time matching the stated
preference ("Tuesday or Thursday mornings"); the patient has no email and no text consent, so a
"call to confirm" task appears until a call confirms the visit. axe (WCAG 2.2 A/AA) on the queue
and each new state: phone staff's view, the form error, all times, one day, the task; screenshots
of three of them (390 and 1280 px) in test-artifacts/screenshots/test_request_queue/.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.clock import to_clinic
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import request_queue
from scheduler.services import requests as visit_requests
from scheduler.store import models
from scheduler.store.engine import db

ROSA = PatientDetails("Rosa", "Quist", date(1958, 11, 4), "+15075550133", None)  # no email, no text consent
TUE_THU_MORNINGS = {"days": ["tuesday", "thursday"], "parts_of_day": ["morning"], "notes": "after school drop-off"}
FOCUSED = (
    "() => { const el = document.activeElement; return el.id || (el.innerText || '').replace(/\\s+/g, ' ').trim(); }"
)


def focused(page: Page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, wanted: str, limit: int = 120) -> None:
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == wanted:
            return
    raise AssertionError(f"{wanted!r} never took the focus; focus went through {seen}")


def press_on(page: Page, wanted: str, key: str = "Enter") -> None:
    """Tab to ``wanted`` and press ``key``; the page that answers has loaded on return."""
    tab_to(page, wanted)
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in_by_keyboard(page: Page, username: str, password: str) -> None:
    page.goto("/staff/login")
    tab_to(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))


def log_call(page: Page, request_id: int, reference: str, words: str) -> None:
    """Choose the call's outcome by typing its first words in the list, then add it to the log."""
    tab_to(page, f"outcome-{request_id}")
    page.keyboard.type(words)
    expect(page.locator(f"#outcome-{request_id} option:checked")).to_have_text(words)
    press_on(page, f"Add to the log of {reference}")
    expect(page.get_by_role("status").first).to_contain_text(f"Logged for {reference}: {words}.")


def starts(page: Page, request_id: int) -> list[datetime]:
    values = page.locator(f"#request-{request_id} ~ form input[name=slot]").evaluate_all("els => els.map(e => e.value)")
    return [to_clinic(datetime.fromisoformat(v.split("|")[0])) for v in values]


def test_the_queue_is_worked_from_call_log_to_placement_at_a_time_that_suits_the_patient(
    page: Page, app: Flask, make_provider, staff_user, axe, screenshot
):
    make_provider("pmr", name="Dr. Lin")
    with app.app_context():
        item = visit_requests.submit_request(
            intake=Intake("evaluation", True, "trauma", True), patient=ROSA, preferences=TUE_THU_MORNINGS, channel="web"
        ).request
    region = page.get_by_role("region", name=re.compile(r"Comprehensive SI joint evaluation: Quist, Rosa$"))

    # Phone staff: the queue from the navigation, the patient's details, and a call logged.
    phone = staff_user("phone")
    sign_in_by_keyboard(page, phone.username, phone.password)
    press_on(page, "Requests")
    press_on(page, "Physical Medicine & Rehabilitation (1 open)")
    expect(region).to_contain_text("(507) 555-0133")
    expect(region).to_contain_text("11/04/1958")
    expect(region).to_contain_text("Tuesday or Thursday, mornings")
    expect(region).to_contain_text("A scheduler places the visit")
    expect(region.locator("input[name=slot]")).to_have_count(0)
    axe(page)
    log_call(page, item.id, item.reference, "Called, no answer")
    expect(region.get_by_role("list", name="Contact log")).to_contain_text("Test Phone: Called, no answer")
    axe(page)
    screenshot(page, "queue-phone-staff")
    press_on(page, "Sign out")

    # A scheduler: the times offered suit the preference, none is chosen for them.
    scheduler = staff_user("scheduler")
    sign_in_by_keyboard(page, scheduler.username, scheduler.password)
    press_on(page, "Requests")
    expect(region).to_contain_text("Free times that suit them (Tuesday or Thursday, mornings)")
    suggested = starts(page, item.id)
    assert len(suggested) == 6 and all(s.weekday() in (1, 3) and s.hour < 12 for s in suggested), suggested
    expect(region.locator("input[name=slot]:checked")).to_have_count(0)
    press_on(page, f"Place at the chosen time ({item.reference})")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("Choose a time to place the request: none is chosen for you.")
    axe(page)

    # Every time, then one day of the picker (a Monday: outside the preference, the whole day).
    press_on(page, f"Show all times for {item.reference}")
    expect(region).to_contain_text("All free times, the next days with any")
    expect(region).to_contain_text("(not a time they gave)")
    assert len({s.date() for s in starts(page, item.id)}) == request_queue.ALL_TIMES_DAYS
    axe(page)
    screenshot(page, "queue-all-times")
    monday = suggested[0].date() + timedelta(days=7 - suggested[0].weekday())
    tab_to(page, f"day-{item.id}")
    page.keyboard.type(f"{monday.month:02d}{monday.day:02d}{monday.year}")
    press_on(page, f"Show that day for {item.reference}")
    expect(region).to_contain_text(f"Free times on Monday, {monday.strftime('%B')} {monday.day}")
    assert {s.date() for s in starts(page, item.id)} == {monday}
    axe(page)
    press_on(page, f"Show only times that suit them for {item.reference}")

    # The call that agrees a time, then the time: the second that suits them (Tab in, Space, arrow).
    log_call(page, item.id, item.reference, "Spoke, will place the visit")
    suggested = starts(page, item.id)
    tab_to(page, f"times-{item.id}-0")  # the first time of the first day shown
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#times-{item.id}-1")).to_be_checked()
    press_on(page, f"Place at the chosen time ({item.reference})")
    expect(page).to_have_url(re.compile(r"/staff/visits/\d+$"))
    expect(page.get_by_role("status").first).to_contain_text(f"Request {item.reference} placed on")
    with app.app_context():
        (visit,) = db.session.execute(select(models.Appointment)).scalars()
        placed_at = to_clinic(visit.starts_at)
    assert placed_at == suggested[1] and placed_at.weekday() in (1, 3) and placed_at.hour < 12
    history = page.get_by_role("table", name="Who did what")
    expect(history).to_contain_text("Test Scheduler")
    expect(history).to_contain_text(f"from an online request, {item.reference}")

    # Nobody could be told: the queue asks for a call to confirm, until one is logged.
    press_on(page, "Requests")
    expect(page.get_by_role("link", name="Physical Medicine & Rehabilitation (0 open, 1 to confirm)")).to_be_visible()
    task = page.get_by_role("region", name=re.compile(r"^Call to confirm Quist, Rosa"))
    expect(task).to_contain_text("Placed with no email and no text consent: call the patient to confirm")
    expect(task).to_contain_text("(507) 555-0133")
    axe(page)
    screenshot(page, "queue-call-to-confirm")
    log_call(page, item.id, item.reference, "Spoke, the visit is confirmed")
    expect(page.get_by_role("region", name=re.compile(r"^Call to confirm"))).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("No open requests.")
    axe(page)

    with app.app_context():
        events = list(db.session.execute(select(models.AuditEvent).order_by(models.AuditEvent.id)).scalars())
    contacts = [(e.actor_id, e.detail) for e in events if e.action == "request.contact"]
    assert contacts == [(phone.id, "no-answer"), (scheduler.id, "spoke-will-place"), (scheduler.id, "confirmed")]
    (placed,) = [e for e in events if e.action == "request.place"]
    assert placed.detail.endswith("nobody notified (no email, no text consent): call to confirm")
    views = [e for e in events if e.action == "queue.view"]
    assert views and all(
        re.fullmatch(r"requests [\d,]+(; to confirm [\d,]+)?|requests none(; to confirm [\d,]+)?", e.detail)
        for e in views
    )
