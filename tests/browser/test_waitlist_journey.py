"""The waitlist as a patient meets it (issue 17), in Chromium at a 390 px phone and a 1280 px
desktop: no time on the picker suits, so they join the waitlist; someone cancels, the worker's pass
offers the time, the offer email arrives in a real SMTP server, and its short link takes the time.
axe (WCAG 2.2 A/AA) runs on every page of it."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.jobs import transports
from scheduler.services import booking
from scheduler.services import waitlist_offers
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.web.public.present import when
from tests.browser.helpers import fits
from tests.browser.patient_steps import answer_questions
from tests.browser.patient_steps import fill_details
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows
from tests.conftest import central
from tests.conftest import next_clinic_day


def test_a_patient_joins_the_waitlist_from_the_picker_and_takes_a_freed_time_from_the_email(
    sized, app, inbox, make_provider, axe, screenshot
):
    page = sized
    width = page.viewport_size["width"] if page.viewport_size else 0
    make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=6)
    with app.app_context():
        taken = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(day, 9),
            patient=PatientDetails("Bob", "Ray", date(1960, 1, 1), "+15075550199", None),
            intake=Intake("evaluation", False, "trauma", False),
            channel="phone",
        ).appointment

    answer_questions(page)
    press(page, "Continue", "/request/time")
    axe(page)
    press(page, "Join the waitlist", "/request/waitlist")  # a link styled as a button
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waitlist")
    fits(page)
    axe(page)
    screenshot(page, f"waitlist-join-{width}")
    page.get_by_label(day.strftime("%A"), exact=True).check()
    page.get_by_label(re.compile(r"^Morning")).check()
    press(page, "Continue", "/request/details")
    fill_details(page)
    press(page, "Continue", "/request/check")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before joining the waitlist")
    expect(page.locator("main")).to_contain_text(f"{day.strftime('%A')}; mornings")
    axe(page)
    press(page, "Join the waitlist")
    expect(page).to_have_url(re.compile(r"/waitlist/WL-[A-Z0-9-]+/[^/]+$"))
    expect(page.get_by_role("status")).to_contain_text("You are on the waitlist.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your place on the waitlist")
    fits(page)
    axe(page)
    screenshot(page, f"waitlist-entry-{width}")

    # Bob cancels; one pass of the worker offers his time, and the offer email goes out.
    with app.app_context():
        drain_once(transports)
        inbox.messages.clear()
        booking.cancel_visit(taken.id, "patient asked", notify=False)
        assert waitlist_offers.run_pass() == {"offered": 1}
        assert drain_once(transports) == {"sent": 1}
    [offer_email] = inbox.messages
    text = offer_email.get_body(preferencelist=("plain",)).get_content()
    claim = re.search(r"https?://[^/\s]+(/o/[A-Za-z0-9_-]{12})(?![A-Za-z0-9_-])", text).group(1)  # may end in "-"

    page.goto(claim)
    expect(page.get_by_role("heading", level=1)).to_have_text("A time for you")
    expect(page.locator("main")).to_contain_text(when(central(day, 9)))
    fits(page)
    axe(page)
    screenshot(page, f"waitlist-claim-{width}")
    press(page, "Book this time")
    expect(page).to_have_url(re.compile(r"/manage/SIJ-[A-Z0-9-]+/[^/]+$"))
    expect(page.get_by_role("status")).to_contain_text(f"This time is yours: {when(central(day, 9))}.")
    expect(page.get_by_role("heading", name="Your visit")).to_be_visible()
    axe(page)
    booked = [a for a in rows(app, models.Appointment) if a.status == "booked"]
    assert [(a.starts_at, a.channel) for a in booked] == [(central(day, 9), "web")]
