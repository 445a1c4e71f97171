"""Find my visit, the request page and booking again after cancelling (issue 15), in Chromium at a
390 px phone and a 1280 px desktop: the link asked for arrives in a real SMTP server and opens the
visit; a request is viewed, changed and withdrawn; a cancelled visit is booked again choosing only
a time. axe (WCAG 2.2 A/AA) runs on every new page and error state."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.jobs import transports
from scheduler.services import booking
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.references import request_token
from scheduler.store import models
from scheduler.web.public.forms import REFERENCE_MESSAGE
from tests.browser.helpers import fits
from tests.browser.patient_steps import assert_error_state
from tests.browser.patient_steps import lands_on
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com", False)
ANSWERS = Intake("evaluation", False, "trauma", True)
CHANGED_NOTES = "After school drop-off"


def book_for_ann(app, provider_id: int) -> tuple[str, str]:
    with app.app_context():
        booked = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(next_clinic_day(after_days=5), 9),
            patient=ANN,
            intake=ANSWERS,
            channel="web",
            provider_id=provider_id,
        )
        return booked.appointment.reference, booked.manage_token


def request_for_ann(app) -> str:
    """Ann's request for an injection, and the address of its request page."""
    with app.app_context():
        submitted = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True),
            patient=ANN,
            preferences={"days": ["tuesday"], "parts_of_day": ["morning"], "notes": ""},
            channel="web",
        )
        reference, nonce = submitted.request.reference, submitted.request.manage_nonce
    with app.test_request_context():
        return f"/requests/{reference}/{request_token(reference, nonce)}"


def test_a_patient_who_lost_the_link_finds_the_visit_by_reference_and_birth_date(
    sized, app, inbox, make_provider, axe, screenshot
):
    page = sized
    provider = make_provider("pmr", name="Dr. Lin")
    reference, _ = book_for_ann(app, provider)
    with app.app_context():
        drain_once(transports)  # the confirmation, sent long ago and lost
    inbox.messages.clear()

    page.goto("/")
    page.get_by_role("link", name="Find your visit or request").click()
    lands_on(page, "/find")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find your visit or request")
    fits(page)
    axe(page)
    screenshot(page, f"find-{page.viewport_size['width']}")

    # Nothing typed, then a reference that cannot be one: each error says what to fix.
    press(page, "Send me the link")
    assert_error_state(page, {"Enter your reference": "reference", "Enter your date of birth": "birth_month"}, axe)
    page.get_by_label("Reference", exact=True).fill("my visit")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_label("Day", exact=True).fill("3")
    page.get_by_label("Year", exact=True).fill("70")
    press(page, "Send me the link")
    assert_error_state(
        page,
        {
            REFERENCE_MESSAGE: "reference",
            "Year must include 4 numbers, like 1970": "birth_year",
        },
        axe,
    )
    expect(page.get_by_label("Reference", exact=True)).to_have_value("my visit")

    page.get_by_label("Reference", exact=True).fill(reference.lower())
    page.get_by_label("Year", exact=True).fill("1970")
    press(page, "Send me the link", "/find/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(
        "If the details match a visit or request, we have emailed its link to the address we have for you."
    )
    expect(page.locator("main")).not_to_contain_text(reference)
    fits(page)
    axe(page)

    # The email arrives in the local SMTP server, and its link opens the visit.
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    [message] = inbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/manage/" + reference + r"/\S+)", text).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Your visit")).to_be_visible()
    expect(page.locator("main")).to_contain_text(reference)

    # Wrong details: the very same answer, and nothing sent.
    page.goto("/find")
    page.get_by_label("Reference", exact=True).fill(reference)
    for label, value in (("Month", "3"), ("Day", "4"), ("Year", "1970")):
        page.get_by_label(label, exact=True).fill(value)
    press(page, "Send me the link", "/find/sent")
    expect(page.locator("main")).to_contain_text("If the details match a visit or request")
    with app.app_context():
        assert drain_once(transports) == {}


