"""The patient's time picker (issue 15): a day first, then a time on it, with Flask's test client.
(The same pages in Chromium, at phone and desktop widths: tests/browser/test_time_picker.py.)"""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.public.picker import DAY_MISSING
from scheduler.web.public.picker import DAY_UNREADABLE
from scheduler.web.public.picker import PROVIDER_UNKNOWN
from scheduler.web.public.times import DAYS_PER_STEP
from tests.public.conftest import answer_questions
from tests.public.conftest import book_first_time
from tests.public.conftest import errors
from tests.public.conftest import offered
from tests.public.conftest import offered_days
from tests.public.conftest import page_text
from tests.public.conftest import summary_links
from tests.public.conftest import title

PAGE_BUDGET = 60 * 1024  # issue 15: the slot-choice page's HTML, CSS and JS at first load


def start_of(value: str) -> datetime:
    return datetime.fromisoformat(value.split("|")[0])


def day_summaries(response) -> list[tuple[str, int, bool]]:
    """(day, number of times said to be free, marked "Earliest") for each day offered."""
    found = re.findall(
        r'name="day" value="([^"]+)".*?<span class="day-name">(.*?)</span>\s*'
        r'<span class="day-summary"[^>]*>(\d+) times? free, first at',
        page_text(response),
        re.S,
    )
    return [(day, int(count), "Earliest" in name) for day, name, count in found]


