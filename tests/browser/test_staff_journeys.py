"""The staff journeys in Chromium (issue 5): a scheduler placing a queued request, moving a visit
with the keyboard only, a phone-staff booking from search to read-back with the keyboard only, the
duplicate warning, and axe (WCAG 2.2 A/AA) on every staff page and phone-console state.

Staff sign in through the real sign-in page (CSRF on, as in every browser test).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import Route
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.browser.helpers import OriginGuard
from tests.browser.helpers import sign_in
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", None)
# The focused element: its id, else its text (links and buttons).
FOCUSED = "() => { const el = document.activeElement; return el.id || (el.innerText || '').trim(); }"
WHEN = re.compile(r"\w+day, \w+ \d{1,2}, \d{4} at \d{1,2}(:\d{2})? [ap]\.m\. C[SD]T")


# tests/staff/conftest.py's fixture, for this module only (that conftest is not a plugin here).




def focused(page: Page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, wanted: str, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the focused element's id or text is ``wanted``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        seen.append(focused(page))
        if seen[-1] == wanted:
            return
    raise AssertionError(f"{wanted!r} never took the focus; focus went through {seen}")


def rows(app: Flask, model: type) -> list:
    with app.app_context():
        return list(db.session.execute(select(model).order_by(model.id)).scalars())


def add_patient(app: Flask, details: PatientDetails) -> int:
    with app.app_context():
        patient = models.Patient(given_name=details.given_name, family_name=details.family_name,
                                 birth_date=details.birth_date, phone=details.phone, email=details.email)  # fmt: skip
        db.session.add(patient)
        db.session.commit()
        return patient.id


def book(app: Flask, day: date, hour: int, patient: PatientDetails = ANN) -> int:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient,
            actor=staff_visits.Actor(staff_id=1, role="scheduler"),
        ).appointment.id  # fmt: skip


def audit_actions(app: Flask) -> list[str]:
    return [event.action for event in rows(app, models.AuditEvent)]


# ----- (a) a scheduler places a queued request --------------------------------------------------


def test_a_scheduler_places_a_queued_request_from_the_queue_page(page, app, make_provider, make_room, staff_user, axe):
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy")
    with app.app_context():
        item = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True),
            patient=ANN,
            preferences={"days": ["monday"]},
            channel="web",
        ).request
    sign_in(page, staff_user("scheduler"))
    page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="Radiology & Pain Medicine").click()
    request = page.get_by_role("region", name=re.compile(r"Fluoroscopy-guided SI joint injection: Lee, Ann"))
    expect(request).to_contain_text(item.reference)
    expect(request).to_contain_text(item.routing_reason)
    axe(page)
    times = request.get_by_role("radio")
    expect(request.locator("input[name=slot]:checked")).to_have_count(0)  # no time is chosen for them
    second = times.nth(1)
    chosen = second.get_attribute("value")
    second.check()
    request.get_by_role("button", name=re.compile("^Place at the chosen time")).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Request {item.reference} placed on")
    expect(page).to_have_url(re.compile(r"/staff/visits/\d+$"))
    (appointment,) = rows(app, models.Appointment)
    assert appointment.request_id == item.id and appointment.starts_at.isoformat() == chosen.split("|")[0]
    assert "request.place" in audit_actions(app)


# ----- (b) moving a visit with the keyboard only ------------------------------------------------


def test_a_scheduler_moves_a_visit_with_the_keyboard_only(page, app, make_provider, staff_user):
    make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    visit = book(app, day, 9)
    sign_in(page, staff_user("scheduler"))
    page.goto(f"/staff/visits/{visit}")
    tab_to(page, "Move…")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Move Lee, Ann")
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)  # no time is chosen for them
    # Into the times: the first radio of the group takes the focus; arrows choose.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "slot":
            break
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("() => document.activeElement.value")
    assert page.evaluate("() => document.activeElement.checked")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/visits/{visit}$"))
    expect(page.get_by_role("status").first).to_contain_text("Visit moved to")
    (appointment,) = rows(app, models.Appointment)
    assert appointment.starts_at.isoformat() == chosen.split("|")[0]
    assert audit_actions(app)[-2:] == ["appointment.move", "appointment.view"]


# ----- (c) a phone booking with the keyboard only -----------------------------------------------


def test_phone_staff_book_from_search_to_read_back_with_the_keyboard_only(
    page, app, make_provider, staff_user, origin_guard: OriginGuard, axe, screenshot
):
    make_provider("pmr", name="Dr. Lin")
    ann = add_patient(app, ANN)
    add_patient(app, BOB)
    staff = staff_user("phone")
    sign_in(page, staff)
    searches: list[tuple[str, str]] = []
    page.on("request", lambda r: searches.append((r.method, r.url)) if "/staff/phone/search" in r.url else None)
    page.goto("/staff/phone")
    assert focused(page) == "q"  # the search box has the focus on load
    page.keyboard.type("lee 3/3/1970")
    result = page.get_by_role("link", name=re.compile(r"^Lee, Ann born 03\/03\/1970"))
    expect(result).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 patient found")
    screenshot(page, "phone-01-search")
    page.keyboard.press("ArrowDown")
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/staff/phone/patients/{ann}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking for Lee, Ann")
    assert focused(page) == "requested"  # the caller is known: straight to why they call

    # Why, in the order of the call; the verbal text consent (just before) with Space.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "sms_consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Not sure")  # type-ahead in the closed list
    expect(page.get_by_label("What are they asking for?")).to_have_value("unsure")
    page.keyboard.press("Tab")  # Seen before: Yes / No
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # Likely cause: Congenital, Trauma, ...
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # Fever
    page.keyboard.press("Tab")  # Sudden inability to bear weight
    page.keyboard.press("Tab")  # Referred: Yes / No
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert focused(page) == "Find next available (Alt+F)"
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="When: next available")).to_be_visible()
    expect(page.locator("main")).to_contain_text("New patients begin with a comprehensive evaluation")
    first = page.get_by_role("radio", name=re.compile(r"Dr\. Lin \(physiatrist\)$")).first
    expect(first).to_be_focused()  # the first day's first time: an arrow or Enter chooses, nothing is chosen yet
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    axe(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("() => document.activeElement.value")
    page.keyboard.press("Enter")  # on a time: read it back

    panel = page.get_by_role("region", name="Read back to the caller")
    expect(panel).to_be_focused()
    expect(panel).to_contain_text(WHEN)
    for said in ("Dr. Lin", "SI Joint Clinic, 200 First Street SW (placeholder), Rochester, MN 55905",
                 "Comprehensive SI joint evaluation (60 minutes)",
                 "Bring a list of your medicines", "Ann Lee, born 03/03/1970", "(507) 555-0101",
                 "Yes, agreed on this call"):  # fmt: skip
        expect(panel).to_contain_text(said)
    axe(page)
    screenshot(page, "phone-02-read-back")
    assert not rows(app, models.Appointment)
    page.keyboard.press("Control+Enter")

    expect(page).to_have_url(re.compile(r"/staff/phone/booked/\d+$"))
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    expect(page.get_by_role("link", name="Next call")).to_be_focused()
    axe(page)
    (appointment,) = rows(app, models.Appointment)
    assert appointment.patient_id == ann and appointment.channel == "phone"
    assert appointment.starts_at.isoformat() == chosen.split("|")[0]
    expect(page.locator(".reference")).to_have_text(appointment.reference)
    booked = next(e for e in rows(app, models.AuditEvent) if e.action == "appointment.book")
    assert (booked.actor_id, booked.channel) == (staff.id, "phone")
    assert rows(app, models.Patient)[0].sms_consent
    # Results came as the staff member typed, by POST: the query was never in any URL.
    assert searches and {method for method, _ in searches} == {"POST"}
    assert not [url for url in origin_guard.requests if re.search(r"lee|1970|%2F|q=", url, re.I)]


# ----- (d) the duplicate warning ----------------------------------------------------------------


def test_a_likely_duplicate_is_a_warning_with_use_this_patient_chosen(
    page, app, make_provider, staff_user, axe, screenshot
):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    sign_in(page, staff_user("phone"))
    page.goto("/staff/phone")
    page.keyboard.press("Alt+N")  # new patient
    expect(page.get_by_role("heading", level=1)).to_have_text("New patient")
    assert focused(page) == "given_name"
    for value in ("Anne", "Leigh", "1970-03-03", "507-555-0199"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.get_by_label("What are they asking for?").select_option("evaluation")
    page.get_by_role("group", name="Seen at the clinic before?").get_by_label("No").check()
    page.get_by_label("Trauma, such as a fall or car crash").check()
    page.get_by_role("group", name="Referred by a physician?").get_by_label("No").check()
    page.keyboard.press("Alt+F")

    warning = page.locator("#duplicates")
    expect(warning.get_by_role("heading")).to_have_text("This may be a patient already on record")
    use_ann = warning.get_by_role("radio", name=re.compile(r"^Use this patient: Lee, Ann, born 03\/03\/1970"))
    expect(use_ann).to_be_checked()
    expect(use_ann).to_be_focused()
    expect(warning.get_by_role("radio", name=re.compile("^None of these"))).not_to_be_checked()
    axe(page)
    screenshot(page, "phone-03-duplicate-warning")
    page.keyboard.press("Enter")  # the default: use Ann's record
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking for Lee, Ann")
    expect(page.get_by_role("status").filter(has_text="Using the record on file")).to_be_visible()
    expect(page.get_by_role("heading", name="When: next available")).to_be_visible()
    assert [p.id for p in rows(app, models.Patient)] == [ann]


# ----- (e) axe on every staff page --------------------------------------------------------------


def test_every_staff_page_passes_axe(page, app, make_provider, make_room, staff_user, axe):
    provider = make_provider("pmr", name="Dr. Lin")
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy")
    day = next_clinic_day(after_days=3)
    visit = book(app, day, 9)
    with app.app_context():
        visit_requests.submit_request(
            intake=Intake("injection", True, "infection", True), patient=BOB, preferences={"days": ["monday"]},
            channel="web",
        )  # fmt: skip
    page.goto("/staff/login")
    axe(page)
    page.get_by_role("button", name="Sign in").click()  # an empty form: the error state
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page)
    sign_in(page, staff_user("admin"))
    axe(page)  # home
    for url in (
        f"/staff/calendar?specialty=pmr&day={day.isoformat()}",
        f"/staff/calendar/provider/{provider}?week={day.isoformat()}",
        f"/staff/visits/{visit}",
        f"/staff/visits/{visit}/move",
        "/staff/queue?specialty=radiology-pain",
        f"/staff/day-list/{provider}?day={day.isoformat()}",
        "/staff/messages",
        "/staff/audit",
        "/staff/mail",
        "/staff/admin",
        "/staff/phone",
        "/staff/phone/new",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe(page)
    # The visit page with an error (cancel without a reason).
    page.goto(f"/staff/visits/{visit}")
    page.get_by_role("button", name="Cancel visit").click()
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page)
    # The phone console, each state: results, no results, errors, urgent times.
    page.goto("/staff/phone")
    # Keys typed before the box has the focus go nowhere (a loaded machine can be that slow).
    expect(page.get_by_label("Find a patient")).to_be_focused()
    page.keyboard.type("lee")
    expect(page.get_by_role("link", name=re.compile("^Lee, Ann"))).to_be_visible()
    axe(page)
    page.get_by_label("Find a patient").fill("nobody at all")
    expect(page.locator("#phone-results").get_by_text("No patients match")).to_be_visible()
    axe(page)
    page.goto("/staff/phone/new")
    page.get_by_role("button", name=re.compile("^Find next available")).click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    axe(page)
    page.get_by_label("First name").fill("Cara")
    page.get_by_label("Last name").fill("Diaz")
    page.get_by_label("Date of birth").fill("3/27/1970")
    page.get_by_label("Phone number").fill("507-555-0177")
    page.get_by_label("What are they asking for?").select_option("unsure")
    page.get_by_role("group", name="Seen at the clinic before?").get_by_label("No").check()
    page.get_by_label("Infection").check()
    page.get_by_role("group", name="Referred by a physician?").get_by_label("No").check()
    page.get_by_role("button", name=re.compile("^Find next available")).click()
    expect(page.get_by_role("heading", name=re.compile("Book a physician.s earliest time"))).to_be_visible()
    axe(page)


def test_a_late_console_script_leaves_focus_where_phone_staff_moved_it(page, staff_user):
    """phone.js is deferred and focuses the error summary when it runs. On a loaded machine it can
    run after the agent has already tabbed on; it leaves their focus alone then (it used to pull
    focus back to the summary mid-task). Untouched, the summary still gets the focus."""
    sign_in(page, staff_user("phone"))
    page.goto("/staff/phone/new")
    held: list[Route] = []
    page.route("**/js/phone.js", lambda route: held.append(route))
    page.get_by_role("button", name=re.compile("^Find next available")).click()  # nothing filled in
    expect(page).to_have_title(re.compile("^Error: "))
    page.keyboard.press("Tab")
    moved_to = page.evaluate("document.activeElement.outerHTML")
    assert "error-summary" not in moved_to and len(held) == 1
    held[0].continue_()
    page.wait_for_load_state()  # the deferred script has run
    assert page.evaluate("document.activeElement.outerHTML") == moved_to

    page.unroute("**/js/phone.js")
    page.get_by_role("button", name=re.compile("^Find next available")).click()
    expect(page.locator(".error-summary")).to_be_focused()


def test_an_admin_switching_off_the_urgent_rule_is_asked_first_and_can_keep_it(page, staff_user, axe):
    sign_in(page, staff_user("admin"))
    page.goto("/staff/admin/routing")
    page.get_by_role("button", name="Switch off urgent-infection-or-red-flag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure?")
    expect(page.get_by_role("alert")).to_contain_text("offered routine visits")
    axe(page)
    page.get_by_role("link", name="Keep it as it is").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Routing rules")
    expect(page.get_by_role("listitem").filter(has_text="urgent-infection-or-red-flag")).not_to_contain_text(
        "switched off"
    )


def test_an_admin_edits_the_clinic_address_and_patients_see_it(page, staff_user, axe):
    sign_in(page, staff_user("admin"))
    page.goto("/staff/admin")
    page.get_by_role("link", name="Clinic details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic details")
    axe(page)
    page.get_by_label("Street address", exact=True).fill("1216 Second Street SW")
    page.get_by_label("ZIP code").fill("55902")
    page.get_by_label("Map link (https)").fill("http://maps.example.org/clinic")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator("#map_url-error")).to_contain_text("starts with https://")
    expect(page.get_by_label("Street address", exact=True)).to_have_value("1216 Second Street SW")  # kept
    axe(page)
    page.get_by_label("Map link (https)").fill("https://maps.example.org/clinic")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Clinic details saved.")).to_be_visible()
    page.goto("/")
    expect(page.locator("footer")).to_contain_text("SI Joint Clinic, 1216 Second Street SW, Rochester, MN 55902")


# ----- without JavaScript ---------------------------------------------------------------------


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_phone_console_works_without_javascript(page, app, make_provider, staff_user):
    make_provider("pmr", name="Dr. Lin")
    ann = add_patient(app, ANN)
    sign_in(page, staff_user("phone"))
    page.goto("/staff/phone")
    page.get_by_label("Find a patient").fill("555-0101")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Lee, Ann")).click()
    expect(page).to_have_url(re.compile(rf"/staff/phone/patients/{ann}$"))
    page.get_by_label("What are they asking for?").select_option("evaluation")
    page.get_by_role("group", name="Seen at the clinic before?").get_by_label("No").check()
    page.get_by_label("Unknown").check()
    page.get_by_role("group", name="Referred by a physician?").get_by_label("No").check()
    page.get_by_role("button", name=re.compile("^Find next available")).click()
    first = page.get_by_role("radio", name=re.compile(r"Dr\. Lin \(physiatrist\)$")).first
    expect(first).not_to_be_checked()  # nothing is chosen for staff
    first.check()
    page.get_by_role("button", name=re.compile("^Read back")).click()
    expect(page.get_by_role("region", name="Read back to the caller")).to_contain_text(WHEN)
    page.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    (appointment,) = rows(app, models.Appointment)
    assert appointment.patient_id == ann and appointment.channel == "phone"
