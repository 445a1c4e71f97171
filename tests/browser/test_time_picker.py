"""The patient's time picker in Chromium (issue 15): a day, then a time on it, at 390 and 1280 px,
by keyboard only and with JavaScript off; rescheduling through the manage link with the same
picker; the height of each step on a phone; axe (WCAG 2.2 A/AA) on each step and error state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from scheduler.store import models
from scheduler.web.public.picker import DAY_MISSING
from scheduler.web.public.picker import DAY_UNREADABLE
from scheduler.web.public.picker import PROVIDER_UNKNOWN
from tests.browser.helpers import DESKTOP_HEIGHT
from tests.browser.helpers import DESKTOP_WIDTH
from tests.browser.helpers import PHONE_HEIGHT
from tests.browser.helpers import PHONE_WIDTH
from tests.browser.helpers import page_weight
from tests.browser.patient_steps import FOCUSED
from tests.browser.patient_steps import answer_by_post
from tests.browser.patient_steps import assert_error_state
from tests.browser.patient_steps import book_directly
from tests.browser.patient_steps import lands_on
from tests.browser.patient_steps import pick_day
from tests.browser.patient_steps import pick_time
from tests.browser.patient_steps import press
from tests.browser.patient_steps import rows
from tests.browser.patient_steps import slot_start
from tests.conftest import central
from tests.conftest import next_clinic_day

WIDTHS = {"phone": (PHONE_WIDTH, PHONE_HEIGHT), "desktop": (DESKTOP_WIDTH, DESKTOP_HEIGHT)}
# Issue 15: at 390 px a day's times fit in about one and a half screens; the list of days in two.
TIMES_SCREENS = 1.5
DAYS_SCREENS = 2.0
PAGE_BUDGET = 60 * 1024  # HTML + CSS + JS of either step at first load


def page_height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def picker_bottom(page: Page) -> int:
    """Where the picker's own content ends (the page's main part, before the site footer that
    every page shares)."""
    return int(page.evaluate("document.querySelector('main').getBoundingClientRect().bottom + window.scrollY"))


def tab_to(page: Page, wanted: str, limit: int = 40) -> None:
    """Press Tab until the focused element's id (or text, for links and buttons) is ``wanted``."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
        if seen[-1] == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted!r}; focus went {seen}")


def assert_heights(page: Page, width: int, screens: float, what: str) -> None:
    height, bottom = page_height(page), picker_bottom(page)
    print(f"{what} at {width} px: page {height} px, picker ends at {bottom} px")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == PHONE_WIDTH:
        assert bottom <= screens * PHONE_HEIGHT, f"{what}: {bottom} px > {screens} x {PHONE_HEIGHT}"


