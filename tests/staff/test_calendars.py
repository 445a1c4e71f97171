"""The calendars (issue 14): a provider away all day said once, the rooms' day, and the week's date
picker and provider switch, which work without JavaScript and refuse bad values with a 422."""

from __future__ import annotations

import re
from datetime import date
from datetime import time

import pytest
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.clock import to_clinic
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.sane_input import YEAR_MESSAGE
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
ROWS = 36  # 8 a.m. to 5 p.m. in quarter hours


def text(response):
    return response.get_data(as_text=True)


def column_headings(page):
    return re.findall(r'<th scope="col"(?: class="col-absent")?>(?:<a [^>]*>)?([^<\n]+)', page)


# ----- a provider absent all day -------------------------------------------------------------------


def test_a_provider_away_or_not_working_all_day_is_said_once_not_in_every_row(client, app, signed_in, make_provider):
    day = next_clinic_day(after_days=3)
    make_provider("pmr", name="Dr. Adams", blocks=((time(8), time(12)),))  # mornings
    make_provider("pmr", name="Dr. Baker", weekdays=tuple(d for d in range(5) if d != day.weekday()))
    cruz = make_provider("pmr", name="Dr. Cruz")
    signed_in(client, "admin")
    away = {"first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "Course"}
    assert client.post(f"/staff/admin/providers/{cruz}/time-off", data=away).status_code in (302, 303)
    page = text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    assert column_headings(page) == ["Dr. Adams", "Dr. Baker", "Dr. Cruz"]
    absent = re.findall(r'<td class="cell-unavailable cell-absent" rowspan="(\d+)"><span class="reason">([^<]+)<', page)
    assert absent == [(str(ROWS), "Not working today"), (str(ROWS), "Away: time off")]
    assert page.count('<th scope="col" class="col-absent">') == 2
    # Dr. Adams works mornings: the afternoon is still said cell by cell, beside a working morning.
    assert page.count('<span class="reason">not working</span>') == 20  # noon to 5 p.m.
    assert "time off</span>" not in page.replace("Away: time off</span>", "")
    # Each row still has its cells: one per working column, none for the collapsed ones after row 1.
    rows = re.findall(r"<tr>\s*<th scope=\"row\" class=\"time-head\">.*?</tr>", page, re.S)
    assert len(rows) == ROWS and rows[1].count("<td") == 1


def test_a_provider_s_week_collapses_the_days_they_do_not_work(client, signed_in, make_provider):
    provider = make_provider("pmr", name="Dr. Baker", weekdays=(0, 1, 2))  # Monday to Wednesday
    signed_in(client, "phone")
    page = text(client.get(f"/staff/calendar/provider/{provider}?week={next_clinic_day(after_days=7).isoformat()}"))
    assert page.count('"><span class="reason">Not working today</span></td>') == 2  # Thursday and Friday
    assert '<span class="reason">not working</span>' not in page


# ----- the rooms' day ------------------------------------------------------------------------------


def place_injection(app, client) -> models.Appointment:
    """A fluoroscopy-guided injection placed from the request queue (it needs a fluoroscopy room)."""
    with app.app_context():
        item = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={"days": ["monday"]},
            channel="web",
        ).request  # fmt: skip
    queue = text(client.get("/staff/queue?specialty=radiology-pain"))
    first = re.search(r'name="slot" value="([^"]+)"', queue).group(1)
    assert client.post(f"/staff/queue/{item.id}/place", data={"slot": first}).status_code == 302
    with app.app_context():
        return db.session.execute(select(models.Appointment)).scalar_one()


def test_the_rooms_calendar_shows_what_is_booked_in_each_room_and_who_sees_the_patient(
    client, app, signed_in, make_provider, make_room
):
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    make_room("fluoroscopy", name="Fluoroscopy Suite 2")
    make_room("xray", name="X-ray Room")
    unused = make_room("ct", name="CT Scanner")
    with app.app_context():
        db.session.execute(update(models.Room).where(models.Room.id == unused).values(active=False))
        db.session.commit()
    signed_in(client, "scheduler")
    visit = place_injection(app, client)
    day = to_clinic(visit.starts_at).date()
    page = text(client.get(f"/staff/calendar/rooms?day={day.isoformat()}"))
    assert "<h1>Rooms: " in page
    assert column_headings(page) == ["Fluoroscopy Suite 1", "Fluoroscopy Suite 2", "X-ray Room"]  # CT: out of use
    assert re.findall(r'<span class="small">([^<]+)</span></th>', page) == ["Fluoroscopy", "Fluoroscopy", "X-ray"]
    rows, cell = re.search(r'<td class="cell-visit vt-injection[^"]*" rowspan="(\d+)">(.*?)</td>', page, re.S).groups()
    assert f'href="/staff/visits/{visit.id}"' in cell and "Lee, Ann" in cell and "With Dr. Ortiz" in cell
    # In one room only; every other quarter hour of the three rooms is free (a clinic day).
    assert page.count('class="cell-visit') == 1
    assert page.count('<td class="cell-free">') == 3 * ROWS - int(rows)
    # A room taken out of use appears while visits are booked in it.
    with app.app_context():
        db.session.execute(update(models.Appointment).values(room_id=unused))
        db.session.commit()
    moved = text(client.get(f"/staff/calendar/rooms?day={day.isoformat()}"))
    assert "CT Scanner" in column_headings(moved) and "CT, out of use" in moved


