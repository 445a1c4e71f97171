"""The patient pages for everyone (issue 3): the urgent route, a keyboard-only booking with a visible
focus ring, local times beside Central times, and the slot-choice page's weight, width and targets
on a phone. (Every other page and error state is checked with axe in test_patient_journeys.py.)"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Route
from playwright.sync_api import expect

from scheduler.store import models
from tests.browser.helpers import PHONE_HEIGHT
from tests.browser.helpers import PHONE_WIDTH
from tests.browser.helpers import page_weight
from tests.browser.patient_steps import CLINIC_PHONE
from tests.browser.patient_steps import FOCUSED
from tests.browser.patient_steps import NO_RED_FLAGS
from tests.browser.patient_steps import TRAUMA
from tests.browser.patient_steps import UNSURE
from tests.browser.patient_steps import answer_by_post
from tests.browser.patient_steps import answer_questions
from tests.browser.patient_steps import lands_on
from tests.browser.patient_steps import pick_day
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows
from tests.browser.patient_steps import slot_start

SLOT_PAGE_BUDGET = 60 * 1024  # issue 3: HTML + CSS + JS of the slot-choice page at first load
TARGET_PX = 44  # issue 3: targets >= 44px
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
FOCUS_YELLOW = "rgb(255, 221, 0)"  # --focus in public.css


def test_an_urgent_route_says_call_now_and_passes_axe(page, make_provider, axe, screenshot, clinic_open):
    make_provider("pmr")
    answer_questions(page, cause="Infection")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"Call us now on {CLINIC_PHONE}")
    # On a phone the number is one tap away and stays whole (it used to wrap at its hyphen).
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    number = alert.get_by_role("link", name=CLINIC_PHONE)
    expect(number).to_have_attribute("href", "tel:+1" + CLINIC_PHONE.replace("-", ""))
    assert number.evaluate("link => link.getClientRects().length") == 1
    axe(page)
    screenshot(page, "route-urgent")
    # A red flag with any cause is urgent too (the other answers are kept: straight back to the route).
    page.goto("/request/cause")
    page.get_by_role("radio", name=TRAUMA, exact=True).check()
    press(page, "Continue", "/request/route")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.goto("/request/red-flags")
    page.get_by_role("checkbox", name=NO_RED_FLAGS, exact=True).uncheck()
    page.get_by_role("checkbox", name="Fever", exact=True).check()
    press(page, "Continue", "/request/route")
    expect(page.get_by_role("alert")).to_contain_text(f"Call us now on {CLINIC_PHONE}")


# ----- keyboard only -----------------------------------------------------------------------------


def tab_to(page: Page, wanted: str, limit: int = 60) -> None:
    """Press Tab until the focused element's id (or text, for links and buttons) is ``wanted``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
        if seen[-1] == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted!r}; focus went {seen}")


