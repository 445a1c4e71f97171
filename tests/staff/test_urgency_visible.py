"""Staff see urgency everywhere a request or a visit appears: the queue (with the patient's phone
and how long an urgent request has waited against its call-back target), the visit page, the
calendar cell and the day list with its CSV. "Urgent" is written, never shown by colour alone,
with the answers that made it urgent; a routine visit carries none of it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text

CARA = PatientDetails("Cara", "Diaz", date(1970, 3, 27), "+15075550177", None)
BEN = PatientDetails("Ben", "Olsen", date(1981, 6, 2), "+15075550188", None)
PHONE_STAFF = staff_visits.Actor(staff_id=1, role="phone", channel="phone")
INFECTED_AND_FEVERISH = Intake("unsure", False, "infection", True, frozenset({"fever"}))
ROUTINE = Intake("evaluation", True, "trauma", True)


def urgent_request(app, patient=CARA, *, waited: timedelta, due_in: timedelta | None) -> models.VisitRequest:
    """An urgent call-back request received ``waited`` ago, due ``due_in`` from now."""
    with app.app_context():
        item = visit_requests.submit_request(
            intake=INFECTED_AND_FEVERISH, patient=patient, preferences={}, channel="web"
        ).request
        row = db.session.get(models.VisitRequest, item.id)
        now = utc_now()
        row.created_at = now - waited
        row.call_back_by = None if due_in is None else now + due_in
        db.session.commit()
        return row


def book(app, day, hour, patient, intake=None, urgent=False) -> int:
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient, actor=PHONE_STAFF,
            intake=intake, urgent=urgent,
        ).appointment.id  # fmt: skip


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{element_id}".*?</section>', page, re.S)
    assert found, element_id
    return found.group(0)


# ----- the queue ------------------------------------------------------------------------------------


def test_the_queue_shows_an_urgent_request_with_its_red_flags_phone_and_time_left_to_call_back(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    item = urgent_request(app, waited=timedelta(minutes=35), due_in=timedelta(minutes=85))
    signed_in(client, "scheduler")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    shown = section(page, f"request-{item.id}")
    assert '<span class="tag tag-urgent">Urgent</span>' in shown
    assert "Fever; Cause: infection" in shown
    assert "(507) 555-0177" in shown
    # The day is named only when the target falls on another day (a test run late in the evening).
    clock = r"(\w{3} \w{3} \d+, )?(noon|midnight|\d{1,2}(:\d\d)? [ap]\.m\.) C[SD]T"
    assert re.search(rf"Waiting 35 min · call back by {clock} \(in 1 h 24 min\)", shown), shown
    assert "call-back-overdue" not in shown and "Overdue" not in shown


def test_an_urgent_request_past_its_target_is_shown_overdue_as_a_warning_at_the_top(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    with app.app_context():
        routine = visit_requests.submit_request(intake=ROUTINE, patient=BEN, preferences={}, channel="web").request
    late = urgent_request(app, waited=timedelta(hours=2, minutes=20), due_in=timedelta(minutes=-20))
    signed_in(client, "scheduler")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    assert page.index(f'id="request-{late.id}"') < page.index(f'id="request-{routine.id}"')
    shown = section(page, f"request-{late.id}")
    overdue = re.search(r'<dd class="call-back-overdue">([^<]*)</dd>', shown)
    assert overdue and overdue.group(1).startswith("Waiting 2 h 20 min · Overdue by 20 min (call back by ")
    routine_shown = section(page, f"request-{routine.id}")
    assert "tag-urgent" not in routine_shown and "Overdue" not in routine_shown
    assert "call back by" in routine_shown  # a routine request has its own target: two clinic days
    assert "(507) 555-0188" in routine_shown  # every request shows the phone to call


def test_an_urgent_request_kept_without_a_target_still_shows_how_long_it_has_waited(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    item = urgent_request(app, waited=timedelta(hours=1, minutes=5), due_in=None)
    signed_in(client, "scheduler")
    shown = section(page_text(client.get("/staff/queue?specialty=pmr")), f"request-{item.id}")
    assert "Waiting 1 h 5 min</dd>" in shown and "call back by" not in shown


# ----- the visit page, the calendar cell, the day list and its CSV ---------------------------------------


def test_an_urgent_visit_shows_its_badge_and_red_flags_on_every_staff_page_and_a_routine_one_none(
    app, client, signed_in, make_provider
):
    provider = make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=3)
    urgent = book(app, day, 9, CARA, INFECTED_AND_FEVERISH, urgent=True)
    routine = book(app, day, 11, BEN, ROUTINE)
    signed_in(client, "scheduler")

    page = page_text(client.get(f"/staff/visits/{urgent}"))
    badge = '<span class="tag tag-urgent">Urgent</span> <span class="urgent-answers">Fever; Cause: infection</span>'
    assert badge in page
    assert re.search(r"<dt>Likely cause</dt><dd>Infection</dd>", page)
    assert "<dt>Referred by a physician</dt><dd>yes</dd>" in page
    assert "<dt>Seen at the clinic before</dt><dd>no</dd>" in page
    routine_page = page_text(client.get(f"/staff/visits/{routine}"))
    assert "tag-urgent" not in routine_page and "Trauma, such as a fall or car crash" in routine_page
    assert "<dt>Red flags</dt><dd>none</dd>" in routine_page

    calendar = page_text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    cells = re.findall(r'<td class="cell-visit[^"]*"[^>]*>.*?</td>', calendar, re.S)
    urgent_cell = next(c for c in cells if "Diaz, Cara" in c)
    routine_cell = next(c for c in cells if "Olsen, Ben" in c)
    assert "cell-urgent" in urgent_cell and ">Urgent</span>" in urgent_cell
    assert "Fever; Cause: infection" in urgent_cell
    assert "Urgent" not in routine_cell and "cell-urgent" not in routine_cell
    week = page_text(client.get(f"/staff/calendar/provider/{provider}?week={day.isoformat()}"))
    assert "Fever; Cause: infection" in week

    day_list = page_text(client.get(f"/staff/day-list/{provider}?day={day.isoformat()}"))
    rows = re.findall(r"<tr>.*?</tr>", day_list, re.S)
    urgent_row = next(r for r in rows if "Diaz, Cara" in r)
    routine_row = next(r for r in rows if "Olsen, Ben" in r)
    assert ">Urgent</span>" in urgent_row and "Fever; Cause: infection" in urgent_row
    assert "Urgent" not in routine_row
    assert '<th scope="col">Urgent</th>' in day_list

    export = list(csv.DictReader(io.StringIO(client.get(f"/staff/day-list/{provider}.csv?day={day.isoformat()}").text)))
    by_patient = {row["patient"]: row["urgent"] for row in export}
    assert by_patient == {"Diaz, Cara": "Urgent: Fever; Cause: infection", "Olsen, Ben": ""}


def test_a_visit_placed_from_a_request_shows_the_request_and_its_answers(app, client, signed_in, make_provider):
    make_provider("pmr")
    with app.app_context():
        item = visit_requests.submit_request(intake=ROUTINE, patient=BEN, preferences={}, channel="web").request
        reference = item.reference
        start = central(next_clinic_day(after_days=3), 10)
        placed = staff_visits.place_request(item.id, start, actor=staff_visits.Actor(1, "scheduler"))
        visit_id = placed.appointment.id
        # A visit placed before visits kept their answers: the request's answers are shown.
        db.session.get(models.Appointment, visit_id).intake = None
        db.session.commit()
    signed_in(client, "scheduler")
    page = page_text(client.get(f"/staff/visits/{visit_id}"))
    assert f"<dt>Placed from request</dt><dd>{reference}</dd>" in page
    assert "<dt>Likely cause</dt><dd>Trauma, such as a fall or car crash</dd>" in page
    assert "<dt>Seen at the clinic before</dt><dd>yes</dd>" in page
    assert "tag-urgent" not in page


def test_an_urgent_request_placed_by_a_scheduler_is_an_urgent_visit_on_the_calendar(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    item = urgent_request(app, waited=timedelta(minutes=5), due_in=timedelta(minutes=60))
    day = next_clinic_day(after_days=2)
    with app.app_context():
        staff_visits.place_request(item.id, central(day, 14), actor=staff_visits.Actor(1, "scheduler"))
        (visit,) = db.session.execute(select(models.Appointment)).scalars()
        assert visit.urgent
    signed_in(client, "scheduler")
    calendar = page_text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    assert "cell-urgent" in calendar and "Fever; Cause: infection" in calendar


def test_no_patient_detail_or_red_flag_reaches_an_address(app, client, signed_in, make_provider):
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=3)
    book(app, day, 9, CARA, INFECTED_AND_FEVERISH, urgent=True)
    urgent_request(app, BEN, waited=timedelta(minutes=5), due_in=timedelta(minutes=60))
    signed_in(client, "scheduler")
    pages = [
        page_text(client.get("/staff/queue?specialty=pmr")),
        page_text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}")),
        page_text(client.get(f"/staff/day-list/{provider}?day={day.isoformat()}")),
    ]
    for page in pages:
        for address in re.findall(r'(?:href|action)="([^"]+)"', page):
            assert not re.search(r"fever|infection|Diaz|Olsen|555", address, re.I), address
