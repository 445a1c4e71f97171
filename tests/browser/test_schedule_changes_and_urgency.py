"""Schedule changes show their impact first, and staff see urgency, in Chromium (issue 13).

- A closure over a day with a booked visit lists the visit first with a decision each; "Make the
  change" without one is an error on that visit that changes nothing; "Keep it there" (chosen with
  the keyboard only) adds the closure and the visit is tagged "Outside hours (kept)" on the
  calendar and listed under "Kept as exceptions" on the Needs attention page.
- New Friday hours from a date on the provider page list the Friday-afternoon visit they would
  strand; "Move to" its first suggestion moves it, and the scheduled hours are listed.
- An urgent request in the queue shows the Urgent badge, red flags, the patient's phone and the
  call-back countdown; an urgent visit shows the badge and red flags on the visit page, the
  calendar cell and the day list (a routine visit beside it shows none).

axe (WCAG 2.2 A/AA) runs on each of these pages and states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.helpers import sign_in
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BEN = PatientDetails("Ben", "Olsen", date(1981, 6, 2), "+15075550188", None)
CARA = PatientDetails("Cara", "Diaz", date(1970, 3, 27), "+15075550177", None)
DEE = PatientDetails("Dee", "Holm", date(1955, 9, 9), "+15075550166", None)
SCHEDULER = staff_visits.Actor(staff_id=1, role="scheduler")
PHONE_STAFF = staff_visits.Actor(staff_id=1, role="phone", channel="phone")
INFECTED_AND_FEVERISH = Intake("unsure", False, "infection", True, frozenset({"fever"}))
ROUTINE = Intake("evaluation", True, "trauma", True)
RED_FLAGS = "Fever; Cause: infection"
# "Monday, December 7, 2026 at 9 a.m. CST", "... at 11:30 a.m. CDT", "... at noon CST"
CENTRAL_WHEN = r"\w+day, \w+ \d{1,2}, \d{4} at (\d{1,2}(:\d{2})? [ap]\.m\.|noon) C[SD]T"
# The element with the focus: (its name, its value).
FOCUSED = "() => [document.activeElement.name || '', document.activeElement.value || '']"



# ----- shared steps ------------------------------------------------------------------------------




def book(
    app: Flask, day: date, hour: int, patient: PatientDetails, *, intake: Intake | None = None, urgent: bool = False
) -> int:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient,
            actor=PHONE_STAFF if urgent else SCHEDULER, intake=intake, urgent=urgent,
        ).appointment.id  # fmt: skip


def visit_row(app: Flask, visit_id: int) -> models.Appointment:
    with app.app_context():
        return db.session.get(models.Appointment, visit_id)


def closures_named(app: Flask, name: str) -> list[date]:
    with app.app_context():
        return [c.day for c in db.session.execute(select(models.Closure).filter_by(name=name)).scalars()]


def press_tab_until(page: Page, arrived: Callable[[tuple[str, str]], bool], limit: int = 60) -> None:
    """Press Tab until the focused element's (name, value) satisfies ``arrived``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(tuple(page.evaluate(FOCUSED)))
        if arrived(seen[-1]):
            return
    raise AssertionError(f"the focus never arrived; it went through {seen}")


# ----- 1. a closure over a booked visit, kept there as an exception ----------------------------------


