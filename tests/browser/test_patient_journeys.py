"""The patient's journeys in Chromium (issue 3): book, request, cancel, reschedule, lose a held
time, every error state, and a booking with JavaScript switched off.

Each page is also checked with axe (WCAG 2.2 A/AA) as the journey reaches it, and the booking
journey leaves screenshots at 390 and 1280 px in test-artifacts/screenshots/test_patient_journeys/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services.seed import default_holidays
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.public.forms import RED_FLAGS_MESSAGE
from scheduler.web.public.present import when
from tests.browser.patient_steps import CLINIC_PHONE
from tests.browser.patient_steps import DETAILS
from tests.browser.patient_steps import INJECTION
from tests.browser.patient_steps import NO_RED_FLAGS
from tests.browser.patient_steps import answer_by_post
from tests.browser.patient_steps import answer_questions
from tests.browser.patient_steps import assert_error_state
from tests.browser.patient_steps import book_directly
from tests.browser.patient_steps import fill_details
from tests.browser.patient_steps import lands_on
from tests.browser.patient_steps import pick_day
from tests.browser.patient_steps import pick_time
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows
from tests.browser.patient_steps import slot_start
from tests.conftest import central
from tests.conftest import next_clinic_day

# ----- the journeys ----------------------------------------------------------------------------


def test_a_new_patient_books_an_evaluation_end_to_end(page, app, make_provider, axe, screenshot):
    make_provider("pmr", name="Dr. Lin")

    def visit(step: str) -> None:
        axe(page)
        screenshot(page, step)

    answer_questions(page, visit=visit)
    expect(page.get_by_text("New patients begin with a comprehensive evaluation in Physical Medicine")).to_be_visible()
    press(page, "Continue", "/request/time")
    visit("07-time")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Choose a day")
    expect(page.locator("main")).to_contain_text("For your comprehensive SI joint evaluation (60 minutes).")
    pick_day(page)
    visit("07-time-of-day")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Choose a time on \w+day, "))
    chosen = pick_time(page)
    visit("08-details")
    fill_details(page)
    press(page, "Continue", "/request/check")
    visit("09-check")
    expect(page.locator("main")).to_contain_text("Ann Lee")
    expect(page.locator("main")).to_contain_text("March 3, 1970")
    press(page, "Book this visit", "/request/confirmation")
    visit("10-confirmation")

    main = page.locator("main")
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"SIJ-[A-Z0-9-]+", reference), reference
    expect(main).to_contain_text(when(slot_start(chosen)) + " (Central time)")
    assert re.search(r"\b(CST|CDT)\b", main.inner_text())
    expect(main).to_contain_text("Dr. Lin")
    expect(page.get_by_role("link", name="your visit page")).to_have_attribute(
        "href", re.compile(rf"^/manage/{reference}/")
    )
    (appointment,) = rows(app, models.Appointment)
    assert appointment.reference == reference and appointment.channel == "web"
    assert appointment.starts_at == slot_start(chosen)
    assert appointment.status == "booked"
    assert not rows(app, models.Hold)  # the hold was used up by the booking
    add_to_calendar = re.compile(r"^Add to calendar")
    downloaded = calendar_download(page, add_to_calendar)
    assert "METHOD:PUBLISH" in downloaded and f"UID:{reference}@" in downloaded and "ATTENDEE" not in downloaded

    page.get_by_role("link", name="your visit page").click()
    expect(page.get_by_role("heading", name="Your visit")).to_be_visible()
    expect(page.locator("main")).to_contain_text(reference)
    expect(page.get_by_role("button", name="Change the time")).to_be_visible()
    # The visit page offers the same file (only its DTSTAMP, the moment it was written, differs).
    assert without_stamp(calendar_download(page, add_to_calendar)) == without_stamp(downloaded)


def calendar_download(page, name) -> str:
    """Follow the "Add to calendar" link from the keyboard; the calendar file it downloads."""
    with page.expect_download() as download:
        page.get_by_role("link", name=name).focus()
        page.keyboard.press("Enter")
    return Path(download.value.path()).read_text()


def without_stamp(calendar: str) -> list[str]:
    return [line for line in calendar.splitlines() if not line.startswith("DTSTAMP:")]


def test_a_returning_patient_requests_an_injection_with_preferred_days(page, app, make_provider, axe, screenshot):
    make_provider("radiology-pain")
    answer_questions(page, requested=INJECTION, seen_before="Yes")  # not asked the cause or the referral
    expect(page.get_by_text("Tell us which days and times suit you")).to_be_visible()
    press(page, "Continue", "/request/preferences")
    axe(page)
    screenshot(page, "request-preferences")

    # Nothing chosen: both questions say what to do; the notes typed are kept.
    page.get_by_label("Anything else we should know").fill("Not before 10 if possible")
    press(page, "Continue")
    assert_error_state(
        page,
        {"Select at least one day that suits you": "days-0", "Select mornings, afternoons or both": "parts_of_day-0"},
        axe,
    )
    expect(page.get_by_label("Anything else we should know")).to_have_value("Not before 10 if possible")

    page.get_by_role("checkbox", name="Tuesday").check()
    page.get_by_role("checkbox", name="Thursday").check()
    page.get_by_role("checkbox", name="Morning (8 a.m. to noon)").check()
    press(page, "Continue", "/request/details")
    fill_details(page, sms=False)
    press(page, "Continue", "/request/check")
    expect(page.locator("main")).to_contain_text("Tuesday, Thursday; morning")
    press(page, "Send request", "/request/confirmation")
    axe(page)
    screenshot(page, "request-sent")

    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    assert reference.startswith("REQ-"), reference
    (request,) = rows(app, models.VisitRequest)
    assert request.reference == reference and request.channel == "web"
    assert request.preferences["days"] == ["tuesday", "thursday"]
    assert request.preferences["parts_of_day"] == ["morning"]
    assert request.preferences["notes"] == "Not before 10 if possible"
    assert not rows(app, models.Appointment)


def test_a_patient_cancels_through_the_manage_link(page, app, make_provider, axe, screenshot):
    make_provider("pmr", name="Dr. Lin")
    reference, token = book_directly(app, central(next_clinic_day(after_days=3), 10), given_name="Ann")
    manage = f"/manage/{reference}/{token}"
    page.goto(manage)
    axe(page)
    screenshot(page, "manage")
    expect(page.get_by_role("heading", name="Your visit")).to_be_visible()

    press(page, "Cancel this visit", manage + "/cancel")
    axe(page)
    page.get_by_label("Tell us more (optional)").fill("Much improved")
    press(page, "Cancel visit")
    assert_error_state(page, {"Select why you are cancelling": "reason-0"}, axe)
    expect(page.get_by_label("Tell us more (optional)")).to_have_value("Much improved")

    page.get_by_role("radio", name="I am feeling better").check()
    press(page, "Cancel visit", manage)
    expect(page.get_by_role("status")).to_have_text(
        "Your visit is cancelled. We have not sent you a message about it: we have no email address or consent to "
        "texts for you."  # booked by phone with neither
    )
    expect(page.get_by_role("button", name="Change the time")).to_have_count(0)
    (appointment,) = rows(app, models.Appointment)
    assert appointment.status == "cancelled"
    assert appointment.cancel_reason == "I am feeling better. Much improved"


def test_another_patient_reschedules_through_the_manage_link(page, app, make_provider, axe, screenshot):
    make_provider("pmr", name="Dr. Lin")
    reference, token = book_directly(app, central(next_clinic_day(after_days=3), 10))
    manage = f"/manage/{reference}/{token}"
    page.goto(manage)
    press(page, "Change the time", manage + "/reschedule")
    axe(page)
    screenshot(page, "reschedule")

    press(page, "Continue")  # no day chosen
    assert_error_state(page, {"Select a day for your visit": "day-0"}, axe)

    # A week or more ahead, so the new time's reminder (two days before) is still to come.
    page.get_by_role("link", name="Later dates").click()
    expect(page).to_have_url(re.compile(r"/reschedule\?from="))
    chosen = pick_time(page, index=2, then=manage + "/reschedule/check")
    axe(page)
    screenshot(page, "reschedule-check")
    expect(page.get_by_role("heading", name="Move your visit to the new time?")).to_be_visible()
    press(page, "Move my visit", manage)

    expect(page.get_by_role("status")).to_have_text(
        "Your visit has moved. We have not sent you a message about it: we have no email address or consent to "
        "texts for you."  # booked by phone with neither
    )
    expect(page.locator("main")).to_contain_text(when(slot_start(chosen)) + " (Central time)")
    (appointment,) = rows(app, models.Appointment)
    assert appointment.reference == reference and appointment.version == 2
    assert appointment.starts_at == slot_start(chosen)


def test_a_held_time_taken_anyway_keeps_every_answer(page, app, make_provider):
    make_provider("pmr")
    answer_by_post(page)
    page.goto("/request/time")
    chosen = pick_time(page)
    fill_details(page)
    press(page, "Continue", "/request/check")

    # While the patient reads their answers, the hold runs out and someone books the time by phone.
    with app.app_context():
        db.session.execute(models.Hold.__table__.update().values(expires_at=models.Hold.created_at))
        db.session.commit()
    book_directly(app, slot_start(chosen))

    press(page, "Book this visit", "/request/time")
    expect(page.get_by_role("status")).to_contain_text(
        "Sorry, the time you chose was taken by someone else before we could book it."
    )
    pick_day(page)  # the day of the time that was taken: it is no longer offered
    expect(page.locator(f'input[name="slot"][value="{chosen}"]')).to_have_count(0)
    pick_time(page, then="/request/check")  # straight back to the answers: nothing to type again
    expect(page.locator("main")).to_contain_text("Ann Lee")
    page.get_by_role("link", name="Change your name").click()
    lands_on(page, "/request/details")
    for label, value in DETAILS.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    press(page, "Continue", "/request/check")
    press(page, "Book this visit", "/request/confirmation")
    assert len(rows(app, models.Appointment)) == 2


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_a_booking_works_without_javascript(page, app, make_provider):
    make_provider("pmr", name="Dr. Lin")
    answer_by_post(page)
    page.goto("/request/time")
    expect(page.locator(".local-time").first).to_be_hidden()
    pick_time(page)
    # The error summary is still focused on load (autofocus, not the script), and its links still
    # lead to the fields (plain "#field" links) ...
    press(page, "Continue")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    page.get_by_role("link", name="Enter your first name").click()
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    # ... and the "#given_name" they leave in the address does not follow the next post, which
    # would stop the browser focusing the next error summary.
    fill_details(page, {**DETAILS, "Year": "70"})
    press(page, "Continue")
    expect(page).not_to_have_url(re.compile("#"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("First name", exact=True)).to_have_value("Ann")
    fill_details(page)
    press(page, "Continue", "/request/check")
    press(page, "Book this visit", "/request/confirmation")
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    assert len(rows(app, models.Appointment)) == 1


# ----- every error state -----------------------------------------------------------------------


def test_each_question_left_empty_says_what_to_do_and_keeps_what_was_chosen(page, make_provider, axe, screenshot):
    make_provider("pmr")
    page.goto("/request/what")
    press(page, "Continue")
    assert_error_state(page, {"Select what you are asking for": "requested-0"}, axe)
    screenshot(page, "error-what")
    page.get_by_role("radio", name="I am not sure: I have SI joint pain").check()
    press(page, "Continue", "/request/seen-before")

    press(page, "Continue")
    assert_error_state(page, {"Select yes if you have been seen at the clinic before": "seen_before-0"}, axe)
    page.get_by_role("radio", name="No", exact=True).check()
    press(page, "Continue", "/request/cause")

    press(page, "Continue")
    assert_error_state(page, {"Select the likely cause, or 'Unknown' if you are not sure": "cause-0"}, axe)
    page.get_by_role("radio", name="Unknown").check()
    press(page, "Continue", "/request/red-flags")

    press(page, "Continue")
    assert_error_state(page, {RED_FLAGS_MESSAGE: "red_flags-0"}, axe)
    page.get_by_role("checkbox", name=NO_RED_FLAGS).check()
    press(page, "Continue", "/request/referred")

    press(page, "Continue")
    assert_error_state(page, {"Select yes if a physician referred you": "referred-0"}, axe)
    page.get_by_role("radio", name="No", exact=True).check()
    press(page, "Continue", "/request/route")

    press(page, "Continue", "/request/time")
    press(page, "Continue")
    assert_error_state(page, {"Select a day for your visit": "day-0"}, axe)
    pick_day(page)
    press(page, "Continue")
    assert_error_state(page, {"Select a time for your visit": "slot-0"}, axe)


def _next_saturday():
    day = clinic_today(utc_now()) + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


def _next_holiday():
    today = clinic_today(utc_now())
    return next(d for d, _ in default_holidays(range(today.year, today.year + 2)) if d > today + timedelta(days=1))


def test_a_refused_time_says_why_and_offers_the_next_open_time(page, make_provider, axe):
    provider = make_provider("pmr")
    answer_by_post(page)
    page.goto("/request/time")
    pick_day(page)
    refused = [
        (central(_next_saturday(), 9), "The clinic is closed on Saturdays"),
        (central(next_clinic_day(after_days=3), 7, 30), "is before the clinic opens"),
        (central(next_clinic_day(after_days=3), 16, 30), "A 60-minute visit starting at 4:30 p.m."),
        (central(_next_holiday(), 9), "The clinic is closed"),
        (central(clinic_today(utc_now()) - timedelta(days=3), 9), "That time has already passed"),
    ]
    for start, why in refused:
        # A stale page, a crafted post: the first radio is made to carry a time the clinic never offered.
        first = page.get_by_role("radio").first
        first.evaluate("(radio, value) => { radio.value = value; }", f"{start.isoformat()}|{provider}")
        first.check()
        press(page, "Continue")
        message = page.locator(".error-message").inner_text().replace("Error:", "", 1).strip()
        assert why in message and "The next open time is" in message, message
        assert_error_state(page, {message: "slot-0"})
    axe(page)


def test_details_errors_keep_everything_typed_and_link_to_each_field(page, make_provider, axe, screenshot):
    make_provider("pmr")
    answer_by_post(page)
    page.goto("/request/time")
    pick_time(page)
    typed = {**DETAILS, "First name": "", "Month": "Smarch", "Phone number": "12", "Email address": "ann@"}
    fill_details(page, typed)
    press(page, "Continue")
    assert_error_state(
        page,
        {
            "Enter your first name": "given_name",
            "Date of birth must include a month, like 3 or March": "birth_month",
            "Enter a phone number we can call, like 507-538-1280.": "phone",
            "Enter an email address like name@example.com.": "email",
        },
        axe,
    )
    screenshot(page, "error-details")
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("Yes, send me text messages about my visits")).to_be_checked()

    # Each way a date of birth can be wrong points at the box to fix, and keeps the other boxes.
    for month, day, year, message, box in [
        ("", "", "", "Enter your date of birth", "birth_month"),
        ("13", "1", "1970", "Date of birth must include a month, like 3 or March", "birth_month"),
        ("2", "", "1970", "Date of birth must include a day, like 27", "birth_day"),
        ("2", "30", "1970", "Date of birth must be a real date in the past", "birth_month"),
        ("2", "3", "70", "Year must include 4 numbers, like 1970", "birth_year"),
    ]:
        fill_details(page, {**DETAILS, "Month": month, "Day": day, "Year": year}, sms=False)
        press(page, "Continue")
        assert_error_state(page, {message: box})
        for label, value in (("Month", month), ("Day", day), ("Year", year), ("Last name", "Lee")):
            expect(page.get_by_label(label, exact=True)).to_have_value(value)

    # Neither a phone nor an email: one message, on the phone box.
    fill_details(page, {**DETAILS, "Phone number": "", "Email address": ""}, sms=False)
    page.get_by_label("Yes, send me text messages about my visits").uncheck()
    press(page, "Continue")
    assert_error_state(page, {"Give a phone number or an email address so we can reach you.": "phone"})
    fill_details(page)
    press(page, "Continue", "/request/check")


def test_a_bad_manage_link_and_an_unknown_page_say_what_to_do(page, app, make_provider, axe, screenshot):
    make_provider("pmr")
    reference, token = book_directly(app, central(next_clinic_day(after_days=3), 10))
    manage = f"/manage/{reference}/{token}"
    assert page.goto(manage).status == 200
    for bad in (manage[:-3] + "xyz", "/manage/SIJ-AAAA-BBBB/nonsense", manage + "x/cancel"):
        response = page.goto(bad)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
        expect(page.locator("main")).to_contain_text(CLINIC_PHONE)
    axe(page)
    screenshot(page, "bad-link")

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the start")).to_be_visible()
    axe(page)
