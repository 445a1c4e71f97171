"""The calendars in Chromium, keyboard only, at 390 and 1280 px (issue 14): a scheduler opens the
rooms' day from the navigation, picks a date, and sees the injection booked in its room; then opens
a provider's week from the specialty's day and switches provider and week with the pickers (GET
forms, no JavaScript needed). axe (WCAG 2.2 A/AA) on each page and on a refused week (422); no
sideways scrolling of the page; and the visit-type colours measured: each distinct from the others
and from the "not available" grey, and every text on them at 4.5:1 or more."""

from __future__ import annotations

import itertools
import math
import re
from datetime import date
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from tests.browser.helpers import fits
from tests.browser.test_request_queue import press_on
from tests.browser.test_request_queue import sign_in_by_keyboard
from tests.browser.test_request_queue import tab_to
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", "bob@example.com")
SCHEDULER = staff_visits.Actor(staff_id=1, role="scheduler")


def typed_date(day: date) -> str:
    """What a person types into Chromium's en-US date field: month, day, year."""
    return f"{day.month:02d}{day.day:02d}{day.year}"


def long_day(day: date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def test_the_rooms_day_and_the_week_pickers_by_keyboard(sized: Page, app: Flask, make_provider, make_room,
                                                       staff_user, axe):  # fmt: skip
    page = sized
    day = next_clinic_day(after_days=6, weekday=2)  # a Wednesday
    lin = make_provider("pmr", name="Dr. Lin")
    baker = make_provider("pmr", name="Dr. Baker")
    make_provider("pmr", name="Dr. Cruz", weekdays=(0, 1))  # never on Wednesdays: one cell says so
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    make_room("xray", name="X-ray Room")
    with app.app_context():
        staff_visits.book_for_patient(visit_type_code="evaluation", start=central(day, 9), patient=BOB,
                                      actor=SCHEDULER)  # fmt: skip
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={}, channel="web"
        ).request
        staff_visits.place_request(request.id, central(day, 10), actor=SCHEDULER)

    scheduler = staff_user("scheduler")
    sign_in_by_keyboard(page, scheduler.username, scheduler.password)
    press_on(page, "Calendars")
    press_on(page, "Rooms")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Rooms: "))
    tab_to(page, "day")
    page.keyboard.type(typed_date(day))
    press_on(page, "Show")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rooms: {long_day(day)}")
    expect(page.get_by_role("columnheader", name=re.compile("^Fluoroscopy Suite 1"))).to_be_visible()
    injection = page.locator("td.cell-visit")
    expect(injection).to_have_count(1)
    expect(injection).to_contain_text("10 a.m.: Lee, Ann")
    expect(injection).to_contain_text("With Dr. Ortiz")
    axe(page)
    fits(page)
    check_visit_type_colours(page)

    # A provider's week, from the specialty's day: switch provider and week with the pickers.
    press_on(page, "Physical Medicine & Rehabilitation")
    tab_to(page, "day")
    page.keyboard.type(typed_date(day))
    press_on(page, "Show")
    expect(page.get_by_role("heading", level=1)).to_contain_text(long_day(day))
    expect(page.get_by_text("Not working today")).to_have_count(1)  # Dr. Cruz, said once
    expect(page.locator("td.cell-visit")).to_contain_text("9 a.m.: Ray, Bob")
    axe(page)
    fits(page)
    press_on(page, "Dr. Lin")
    monday = day - timedelta(days=day.weekday())
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dr. Lin: week of {long_day(monday)}")
    tab_to(page, "provider")
    page.keyboard.type("Dr. B")  # a list box chooses by typing
    expect(page.locator("#provider option:checked")).to_have_text("Dr. Baker")
    page.keyboard.press("Tab")
    later = day + timedelta(days=14)
    page.keyboard.type(typed_date(later))
    with page.expect_navigation():
        page.keyboard.press("Enter")  # sends the form from the date field, as any form field does
    later_monday = later - timedelta(days=later.weekday())
    expect(page).to_have_url(re.compile(rf"/staff/calendar/provider/{baker}\?week={later_monday.isoformat()}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dr. Baker: week of {long_day(later_monday)}")
    expect(page.locator("#provider option:checked")).to_have_text("Dr. Baker")
    axe(page)
    fits(page)

    # A week that cannot be shown (typed into the address): the calendar again, the problem named.
    page.goto(f"/staff/calendar/provider/{lin}?week=2027-02-30")
    expect(page).to_have_title(re.compile("^Error: Dr. Lin, week of"))
    expect(page.get_by_role("alert")).to_contain_text("Enter a day of the week as year-month-day, like 2027-03-08")
    axe(page)
    fits(page)


# ----- the colours, measured on the page -------------------------------------------------------------

MEASURE = """() => {
  const rgb = text => (text.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const table = document.createElement('table');
  table.className = 'calendar';
  const row = table.insertRow();
  document.body.appendChild(table);
  const found = {};
  for (const swatch of document.querySelectorAll('.legend .swatch[class*="vt-"]')) {
    const code = [...swatch.classList].find(c => c.startsWith('vt-'));
    const cell = row.insertCell();
    cell.className = 'cell-visit ' + code;
    cell.innerHTML = '<a href="#">9 a.m.: Lee, Ann</a><span class="visit-type">Visit</span>'
      + '<span class="tag tag-urgent">Urgent</span><span class="tag tag-outside">Outside hours</span>';
    const colour = el => rgb(getComputedStyle(el).color);
    found[code] = {
      background: rgb(getComputedStyle(cell).backgroundColor),
      swatch: rgb(getComputedStyle(swatch).backgroundColor),
      texts: [...cell.querySelectorAll('a, span')].map(colour),
    };
  }
  table.remove();
  const grey = getComputedStyle(document.querySelector('.legend .swatch.cell-unavailable')).backgroundImage;
  return {types: found, greys: (grey.match(/rgba?\\([^)]*\\)/g) || []).map(rgb)};
}"""


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    la, lb = (0.2126 * _linear(c[0]) + 0.7152 * _linear(c[1]) + 0.0722 * _linear(c[2]) for c in (a, b))
    high, low = max(la, lb), min(la, lb)
    return (high + 0.05) / (low + 0.05)


def oklab(colour: list[float]) -> tuple[float, float, float]:
    """OKLab (Björn Ottosson, 2020): distances in it match how different colours look."""
    r, g, b = (_linear(c) for c in colour)
    lms = (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b,
           0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b,
           0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)  # fmt: skip
    l_, m_, s_ = (v ** (1 / 3) for v in lms)
    return (0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
            1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
            0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_)  # fmt: skip


def check_visit_type_colours(page: Page) -> None:
    measured = page.evaluate(MEASURE)
    types, greys = measured["types"], sorted({tuple(grey) for grey in measured["greys"]})  # the stripes' stops
    assert len(types) >= 9 and len(greys) == 2, measured
    for code, found in types.items():
        assert found["background"] == found["swatch"], code  # the legend shows the cells' colour
        for text in found["texts"]:
            assert contrast(text, found["background"]) >= 4.5, (code, text, found["background"])  # WCAG AA
        _, a, b = oklab(found["background"])
        assert math.hypot(a, b) >= 0.04, (code, "too grey")  # a colour, not a shade of grey
        for grey in greys:
            assert math.dist(oklab(found["background"]), oklab(list(grey))) >= 0.04, (code, "near not available")
    for (one, first), (two, second) in itertools.combinations(types.items(), 2):
        assert math.dist(oklab(first["background"]), oklab(second["background"])) >= 0.03, (one, two)