def test_a_closure_over_a_booked_visit_asks_first_and_a_kept_visit_is_flagged_everywhere(
    page, app, make_provider, staff_user, axe, screenshot
):
    make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    visit = book(app, day, 10, ANN)
    sign_in(page, staff_user("scheduler"))
    page.goto("/staff/admin/closures")
    page.get_by_label("First day", exact=True).fill(day.isoformat())
    page.get_by_label("Name, shown to patients").fill("Flood")
    page.get_by_role("button", name="Add closure").click()

    # The visit first, with a decision to make; nothing added yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you change: closure “Flood”")
    expect(page.locator("main")).to_contain_text("This change would leave 1 booked visit outside its provider's hours")
    listed = page.get_by_role("group", name=re.compile(r"^Lee, Ann: Comprehensive SI joint evaluation, "))
    expect(listed).to_contain_text("The clinic is closed all day for Flood")
    moves = listed.get_by_role("radio", name=re.compile(r"^Move to "))
    expect(moves.first).to_have_accessible_name(
        re.compile(rf"^Move to {CENTRAL_WHEN} with Dr\. Lin \(physiatrist\); the patient is told$")
    )
    expect(listed.get_by_role("radio", name="Cancel it and tell the patient")).not_to_be_checked()
    keep = listed.get_by_role("radio", name=re.compile(r"^Keep it there as an exception"))
    expect(keep).not_to_be_checked()
    expect(listed.get_by_role("radio")).to_have_count(moves.count() + 2)
    assert closures_named(app, "Flood") == []
    axe(page)
    screenshot(page, "closure-review")

    # Without a decision: the error, on that visit; nothing changed.
    page.get_by_role("button", name="Make the change").click()
    expect(page).to_have_title(re.compile("^Error: Check before you change"))
    expect(page.get_by_role("alert")).to_contain_text("Choose what happens to each visit listed")
    expect(listed.locator(".error-message")).to_have_text("Error: Choose what happens to this visit")
    expect(listed.locator("input[type=radio]:checked")).to_have_count(0)
    assert closures_named(app, "Flood") == []
    assert visit_row(app, visit).status == AppointmentStatus.BOOKED
    axe(page)
    screenshot(page, "closure-review-error")

    # Keyboard only: into the visit's choices, Space takes the first, arrows go on to "Keep it there".
    field = f"decision-{visit}"
    press_tab_until(page, lambda focus: focus[0] == field)
    page.keyboard.press("Space")
    expect(moves.first).to_be_checked()
    for _ in range(12):
        if page.evaluate(FOCUSED)[1] == "keep":
            break
        page.keyboard.press("ArrowDown")
    expect(keep).to_be_focused()
    expect(keep).to_be_checked()
    press_tab_until(page, lambda focus: page.evaluate("document.activeElement.innerText") == "Make the change")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/staff/admin/closures$"))
    expect(page.get_by_role("status").first).to_contain_text("Closure added.")
    expect(page.get_by_role("status").first).to_contain_text("1 kept as exceptions")
    assert closures_named(app, "Flood") == [day]
    kept = visit_row(app, visit)
    assert kept.status == AppointmentStatus.BOOKED and kept.starts_at == central(day, 10) and kept.kept_outside_hours

    # The calendar tags it, in words.
    page.goto(f"/staff/calendar?specialty=pmr&day={day.isoformat()}")
    cell = page.get_by_role("cell").filter(has_text="Lee, Ann")
    expect(cell).to_have_count(1)
    expect(cell.locator(".tag-outside")).to_have_text("Outside hours (kept)")
    axe(page)
    screenshot(page, "calendar-kept-outside-hours")

    # Needs attention: nothing to decide, the visit among the exceptions, linked.
    page.goto("/staff/admin/attention")
    expect(page.get_by_role("heading", name="Needing a decision (0)")).to_be_visible()
    expect(page.get_by_role("heading", name="Kept as exceptions (1)")).to_be_visible()
    exceptions = page.get_by_role("table", name="Visits kept outside hours on purpose")
    row = exceptions.get_by_role("row").filter(has_text="Lee, Ann")
    expect(row).to_contain_text("Dr. Lin")
    expect(row.get_by_role("link")).to_have_attribute("href", f"/staff/visits/{visit}")
    axe(page)


# ----- 2. new Friday hours from a date: the stranded visit moved ---------------------------------------


