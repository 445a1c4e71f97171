"""Plain words first (issue 15), in Chromium at a 390 px phone and a 1280 px desktop, with the
keyboard only: the first question's choices in plain words, each hint read with its choice; the
cause and the red flags as two pages; a returning patient not asked the cause or the referral.
axe (WCAG 2.2 A/AA) runs on each of these pages and each error state."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from playwright.sync_api import expect

from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.web.public.forms import RED_FLAGS_MESSAGE
from tests.browser.helpers import PHONE_WIDTH
from tests.browser.helpers import fits
from tests.browser.patient_steps import INJECTION
from tests.browser.patient_steps import NO_RED_FLAGS
from tests.browser.patient_steps import TRAUMA
from tests.browser.patient_steps import lands_on
from tests.browser.test_patient_accessibility import arrow_to
from tests.browser.test_patient_accessibility import assert_focus_visible
from tests.browser.test_patient_accessibility import tab_to

BOTH = "Select 'No, none of these' on its own, or only the ones you have"


def on_phone(page: Page) -> bool:
    return bool(page.viewport_size and page.viewport_size["width"] == PHONE_WIDTH)


def question_page(page: Page, heading: str, axe, screenshot, name: str) -> None:
    """A question page as it opens: its one question is the h1, it fits, axe finds nothing."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("main fieldset")).to_have_count(1)
    fits(page)
    axe(page)
    if on_phone(page):  # the screenshot fixture shoots both widths itself
        screenshot(page, name)


def continue_by_keyboard(page: Page, then: str | None = None) -> None:
    tab_to(page, "Continue")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    if then is not None:
        lands_on(page, then)


def error_state_by_keyboard(page: Page, message: str, field_id: str, axe) -> None:
    """The error summary is focused on load; Tab reaches its link, Enter moves focus to the field
    to fix; the inline message is there too; axe finds nothing in the error state."""
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.wait_for_load_state()  # its stylesheet too: the focus rings checked next are the page's own
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-message", has_text=message)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".error-summary").get_by_role("link", name=message, exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{field_id}")).to_be_focused()
    fits(page)
    axe(page)


def tick(page: Page, box_id: str) -> None:
    """Tab to a checkbox and toggle it with the space bar."""
    tab_to(page, box_id)
    assert_focus_visible(page)
    page.keyboard.press("Space")


def test_a_new_patient_answers_the_plain_first_question_then_the_cause_and_the_red_flags_by_keyboard(
    sized, make_provider, axe, screenshot
):
    page = sized
    make_provider("pmr")
    page.goto("/request/what")
    question_page(page, "What are you asking for?", axe, screenshot, "plain-what")

    # Each choice is in plain words; its hint (what it is, who it is for, the medical name) is its
    # accessible description, so a screen reader reads it with the choice.
    for vt in DEFAULT_VISIT_TYPES:
        radio = page.get_by_role("radio", name=vt.choice_label, exact=True)
        expect(radio).to_have_accessible_description(re.compile("^" + re.escape(vt.hint)))
        if vt.plain_name:
            expect(radio).to_have_accessible_description(re.compile(re.escape(f"Medical name: {vt.name}.") + "$"))
    expect(page.locator(".choice-hint").first).to_be_visible()

    continue_by_keyboard(page)  # nothing chosen
    error_state_by_keyboard(page, "Select what you are asking for", "requested-0", axe)
    page.keyboard.press("Space")  # focus is on the first choice: choose it, then move to the injection
    arrow_to(page, INJECTION)
    continue_by_keyboard(page, "/request/seen-before")

    tab_to(page, "seen_before-0")
    arrow_to(page, "No")
    continue_by_keyboard(page, "/request/cause")

    # The cause, alone on its page.
    question_page(page, "What is the likely cause of your SI joint pain?", axe, screenshot, "plain-cause")
    expect(page.get_by_role("checkbox")).to_have_count(0)
    continue_by_keyboard(page)
    error_state_by_keyboard(page, "Select the likely cause, or 'Unknown' if you are not sure", "cause-0", axe)
    page.keyboard.press("Space")
    arrow_to(page, TRAUMA)
    continue_by_keyboard(page, "/request/red-flags")

    # The red flags, alone on theirs: an answer is needed, and "none" is an answer on its own.
    question_page(page, "Do you have any of these right now?", axe, screenshot, "plain-red-flags")
    expect(page.get_by_role("checkbox", name="Fever", exact=True)).to_have_accessible_description(
        "A temperature of 100.4°F (38°C) or higher."
    )
    continue_by_keyboard(page)
    error_state_by_keyboard(page, RED_FLAGS_MESSAGE, "red_flags-0", axe)
    page.keyboard.press("Space")  # Fever
    tick(page, "red_flags-2")  # and "No, none of these"
    continue_by_keyboard(page)
    error_state_by_keyboard(page, BOTH, "red_flags-0", axe)
    expect(page.get_by_role("checkbox", name="Fever", exact=True)).to_be_checked()  # what was ticked is kept
    page.keyboard.press("Space")  # untick Fever
    expect(page.get_by_role("checkbox", name=NO_RED_FLAGS, exact=True)).to_be_checked()
    continue_by_keyboard(page, "/request/referred")
    expect(page.locator("a.back-link")).to_have_attribute("href", "/request/red-flags")

    tab_to(page, "referred-0")
    arrow_to(page, "No")
    continue_by_keyboard(page, "/request/route")
    expect(page.get_by_role("heading", level=1)).to_have_text("A first full check of your SI joint pain")
    expect(page.locator("main")).to_contain_text("Medical name: Comprehensive SI joint evaluation")
    expect(page.locator("main")).to_contain_text("New patients begin with a comprehensive evaluation")
    fits(page)
    axe(page)


def test_a_returning_patient_asking_for_an_injection_skips_the_cause_and_the_referral_by_keyboard(
    sized, make_provider, axe, screenshot
):
    page = sized
    make_provider("radiology-pain")
    page.goto("/request/what")
    tab_to(page, "requested-0")
    arrow_to(page, INJECTION)
    continue_by_keyboard(page, "/request/seen-before")
    tab_to(page, "seen_before-0")
    arrow_to(page, "Yes")
    continue_by_keyboard(page, "/request/red-flags")  # not the cause: the clinic has it on record

    expect(page.locator("a.back-link")).to_have_attribute("href", "/request/seen-before")
    tick(page, "red_flags-2")
    continue_by_keyboard(page, "/request/route")  # not the referral either

    expect(page.get_by_role("heading", level=1)).to_have_text(INJECTION)
    main = page.locator("main")
    expect(main).to_contain_text("Medical name: Fluoroscopy-guided SI joint injection")
    expect(main).to_contain_text("This visit is with Radiology & Pain Medicine.")
    expect(main).to_contain_text("Tell us which days and times suit you")
    assert "visit visits" not in main.inner_text()
    expect(page.locator("a.back-link")).to_have_attribute("href", "/request/red-flags")
    fits(page)
    axe(page)
    if on_phone(page):
        screenshot(page, "plain-route-returning")