def test_the_first_step_lists_days_with_how_many_times_are_free_and_marks_the_earliest(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    first = web.get("/request/time")
    assert first.status_code == 200 and title(first).startswith("Choose a day")
    days = day_summaries(first)
    assert len(days) == DAYS_PER_STEP == len(offered_days(first))
    assert [marked for _, _, marked in days] == [True] + [False] * (DAYS_PER_STEP - 1)
    assert [d for d, _, _ in days] == sorted(d for d, _, _ in days)
    assert "Later dates" in page_text(first) and "Earlier dates" not in page_text(first)
    assert page_text(first).index("Later dates") < page_text(first).index('name="day"')  # at the top
    for day, count, _ in days[:3]:
        times = offered(web.get(f"/request/time?day={day}"))
        assert len(times) == count and all(to_clinic(start_of(t)).date().isoformat() == day for t in times)

    later = re.search(r'href="(/request/time\?from=[^"]+)">Later dates', page_text(first)).group(1)
    next_page = web.get(later)
    assert min(offered_days(next_page)) > max(d for d, _, _ in days)
    assert "Earlier dates" in page_text(next_page) and "Earliest" not in page_text(next_page)


def test_the_second_step_groups_a_days_times_into_morning_and_afternoon_and_names_the_day(web, make_provider):
    make_provider("pmr")
    answer_questions(web)
    day = offered_days(web.get("/request/time"))[1]  # a whole day (the first may be cut by notice)
    page = web.get(f"/request/time?day={day}")
    shown = datetime.fromisoformat(day)
    heading = f"Choose a time on {shown:%A}, {shown:%B} {shown.day}"
    assert title(page).startswith(heading) and re.search(rf"<h1[^>]*>{heading}</h1>", page_text(page))
    morning, afternoon = page_text(page).split('<h2 class="part-heading">Afternoon</h2>')
    assert '<h2 class="part-heading">Morning</h2>' in morning
    assert offered(page)[0] in morning
    in_morning = re.findall(r'name="slot" value="([^"]+)"', morning)
    in_afternoon = re.findall(r'name="slot" value="([^"]+)"', afternoon)
    assert in_morning and in_afternoon and in_morning + in_afternoon == offered(page)
    assert all(to_clinic(start_of(t)).hour < 12 for t in in_morning)
    assert all(to_clinic(start_of(t)).hour >= 12 for t in in_afternoon)
    assert "Choose another day" in page_text(page)


def test_choosing_a_provider_offers_only_that_providers_times(web, make_provider):
    make_provider("pmr", name="Dr. Lin")
    chen = make_provider("pmr", name="Dr. Chen")
    make_provider("radiology-pain", name="Dr. Ray")  # does not do evaluations: never offered
    answer_questions(web)
    first = page_text(web.get("/request/time"))
    assert "Anyone" in first and "Dr. Lin" in first and "Dr. Chen" in first and "Dr. Ray" not in first
    assert "Physiatrist".lower() in first and "without surgery" in first  # kind and one line about it
    only_chen = web.get(f"/request/time?provider={chen}")
    assert only_chen.status_code == 200 and "Days with free times with Dr. Chen" in page_text(only_chen)
    day = offered_days(only_chen)[0]
    times = offered(web.get(f"/request/time?day={day}&provider={chen}"))
    assert times and all(t.endswith(f"|{chen}") for t in times)


def test_bad_values_in_the_address_get_a_clear_message_not_a_crash(web, app, make_provider):
    make_provider("pmr")
    ray = make_provider("radiology-pain", name="Dr. Ray")
    answer_questions(web)
    past = (clinic_today(utc_now()) - timedelta(days=2)).isoformat()
    far = (clinic_today(utc_now()) + timedelta(days=400)).isoformat()
    for query, message in (
        ("day=tomorrow", DAY_UNREADABLE),
        ("day=2026-02-31", DAY_UNREADABLE),
        (f"day={past}", "Choose a day from the list: we can only book from today to"),
        (f"day={far}", "Choose a day from the list: we can only book from today to"),
        ("step=day", DAY_MISSING),
        ("step=day&day=", DAY_MISSING),
        ("provider=abc", PROVIDER_UNKNOWN),
        ("provider=99999", PROVIDER_UNKNOWN),
        (f"provider={ray}", PROVIDER_UNKNOWN),  # a real provider who does not do this visit
        ("provider=" + "9" * 40, PROVIDER_UNKNOWN),
    ):
        response = web.get(f"/request/time?{query}")
        assert response.status_code == 422, query
        assert title(response).startswith("Error: ")
        (shown,) = errors(response)
        assert shown.startswith(message), (query, shown)
        assert [text for _, text in summary_links(response)] == [shown]
        for target, _ in summary_links(response):
            assert f'id="{target}"' in page_text(response)
    assert web.get("/request/time?from=9999-01-01").status_code in (400, 422)
    assert web.get("/request/time?from=nonsense").status_code == 200  # the default first day


def test_posting_a_time_from_the_second_step_holds_it_and_goes_on_to_the_details(web, app, make_provider):
    make_provider("pmr")
    answer_questions(web)
    day = offered_days(web.get("/request/time"))[1]  # not today, whose last times may be all it has left
    choice = offered(web.get(f"/request/time?day={day}"))[0]
    response = web.post(f"/request/time?day={day}", data={"slot": choice})
    assert response.status_code == 302 and response.headers["Location"].endswith("/request/details")
    with app.app_context():
        (hold,) = db.session.execute(select(models.Hold)).scalars().all()
        assert hold.starts_at == start_of(choice)
    nothing = web.post(f"/request/time?day={day}", data={})
    assert nothing.status_code == 422 and errors(nothing) == ["Select a time for your visit"]
    assert summary_links(nothing) == [("slot-0", "Select a time for your visit")]


def test_rescheduling_through_the_manage_link_uses_the_same_picker(web, app, make_provider):
    make_provider("pmr")
    book_first_time(web)
    web.post("/request/check")
    manage = re.search(r'href="(/manage/[^/"]+/[^/"]+)"', page_text(web.get("/request/confirmation"))).group(1)
    first = web.get(manage + "/reschedule")
    assert first.status_code == 200 and title(first).startswith("Choose a day")
    days = offered_days(first)
    assert len(days) == DAYS_PER_STEP
    unchosen = web.get(manage + "/reschedule?step=day")
    assert unchosen.status_code == 422 and errors(unchosen) == [DAY_MISSING]
    assert web.get(manage + "/reschedule?day=junk").status_code == 422
    second = web.get(f"{manage}/reschedule?day={days[-1]}")
    assert title(second).startswith("Choose a time on") and "Morning" in page_text(second)
    new_slot = offered(second)[0]
    moved = web.post(f"{manage}/reschedule?day={days[-1]}", data={"slot": new_slot})
    assert moved.headers["Location"].endswith("/reschedule/check")
    web.post(manage + "/reschedule/check")
    with app.app_context():
        (appointment,) = db.session.execute(select(models.Appointment)).scalars().all()
        assert appointment.starts_at == start_of(new_slot) and appointment.version == 2


def same_origin_weight(web, url: str) -> tuple[int, list[str]]:
    """Bytes of the page's HTML plus every stylesheet and script it links; every link must be
    same-origin (a path, not another host)."""
    html = page_text(web.get(url))
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    total = len(html.encode())
    for asset in assets:
        response = web.get(asset)
        total += len(response.get_data())
        response.close()
    return total, assets


def test_each_step_weighs_under_60_kb_with_its_css_and_js(web, make_provider):
    make_provider("pmr")
    make_provider("pmr")
    answer_questions(web)
    day = offered_days(web.get("/request/time"))[1]
    for url in ("/request/time", f"/request/time?day={day}"):
        weight, assets = same_origin_weight(web, url)
        print(f"{url}: {weight} bytes ({weight / 1024:.1f} KB) with {assets}")
        assert {a.rsplit("/", 1)[-1].split("?")[0] for a in assets} >= {"public.css", "public.js"}
        assert weight <= PAGE_BUDGET, (url, weight)