def test_new_hours_from_a_date_list_the_stranded_visit_and_move_it_to_the_first_suggestion(
    page, app, make_provider, staff_user, axe
):
    lin = make_provider("pmr", name="Dr. Lin")
    friday = next_clinic_day(after_days=9, weekday=4)
    earlier_friday = friday - timedelta(days=7)
    afternoon = book(app, friday, 14, ANN)
    before = book(app, earlier_friday, 14, BEN)  # before the new hours apply: not listed, not moved
    sign_in(page, staff_user("scheduler"))
    page.goto(f"/staff/admin/providers/{lin}")
    page.locator("#friday").fill("08:00-12:00")
    page.get_by_label("The hours above apply from").fill((friday - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Check before you change: new hours for Dr\. Lin from \w+day, \w+ \d{1,2}$")
    )
    expect(page.get_by_role("group")).to_have_count(1)  # the earlier Friday is not listed
    listed = page.get_by_role("group", name=re.compile(r"^Lee, Ann: "))
    expect(listed).to_contain_text("Outside Dr. Lin's hours.")
    first = listed.get_by_role("radio", name=re.compile(r"^Move to ")).first
    label = first.evaluate("radio => radio.labels[0].innerText")
    moved_to = re.fullmatch(rf"Move to ({CENTRAL_WHEN}) with Dr\. Lin \(physiatrist\); the patient is told", label)
    assert moved_to, label
    axe(page)
    first.check()
    page.get_by_role("button", name="Make the change").click()

    expect(page).to_have_url(re.compile(rf"/staff/admin/providers/{lin}$"))
    expect(page.get_by_role("status").first).to_contain_text("Saved Dr. Lin, with the new hours from ")
    expect(page.get_by_role("status").first).to_contain_text("1 moved")
    scheduled = page.locator("main p").filter(has_text=re.compile(r"^From \w+day, \w+ \d{1,2}, \d{4}:"))
    expect(scheduled).to_have_count(1)
    expect(scheduled).to_contain_text("Fri 08:00-12:00")
    expect(page.locator("#friday")).to_have_value("08:00-17:00")  # the hours now, until then
    axe(page)

    page.goto(f"/staff/visits/{afternoon}")
    when_shown = page.get_by_role("definition").filter(has_text=re.compile(CENTRAL_WHEN)).first
    expect(when_shown).to_have_text(moved_to.group(1))
    moved = visit_row(app, afternoon)
    assert moved.status == AppointmentStatus.BOOKED and moved.starts_at != central(friday, 14)
    assert not moved.kept_outside_hours
    assert visit_row(app, before).starts_at == central(earlier_friday, 14)


# ----- 3. staff see urgency ----------------------------------------------------------------------------


def urgent_request(app: Flask, patient: PatientDetails) -> models.VisitRequest:
    """An urgent call-back request received 35 minutes ago, due in 85 minutes."""
    with app.app_context():
        item = visit_requests.submit_request(
            intake=INFECTED_AND_FEVERISH, patient=patient, preferences={}, channel="web"
        ).request
        row = db.session.get(models.VisitRequest, item.id)
        now = utc_now()
        row.created_at = now - timedelta(minutes=35)
        row.call_back_by = now + timedelta(minutes=85)
        db.session.commit()
        return row


def test_staff_see_an_urgent_request_and_an_urgent_visit_with_their_red_flags_everywhere(
    page, app, make_provider, staff_user, axe, screenshot
):
    lin = make_provider("pmr", name="Dr. Lin")
    item = urgent_request(app, CARA)
    with app.app_context():
        routine_request = visit_requests.submit_request(
            intake=ROUTINE, patient=BEN, preferences={}, channel="web"
        ).request
    day = next_clinic_day(after_days=3)
    urgent_visit = book(app, day, 9, DEE, intake=INFECTED_AND_FEVERISH, urgent=True)
    book(app, day, 11, ANN, intake=ROUTINE)
    sign_in(page, staff_user("scheduler"))

    # The queue: urgent first, with its red flags, phone and how long it has waited.
    page.goto("/staff/queue?specialty=pmr")
    urgent = page.get_by_role("region", name=re.compile(r"^Urgent .*: Diaz, Cara$"))
    expect(urgent.get_by_role("heading", level=2).locator(".tag-urgent")).to_have_text("Urgent")
    expect(urgent).to_contain_text(RED_FLAGS)
    expect(urgent).to_contain_text("(507) 555-0177")
    expect(urgent).to_contain_text(item.reference)
    clock = r"(\w{3} \w{3} \d+, )?(noon|midnight|\d{1,2}(:\d\d)? [ap]\.m\.) C[SD]T"
    expect(urgent).to_contain_text(re.compile(rf"Waiting 3[5-6] min · call back by {clock} \(in 1 h 2[3-5] min\)"))
    routine = page.get_by_role("region", name=re.compile(r"Olsen, Ben$"))
    expect(routine).to_contain_text(routine_request.reference)
    expect(routine.locator(".tag-urgent")).to_have_count(0)
    regions = page.locator("main section.request")
    expect(regions.first).to_have_attribute("aria-labelledby", f"request-{item.id}")
    axe(page)
    screenshot(page, "queue-urgent")

    # The visit page.
    page.goto(f"/staff/visits/{urgent_visit}")
    badge = page.locator("main .notice").filter(has=page.locator(".tag-urgent"))
    expect(badge).to_have_text(f"Urgent {RED_FLAGS}")
    expect(page.locator("main")).to_contain_text("Likely cause")
    axe(page)

    # The calendar cell: the badge and the red flags written in it; the routine visit has none.
    page.goto(f"/staff/calendar?specialty=pmr&day={day.isoformat()}")
    cell = page.get_by_role("cell").filter(has_text="Holm, Dee")
    expect(cell.locator(".tag-urgent")).to_have_text("Urgent")
    expect(cell).to_contain_text(RED_FLAGS)
    expect(page.get_by_role("cell").filter(has_text="Lee, Ann")).not_to_contain_text("Urgent")
    axe(page)
    screenshot(page, "calendar-urgent")

    # The day list.
    page.goto(f"/staff/day-list/{lin}?day={day.isoformat()}")
    expect(page.get_by_role("columnheader", name="Urgent")).to_be_visible()
    urgent_row = page.get_by_role("row").filter(has_text="Holm, Dee")
    expect(urgent_row.locator(".tag-urgent")).to_have_text("Urgent")
    expect(urgent_row).to_contain_text(RED_FLAGS)
    expect(page.get_by_role("row").filter(has_text="Lee, Ann")).not_to_contain_text("Urgent")
    axe(page)