@pytest.mark.parametrize("size", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_patient_books_by_day_then_time_with_the_keyboard_only(page, app, make_provider, axe, screenshot, size):
    make_provider("pmr", name="Dr. Lin")
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    answer_by_post(page)
    page.goto("/request/time")
    expect(page).to_have_title(re.compile(r"^Choose a day"))
    expect(page.get_by_text("Earliest", exact=True)).to_have_count(1)
    expect(page.get_by_role("link", name="Later dates")).to_be_visible()
    axe(page)
    screenshot(page, f"day-{width}")
    assert_heights(page, width, DAYS_SCREENS, "step 1 (days)")

    tab_to(page, "day-0")
    page.keyboard.press("ArrowDown")  # the second day: arrows choose as they move
    second = page.evaluate("document.activeElement.value")
    assert page.evaluate("document.activeElement.checked") and page.evaluate(FOCUSED) == "day-1"
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/request/time\?.*day=" + second))

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Choose a time on \w+day, \w+ \d+"))
    expect(page).to_have_title(re.compile(r"^" + re.escape(heading.inner_text())))
    expect(page.get_by_role("group", name=heading.inner_text())).to_be_visible()  # the fieldset, named
    expect(page.get_by_role("heading", name="Morning", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="Afternoon", level=2)).to_be_visible()
    expect(page.get_by_role("link", name="Choose another day")).to_be_visible()
    axe(page)
    screenshot(page, f"time-{width}")
    assert_heights(page, width, TIMES_SCREENS, "step 2 (times)")

    tab_to(page, "slot-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("document.activeElement.value")
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    lands_on(page, "/request/details")
    (hold,) = rows(app, models.Hold)
    assert hold.starts_at == slot_start(chosen) and slot_start(chosen).date().isoformat() <= second


@pytest.mark.browser_context_args(java_script_enabled=False)
@pytest.mark.parametrize("size", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_picker_works_with_javascript_off_including_the_provider_choice(page, app, make_provider, size):
    make_provider("pmr", name="Dr. Lin")
    chen = make_provider("pmr", name="Dr. Chen")
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    answer_by_post(page)
    page.goto("/request/time")
    press(page, "Continue")  # no day chosen: the error summary, focused by autofocus alone
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-message")).to_contain_text(DAY_MISSING)

    page.get_by_text("Who you see: anyone").click()  # <details>: no script needed
    page.get_by_role("radio", name=re.compile(r"^Dr\. Chen, physiatrist")).check()
    press(page, "Show days")
    expect(page).to_have_url(re.compile(rf"provider={chen}"))
    expect(page.get_by_text("Days with free times with Dr. Chen")).to_be_visible()
    pick_day(page, 1)
    expect(page.get_by_text("All these times are with Dr. Chen (physiatrist).")).to_be_visible()
    values = [v.get_attribute("value") or "" for v in page.locator('input[name="slot"]').all()]
    assert values and all(v.endswith(f"|{chen}") for v in values)
    chosen = pick_time(page, index=3)
    (hold,) = rows(app, models.Hold)
    assert hold.starts_at == slot_start(chosen) and hold.provider_id == chen


def test_rescheduling_through_the_manage_link_uses_the_same_picker(page, app, make_provider, axe, screenshot):
    make_provider("pmr", name="Dr. Lin")
    reference, token = book_directly(app, central(next_clinic_day(after_days=3), 10))
    manage = f"/manage/{reference}/{token}"
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    page.goto(manage)
    press(page, "Change the time", manage + "/reschedule")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new day")
    axe(page)
    assert_heights(page, PHONE_WIDTH, DAYS_SCREENS, "reschedule step 1")
    press(page, "Continue")
    assert_error_state(page, {DAY_MISSING: "day-0"}, axe)

    page.get_by_role("link", name="Later dates").click()
    expect(page).to_have_url(re.compile(r"/reschedule\?from="))
    expect(page.get_by_role("link", name="Earlier dates")).to_be_visible()
    pick_day(page, 2)
    axe(page)
    screenshot(page, "reschedule-time")
    assert_heights(page, PHONE_WIDTH, TIMES_SCREENS, "reschedule step 2")
    press(page, "Continue")
    assert_error_state(page, {"Select a new time for your visit": "slot-0"}, axe)
    chosen = pick_time(page, index=1, then=manage + "/reschedule/check")
    press(page, "Move my visit", manage)
    expect(page.get_by_role("status")).to_have_text(
        "Your visit has moved. We have not sent you a message about it: we have no email address or consent to "
        "texts for you."  # booked by phone with neither
    )
    (appointment,) = rows(app, models.Appointment)
    assert appointment.starts_at == slot_start(chosen) and appointment.version == 2


def test_bad_addresses_and_empty_answers_are_clear_error_states_that_pass_axe(page, make_provider, axe, screenshot):
    lin = make_provider("pmr", name="Dr. Lin")
    make_provider("pmr", name="Dr. Chen")
    answer_by_post(page)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    page.goto("/request/time?day=not-a-day")
    assert_error_state(page, {DAY_UNREADABLE: "day-0"}, axe)
    screenshot(page, "error-day")
    page.goto("/request/time?provider=123456")
    assert_error_state(page, {PROVIDER_UNKNOWN: "provider-any"}, axe)
    page.goto(f"/request/time?provider={lin}")
    pick_day(page)
    press(page, "Continue")
    assert_error_state(page, {"Select a time for your visit": "slot-0"}, axe)
    screenshot(page, "error-time")
    page.get_by_role("link", name="Choose another day").click()
    expect(page).to_have_url(re.compile(rf"/request/time\?provider={lin}$"))


@pytest.mark.parametrize("step", ["day", "time"])
def test_each_step_is_light_and_same_origin_on_first_load(page, make_provider, origin_guard, step):
    make_provider("pmr")
    make_provider("pmr")
    answer_by_post(page)  # with the API client: nothing drawn yet, the browser has nothing cached
    url = "/request/time"
    if step == "time":
        days = re.findall(r'name="day" value="([^"]+)"', page.request.get(url).text())
        url += f"?day={days[1]}"  # a whole day (the first may be cut short by the minimum notice)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    weight, urls = page_weight(page, url)
    print(f"step {step}: {weight} bytes ({weight / 1024:.1f} KB) over {len(urls)} requests")
    assert {u.rsplit("/", 1)[-1].split("?")[0] for u in urls} >= {"time", "public.css", "public.js"}, urls
    assert weight <= PAGE_BUDGET, f"{weight} bytes > {PAGE_BUDGET}"
    origin_guard.assert_same_origin()