def arrow_to(page: Page, label: str, limit: int = 15) -> None:
    """In a radio group (focus on one of its radios), press the down arrow until ``label`` is
    focused, then make sure it is selected (arrows select as they move; Space selects the first)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement.labels[0].innerText.trim()") == label:
            page.keyboard.press("Space")
            assert page.evaluate("document.activeElement.checked"), label
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no radio labelled {label!r} in the group")


def focus_ring(page: Page) -> str:
    """The focused element's outline, box-shadow and background: where a focus indicator shows."""
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineColor, s.boxShadow, s.backgroundColor].join(' | '); }"""
    )


def assert_focus_visible(page: Page) -> None:
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    ring = focus_ring(page)
    assert FOCUS_YELLOW in ring, f"no visible focus indicator on {page.evaluate(FOCUSED)!r}: {ring}"


def test_a_keyboard_only_booking_reaches_the_confirmation(page, app, make_provider):
    make_provider("pmr", name="Dr. Lin")
    page.goto("/")
    tab_to(page, "Skip to main content", limit=1)  # the first stop on every page
    assert_focus_visible(page)
    tab_to(page, "Start now")
    assert_focus_visible(page)
    page.keyboard.press("Space")  # a link drawn as a button answers the space bar too
    lands_on(page, "/request/what")

    for radio, label, then in (  # Tab into each question's radio group, arrow to the answer
        ("requested-0", UNSURE, "/request/seen-before"),
        ("seen_before-0", "No", "/request/cause"),
        ("cause-0", TRAUMA, "/request/red-flags"),
        ("red_flags-2", NO_RED_FLAGS, "/request/referred"),  # a checkbox: Space ticks it
        ("referred-0", "No", "/request/route"),
    ):
        tab_to(page, radio)
        assert_focus_visible(page)
        if radio.startswith("red_flags"):
            page.keyboard.press("Space")
            assert page.evaluate("document.activeElement.checked")
        else:
            arrow_to(page, label)
        tab_to(page, "Continue")
        assert_focus_visible(page)
        page.keyboard.press("Enter")
        lands_on(page, then)

    tab_to(page, "Continue")  # the route page's link drawn as a button
    page.keyboard.press("Enter")
    lands_on(page, "/request/time")
    tab_to(page, "day-0")  # the first step: a day
    assert_focus_visible(page)
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/request/time\?.*day="))
    tab_to(page, "slot-0")  # then a time on it
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    lands_on(page, "/request/details")

    for field, text in (
        ("given_name", "Ann"),
        ("family_name", "Lee"),
        ("birth_month", "3"),
        ("birth_day", "3"),
        ("birth_year", "1970"),
        ("phone", "507-555-0101"),
        ("email", "ann.lee@example.com"),
    ):
        # After the first box, each box is the very next stop: no hidden or stray stops between.
        tab_to(page, field, limit=60 if field == "given_name" else 1)
        assert_focus_visible(page)
        page.keyboard.type(text)
    tab_to(page, "sms_consent", limit=1)
    page.keyboard.press("Space")
    tab_to(page, "Continue", limit=2)  # the honeypot is no tab stop
    page.keyboard.press("Enter")
    lands_on(page, "/request/check")

    tab_to(page, "Book this visit")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    lands_on(page, "/request/confirmation")
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    (appointment,) = rows(app, models.Appointment)
    assert appointment.status == "booked" and appointment.channel == "web"
    expect(page.locator(".reference")).to_have_text(appointment.reference)


def test_a_late_script_leaves_focus_where_the_keyboard_user_moved_it(page, make_provider):
    """public.js is deferred, so on a slow line it can arrive after the patient has tabbed from the
    error summary to its first link. When it runs, focus stays on that link, and Enter then reaches
    the field; it used to go back to the summary, and Enter did nothing (CI saw it under load)."""
    make_provider("pmr")
    page.goto("/request/what")
    held: list[Route] = []
    page.route("**/js/public.js", lambda route: held.append(route))  # the error page's script waits
    tab_to(page, "Continue")
    page.keyboard.press("Enter")  # nothing chosen
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()  # its autofocus: no script needed
    page.keyboard.press("Tab")
    link = page.locator(".error-summary").get_by_role("link", name="Select what you are asking for")
    expect(link).to_be_focused()
    assert len(held) == 1, "the script was not held back"

    held[0].continue_()
    page.wait_for_load_state()  # the deferred script has run, and DOMContentLoaded has fired
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#requested-0")).to_be_focused()


# ----- the patient's own time zone ---------------------------------------------------------------


def offered_starts_and_local_notes(page: Page) -> list[tuple[datetime, str]]:
    """(start, the local-time note beside it) for each time offered on the page."""
    return [
        (slot_start(choice.locator("input").get_attribute("value") or ""), choice.locator(".local-time").inner_text())
        for choice in page.locator(".time-choice").all()
    ]


@pytest.mark.browser_context_args(timezone_id="America/Los_Angeles")
def test_a_patient_in_los_angeles_sees_their_own_time_beside_central_time(page, make_provider):
    make_provider("pmr")
    answer_by_post(page)
    page.goto("/request/time")
    pick_day(page)
    shown = offered_starts_and_local_notes(page)
    assert shown
    for start, note in shown:
        local = start.astimezone(LOS_ANGELES)
        assert note == f"({local.strftime('%-I:%M %p')} {local.tzname()} your time)", (start, note)
        assert re.fullmatch(r"\(\d{1,2}:\d{2} [AP]M P[SD]T your time\)", note)
    expect(page.locator(".local-time").first).to_be_visible()


def test_a_patient_in_central_time_sees_nothing_extra(page, make_provider):
    make_provider("pmr")
    answer_by_post(page)
    page.goto("/request/time")
    pick_day(page)
    shown = offered_starts_and_local_notes(page)
    assert shown and all(note == "" for _, note in shown)
    expect(page.locator(".local-time").first).to_be_hidden()


# ----- the slot-choice page on a phone -----------------------------------------------------------


def test_the_slot_choice_page_is_light_same_origin_and_fits_a_phone(page, make_provider, origin_guard):
    make_provider("pmr")
    answer_by_post(page)  # no page drawn yet: the browser has nothing cached, a true first load
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    weight, urls = page_weight(page, "/request/time")
    print(f"slot-choice page weight: {weight} bytes ({weight / 1024:.1f} KB) over {len(urls)} requests")
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {"time", "public.css", "public.js"}, urls
    assert weight <= SLOT_PAGE_BUDGET, f"{weight} bytes > {SLOT_PAGE_BUDGET}"
    origin_guard.assert_same_origin()

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    too_small = page.evaluate(
        """min => [...document.querySelectorAll(
                 'main .choice, main .choice-label, main .button, .back-link, main .pager a')]
               .map(el => [el.className || el.tagName, el.innerText.trim().slice(0, 40),
                           Math.round(el.getBoundingClientRect().height)])
               .filter(([, , height]) => height < min)""",
        TARGET_PX,
    )
    assert not too_small, f"targets under {TARGET_PX}px tall: {too_small}"
    assert page.locator("main .choice-label").count() > 0 and page.locator("main .button").count() >= 2
    font_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main .choice-label')).fontSize)")
    assert font_size >= 16