def test_a_patient_views_changes_and_withdraws_a_request(sized, app, make_provider, axe, screenshot):
    page = sized
    make_provider("radiology-pain")
    address = request_for_ann(app)
    width = page.viewport_size["width"]

    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request")
    expect(page.locator("main")).to_contain_text("Waiting for a scheduler")
    expect(page.locator("main")).to_contain_text("Tuesday; mornings")
    fits(page)
    axe(page)
    screenshot(page, f"request-waiting-{width}")

    page.get_by_role("button", name="Change the days and times").click()
    lands_on(page, address + "/change")
    expect(page.get_by_role("checkbox", name="Tuesday")).to_be_checked()
    fits(page)
    axe(page)
    page.get_by_role("checkbox", name="Tuesday").uncheck()
    page.get_by_role("checkbox", name="Morning (8 a.m. to noon)").uncheck()
    page.get_by_label("Anything else we should know").fill("After school drop-off")
    press(page, "Save the days and times")
    assert_error_state(
        page,
        {"Select at least one day that suits you": "days-0", "Select mornings, afternoons or both": "parts_of_day-0"},
        axe,
    )
    expect(page.get_by_label("Anything else we should know")).to_have_value("After school drop-off")
    page.get_by_role("checkbox", name="Friday").check()
    page.get_by_role("checkbox", name="Afternoon (noon to 5 p.m.)").check()
    press(page, "Save the days and times", address)
    expect(page.get_by_role("status")).to_contain_text("Your preferred days and times are changed")
    expect(page.locator("main")).to_contain_text("Friday; afternoons")
    expect(page.locator("main")).to_contain_text("After school drop-off")

    page.get_by_role("button", name="Withdraw this request").click()
    lands_on(page, address + "/withdraw")
    fits(page)
    axe(page)
    screenshot(page, f"request-withdraw-{width}")
    page.get_by_role("button", name="Keep my request").click()
    lands_on(page, address)
    assert rows(app, models.VisitRequest)[0].status == "open"
    page.get_by_role("button", name="Withdraw this request").click()
    press(page, "Withdraw request", address)
    expect(page.get_by_role("status")).to_have_text("Your request is withdrawn. We will not call you about it.")
    expect(page.locator("main")).to_contain_text("Withdrawn")
    expect(page.get_by_role("button", name="Withdraw this request")).to_have_count(0)
    fits(page)
    axe(page)
    (withdrawn,) = rows(app, models.VisitRequest)
    assert withdrawn.status == "withdrawn"
    assert withdrawn.preferences == {"days": ["friday"], "parts_of_day": ["afternoon"], "notes": CHANGED_NOTES}
    with app.app_context():
        assert staff_visits.open_requests("radiology-pain") == []


def test_placed_declined_and_bad_request_links_read_clearly(sized, app, make_provider, make_room, axe):
    page = sized
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy")
    placed = request_for_ann(app)
    declined = request_for_ann(app)
    scheduler = staff_visits.Actor(staff_id=1, role="scheduler")
    with app.app_context():
        first, second = (r.id for r in rows(app, models.VisitRequest))
        staff_visits.place_request(first, central(next_clinic_day(after_days=5), 10), actor=scheduler)
        staff_visits.decline_request(second, "not-suitable", actor=scheduler)

    page.goto(placed)
    expect(page.locator("main")).to_contain_text("A visit is booked")
    expect(page.locator("main")).to_contain_text("Dr. Ortiz")
    fits(page)
    axe(page)
    page.get_by_role("link", name="See, move or cancel your visit").click()
    expect(page.get_by_role("heading", name="Your visit")).to_be_visible()

    page.goto(declined)
    expect(page.locator("main")).to_contain_text("Declined")
    expect(page.locator("main")).to_contain_text("The clinic does not treat what you asked for.")
    fits(page)
    axe(page)

    page.goto(declined[:-4] + "abcd")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    fits(page)
    axe(page)
    page.get_by_role("link", name="Ask for a new link").click()
    lands_on(page, "/find")


def test_a_patient_books_again_after_cancelling_and_only_chooses_a_time(sized, app, make_provider, axe, screenshot):
    page = sized
    provider = make_provider("pmr", name="Dr. Lin")
    reference, token = book_for_ann(app, provider)
    manage = f"/manage/{reference}/{token}"
    page.goto(manage + "/cancel")
    page.get_by_role("radio", name="I cannot come at that time").check()
    press(page, "Cancel visit", manage)
    expect(page.get_by_role("button", name="Book a new time")).to_be_visible()
    fits(page)
    axe(page)
    screenshot(page, f"cancelled-book-again-{page.viewport_size['width']}")

    press(page, "Book a new time", "/request/time")
    axe(page)
    # Through the time picker (a day, then a time, as it asks) straight to "Check your answers".
    for _ in range(3):
        page.get_by_role("radio").first.check()
        press(page, "Continue")
        page.wait_for_load_state()
        if page.url.endswith("/request/check"):
            break
    lands_on(page, "/request/check")
    main = page.locator("main")
    expect(main).to_contain_text("Ann Lee")
    expect(main).to_contain_text("March 3, 1970")
    axe(page)
    press(page, "Book this visit", "/request/confirmation")
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    old, new = sorted(rows(app, models.Appointment), key=lambda a: a.id)
    assert old.status == "cancelled" and new.status == "booked"
    assert new.patient_id == old.patient_id and new.answers == ANSWERS
