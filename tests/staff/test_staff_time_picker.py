"""The staff time picker on the move page and the request queue, on the server (issue 14; the
phone console's are in test_phone_console.py): days first with nothing chosen, and, without
JavaScript, another day, other days and one provider's times as round trips that lose nothing:
buttons of the move form (the notify choice and a time chosen come back as they were sent, and
nothing moves), links and a GET form on the queue (the request's mode kept in the address)."""

from __future__ import annotations

import html
import re
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import request_queue
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.staff import time_picker
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text
from tests.staff.test_time_formats import ISO_DATE
from tests.staff.test_time_formats import TWENTY_FOUR_HOUR
from tests.staff.test_time_formats import visible

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
TUE_THU_MORNINGS = {"days": ["tuesday", "thursday"], "parts_of_day": ["morning"]}


def book(app, day: date, hour: int) -> int:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=ANN,
            actor=staff_visits.Actor(staff_id=1, role="scheduler"),
        ).appointment.id  # fmt: skip


def starts_at(app, appointment_id: int) -> datetime:
    with app.app_context():
        return db.session.get(models.Appointment, appointment_id).starts_at


def slots(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="slot" value="([^"]+)"', page)]


def checked(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="slot" value="([^"]+)" checked', page)]


def day_of(value: str) -> str:
    return to_clinic(datetime.fromisoformat(value.split("|")[0])).date().isoformat()


def shown_day(page: str, picker_id: str = "slot") -> str:
    """The day a picker shows: marked current, and the only one whose times are not hidden."""
    (current,) = re.findall(r'data-picker-day="([^"]+)" aria-current="true"', page)
    visible = re.findall(rf'<fieldset class="picker-panel" id="{picker_id}-([\d-]+)" data-picker-panel="[^"]+">', page)
    assert visible == [current], (visible, current)
    return current


# ----- the move page ---------------------------------------------------------------------------


def test_the_move_page_shows_days_first_with_nothing_chosen(app, client, signed_in, make_provider):
    make_provider("pmr", name="Dr. Lin")
    visit = book(app, next_clinic_day(after_days=5), 9)
    signed_in(client, "scheduler")
    page = page_text(client.get(f"/staff/visits/{visit}/move"))
    days = re.findall(r'name="go_shown" value="([^"]+)"', page)
    assert len(days) == time_picker.DAYS_SHOWN and days == sorted(days)
    assert shown_day(page) == days[0] == day_of(slots(page)[0])
    assert not checked(page) and " autofocus" not in page  # nothing chosen, and the page is not entered for them
    assert re.search(r'<span class="picker-clock">\d{1,2}(:\d{2})? [ap]\.m\.</span>, Dr\. Lin \(physiatrist\)', page)
    assert '<h3 class="picker-part">Morning (' in page and '<h2 class="picker-heading">' in page
    # Enter on a time moves the visit without JavaScript too: the first submit button is "Move visit".
    buttons = re.findall(r"<button[^>]*>[^<]*", page[page.index('<form method="post" novalidate>') :])
    assert buttons[0] == '<button class="button" type="submit" hidden tabindex="-1">Move visit'