def test_the_rooms_calendar_is_reached_from_the_calendars_and_the_navigation_and_says_a_closed_day_once(
    client, signed_in, make_room
):
    make_room("xray", name="X-ray Room")
    make_room("ct", name="CT Scanner")
    for role in ("phone", "scheduler", "admin"):
        client.post("/staff/logout")
        signed_in(client, role)
        home = text(client.get("/staff/"))
        assert re.search(r'<a href="/staff/calendar/rooms">Rooms</a>', home), role
        calendars = text(client.get("/staff/calendar?specialty=pmr&day=2027-03-08"))
        assert '<a href="/staff/calendar/rooms?day=2027-03-08">Rooms</a>' in calendars
    saturday = text(client.get("/staff/calendar/rooms?day=2027-03-13"))
    assert saturday.count('<span class="reason">Clinic closed</span>') == 2
    assert '<span class="reason">closed</span>' not in saturday
    assert "Rooms: Saturday, March 13, 2027" in saturday


# ----- the week's date picker and provider switch --------------------------------------------------


def test_the_week_picker_shows_the_week_of_any_date_and_switches_between_the_specialty_s_providers(
    client, app, signed_in, make_provider
):
    adams = make_provider("pmr", name="Dr. Adams")
    baker = make_provider("pmr", name="Dr. Baker")
    make_provider("radiology-pain", name="Dr. Ortiz")
    wednesday = date(2027, 3, 10)
    signed_in(client, "phone")
    page = text(client.get(f"/staff/calendar/provider/{adams}?week={wednesday.isoformat()}"))
    assert "<h1>Dr. Adams: week of Monday, March 8, 2027</h1>" in page
    form = re.search(r'<form method="get" action="/staff/calendar/provider/\d+".*?</form>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', form) == [
        (str(adams), " selected", "Dr. Adams"), (str(baker), "", "Dr. Baker")]  # fmt: skip
    assert 'type="date" id="week" name="week" value="2027-03-08"' in form and 'type="submit"' in form
    switched = client.get(f"/staff/calendar/provider/{adams}?provider={baker}&week=2027-12-30")
    assert switched.status_code == 303
    assert switched.headers["Location"] == f"/staff/calendar/provider/{baker}?week=2027-12-27"
    shown = client.get(switched.headers["Location"])
    assert shown.status_code == 200 and "<h1>Dr. Baker: week of Monday, December 27, 2027</h1>" in text(shown)
    same = client.get(f"/staff/calendar/provider/{adams}?provider={adams}&week=1900-01-03")
    assert same.status_code == 200 and "week of Monday, January 1, 1900" in text(same)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("week=2027-02-30", "Enter a day of the week as year-month-day, like 2027-03-08"),
        ("week=next+tuesday", "Enter a day of the week as year-month-day, like 2027-03-08"),
        ("week=20270308", "Enter a day of the week as year-month-day, like 2027-03-08"),
        ("week=1899-12-31", YEAR_MESSAGE),
        ("week=2201-01-01", YEAR_MESSAGE),
        ("week=9999-12-31", YEAR_MESSAGE),
        ("week=0001-01-01", YEAR_MESSAGE),
        ("provider=abc", "Choose a provider from the list"),
        ("provider=99999999999999999999", "Choose a provider from the list"),
        ("provider={ortiz}", "Choose a provider from the list"),  # another specialty's
    ],
)
def test_a_bad_week_or_provider_is_a_422_that_names_the_fix_and_keeps_what_was_typed(
    client, signed_in, make_provider, query, message
):
    adams = make_provider("pmr", name="Dr. Adams")
    ortiz = make_provider("radiology-pain", name="Dr. Ortiz")
    signed_in(client, "scheduler")
    refused = client.get(f"/staff/calendar/provider/{adams}?{query.format(ortiz=ortiz)}")
    page = text(refused)
    assert refused.status_code == 422
    field = query.split("=")[0]
    assert f'<a href="#{field}">{message}</a>' in page  # the summary, linked to the field to fix
    hidden = '<span class="visually-hidden">Error:</span>'
    assert f'<p class="error-message" id="{field}-error">{hidden} {message}</p>' in page
    assert "<title>Error: Dr. Adams, week of" in page and "<h1>Dr. Adams: week of" in page  # still the calendar
    if field == "week":
        typed = query.split("=", 1)[1].replace("+", " ")
        assert f'name="week" value="{typed}"' in page


def test_the_day_pickers_refuse_a_bad_day_with_a_422_too(client, signed_in, make_provider):
    make_provider("pmr")
    signed_in(client, "scheduler")
    for url in ("/staff/calendar?specialty=pmr&day=2027-13-01", "/staff/calendar/rooms?day=tomorrow"):
        refused = client.get(url)
        assert refused.status_code == 422, url
        assert '<a href="#day">Enter the day as year-month-day, like 2027-03-08</a>' in text(refused)
    old = client.get("/staff/calendar/rooms?day=1850-06-01")
    assert old.status_code == 422 and f'<a href="#day">{YEAR_MESSAGE}</a>' in text(old)
    assert client.get("/staff/calendar/rooms").status_code == 200  # no day: today