def test_another_day_on_the_move_page_keeps_the_notify_choice_and_the_time_chosen_and_moves_nothing(
    app, client, signed_in, make_provider
):
    make_provider("pmr", name="Dr. Lin")
    ortiz = make_provider("pmr", name="Dr. Ortiz")
    visit = book(app, next_clinic_day(after_days=5), 9)
    before = starts_at(app, visit)
    signed_in(client, "scheduler")
    url = f"/staff/visits/{visit}/move"
    page = page_text(client.get(url))
    days = re.findall(r'name="go_shown" value="([^"]+)"', page)
    chosen = slots(page)[3]
    sent = {"from": days[0], "shown": days[0], "slot": chosen}  # notify unticked, as staff left it

    other = client.post(url, data={**sent, "go_shown": days[2]})
    page = page_text(other)
    assert other.status_code == 200 and "There is a problem" not in page
    assert shown_day(page) == days[2]
    first_of_day = next(v for v in slots(page) if day_of(v) == days[2])
    assert f'name="slot" value="{html.escape(first_of_day)}" autofocus' in page  # its first time has the focus
    assert not checked(page) and "No time chosen yet." in page  # the time chosen was on the day left
    assert 'id="notify" name="notify" value="y">' in page  # still unticked
    # A time chosen on the day shown stays chosen over the round trip.
    same = page_text(client.post(url, data={**sent, "go_shown": days[0]}))
    assert checked(same) == [chosen] and "Chosen: " in same and 'id="notify" name="notify" value="y">' in same
    assert starts_at(app, visit) == before

    later = re.search(r'name="go_from" value="([^"]+)">Later days</button>', page).group(1)
    on = page_text(client.post(url, data={**sent, "go_from": later}))
    assert min(re.findall(r'name="go_shown" value="([^"]+)"', on)) >= later
    assert 'id="notify" name="notify" value="y">' in on and "Earlier days" in on

    theirs = page_text(client.post(url, data={**sent, "provider": str(ortiz), "go_provider": "1", "notify": "y"}))
    assert slots(theirs) and all(v.endswith(f"|{ortiz}") for v in slots(theirs))
    assert 'id="notify" name="notify" value="y" checked' in theirs
    assert f'<option value="{ortiz}" selected>' in theirs
    assert starts_at(app, visit) == before and "appointment.move" not in {
        e.action for e in audit_events(app)
    }  # fmt: skip

    # Then the move itself, from the page the round trips left.
    target = slots(theirs)[1]
    moved = client.post(url, data={"from": days[0], "provider": str(ortiz), "slot": target})
    assert moved.status_code == 302
    assert starts_at(app, visit).isoformat() == target.split("|")[0]


def test_a_refused_move_keeps_the_time_chosen_on_its_day_with_the_error(app, client, signed_in, make_provider):
    make_provider("pmr")
    visit = book(app, next_clinic_day(after_days=5), 9)
    signed_in(client, "scheduler")
    refused = client.post(f"/staff/visits/{visit}/move", data={"notify": "y"})
    page = page_text(refused)
    assert refused.status_code == 422 and '<a href="#slot">Choose the new time</a>' in page
    assert 'id="slot" tabindex="-1"' in page and 'id="slot-error"' in page
    assert 'aria-describedby="slot-error"' in page and 'id="notify" name="notify" value="y" checked' in page
    assert client.get(f"/staff/visits/{visit}/move?from=9999-01-01").status_code == 422  # as before: refused
    for odd in ("shown=yesterday", "provider=abc", "from=2020-01-01", "go_shown=1999-02-30"):
        assert client.get(f"/staff/visits/{visit}/move?{odd}").status_code == 200, odd


def audit_events(app) -> list[models.AuditEvent]:
    with app.app_context():
        return list(db.session.execute(select(models.AuditEvent)).scalars())


# ----- the request queue -----------------------------------------------------------------------


def queued(app, preferences=None) -> models.VisitRequest:
    with app.app_context():
        return visit_requests.submit_request(
            intake=Intake("evaluation", True, "unknown", False), patient=ANN, preferences=preferences or {},
            channel="web",
        ).request  # fmt: skip


def section(page: str, request_id: int) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="request-{request_id}".*?</section>', page, re.S)
    assert found
    return found.group(0)


def links(section_html: str, name: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a class="picker-[a-z-]+" href="([^"]*{name}[^"]*)"', section_html)]


def test_the_queues_days_are_links_that_keep_the_requests_mode(app, client, signed_in, make_provider):
    make_provider("pmr", name="Dr. Lin")
    item = queued(app, TUE_THU_MORNINGS)
    signed_in(client, "scheduler")
    suggested = section(page_text(client.get("/staff/queue?specialty=pmr")), item.id)
    assert not checked(suggested) and 'id="times-' + str(item.id) + '" tabindex="-1"' in suggested
    days = re.findall(r'data-picker-day="([^"]+)"', suggested)
    assert len(days) == 3 and shown_day(suggested, f"times-{item.id}") == days[0]  # two suggestions a day
    second = links(suggested, f"go_shown={days[1]}")[0]
    assert f"times={item.id}" in second and "all=" not in second and second.endswith(f"#times-{item.id}")
    again = section(page_text(client.get(second)), item.id)
    assert shown_day(again, f"times-{item.id}") == days[1] and "Free times that suit them" in again
    first_of_day = next(v for v in slots(again) if day_of(v) == days[1])
    assert f'name="slot" value="{html.escape(first_of_day)}" autofocus' in again
    assert slots(again) == slots(suggested)  # the same suggestions, another day shown

    everything = section(page_text(client.get(f"/staff/queue?specialty=pmr&times={item.id}&all=1")), item.id)
    all_days = re.findall(r'data-picker-day="([^"]+)"', everything)
    assert len(all_days) == request_queue.ALL_TIMES_DAYS == len({day_of(s) for s in slots(everything)})
    later = links(everything, "go_from=")[-1]
    assert "all=1" in later and "Later days" in everything
    on = section(page_text(client.get(later)), item.id)
    assert "All free times, the next days with any" in on
    assert min(re.findall(r'data-picker-day="([^"]+)"', on)) > max(all_days)
    earlier = links(on, "go_from=")[0]  # a week back from where the later days began, never before today
    began = date.fromisoformat(max(all_days)) + timedelta(days=1)
    expected = max(clinic_today(utc_now()), began - timedelta(days=7))
    assert f"go_from={expected.isoformat()}" in earlier and "all=1" in earlier


def test_the_queues_provider_filter_is_a_get_form_of_its_own(app, client, signed_in, make_provider):
    make_provider("pmr", name="Dr. Lin")
    ortiz = make_provider("pmr", name="Dr. Ortiz")
    item = queued(app)
    signed_in(client, "scheduler")
    page = page_text(client.get(f"/staff/queue?specialty=pmr&times={item.id}&all=1"))
    form = re.search(rf'<form method="get" action="/staff/queue#times-{item.id}" id="times-{item.id}-filter".*?</form>',
                     page, re.S).group(0)  # fmt: skip
    for kept in ('name="specialty" value="pmr"', f'name="times" value="{item.id}"', 'name="all" value="1"'):
        assert kept in form, kept
    assert f'name="provider" form="times-{item.id}-filter"' in page  # the select, inside the placing form
    theirs = section(page_text(client.get(f"/staff/queue?specialty=pmr&times={item.id}&all=1&provider={ortiz}"
                                          "&go_provider=1")), item.id)  # fmt: skip
    assert slots(theirs) and all(v.endswith(f"|{ortiz}") for v in slots(theirs))
    assert f'<option value="{ortiz}" selected>Dr. Ortiz (physiatrist)</option>' in theirs
    # Another request on the page is not filtered by it.
    assert client.get(f"/staff/queue?specialty=pmr&times={item.id}&provider=999999").status_code == 200


def test_the_picker_writes_times_and_days_as_every_staff_page_does(app, client, signed_in, make_provider):
    make_provider("pmr", name="Dr. Lin")
    visit = book(app, next_clinic_day(after_days=5), 9)
    item = queued(app, TUE_THU_MORNINGS)
    signed_in(client, "scheduler")
    booking = {"given_name": "Cara", "family_name": "Diaz", "birth_date_text": "3/27/1970", "phone": "507-555-0177",
               "requested": "evaluation", "seen_before": "no", "cause": "trauma", "referred": "no",
               "action": "find"}  # fmt: skip
    pages = {
        "move": client.get(f"/staff/visits/{visit}/move"),
        "queue": client.get(f"/staff/queue?specialty=pmr&times={item.id}&all=1"),
        "console": client.post("/staff/phone/book", data=booking),
    }
    for name, response in pages.items():
        seen = visible(response).replace("For example 3/27/1970 or 1970-03-27", "")  # how to type a birth date
        assert response.status_code == 200 and "Times are Central time (C" in seen, name
        assert TWENTY_FOUR_HOUR.findall(seen) == [] and ISO_DATE.findall(seen) == [], name
        first = re.search(r'data-picker-panel="(\d{4}-\d{2}-\d{2})"', page_text(response)).group(1)
        day = date.fromisoformat(first)
        assert f"{day:%a %b} {day.day}, {day.year}" in seen, name  # the row of days: "Tue Mar 9, 2027"
        assert f"{day:%A, %B} {day.day}, {day.year} Morning (" in seen, name  # the shown day's heading
