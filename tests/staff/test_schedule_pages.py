"""The schedulers' pages: calendars, a visit's actions, the request queue and the day list."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
PHONE_STAFF = staff_visits.Actor(staff_id=1, role="phone", channel="phone")


def text(response):
    return response.get_data(as_text=True)


def book(app, day, hour, patient=ANN):
    with app.app_context():
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient, actor=PHONE_STAFF
        ).appointment.id


def audit_actions(app):
    with app.app_context():
        return [
            e.action for e in db.session.execute(select(models.AuditEvent).order_by(models.AuditEvent.id)).scalars()
        ]


def test_the_day_view_shows_providers_side_by_side_with_visits_and_a_text_legend(client, app, signed_in, make_provider):
    make_provider("pmr", name="Dr. Adams")
    make_provider("pmr", name="Dr. Baker")
    day = next_clinic_day(after_days=3)
    book(app, day, 9)
    signed_in(client, "scheduler")
    page = text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    headings = re.findall(r'<th scope="col"><a href="/staff/calendar/provider/\d+[^"]*">([^<]+)</a>', page)
    assert headings == ["Dr. Adams", "Dr. Baker"]
    assert "9 a.m.: Lee, Ann" in page and 'rowspan="4"' in page  # a 60-minute visit spans four rows
    legend = re.search(r'<div class="legend".*?</div>', page, re.S).group(0)
    assert "Comprehensive SI joint evaluation" in legend and "vt-evaluation" in legend
    assert re.search(r"Times are Central time \(C[SD]T\)", page)


def test_the_week_view_shows_one_provider_across_five_days(client, app, signed_in, make_provider):
    provider = make_provider("pmr", name="Dr. Adams")
    day = next_clinic_day(after_days=3)
    book(app, day, 10)
    signed_in(client, "phone")
    page = text(client.get(f"/staff/calendar/provider/{provider}?week={day.isoformat()}"))
    assert len(re.findall(r'<th scope="col"><a href="/staff/calendar\?specialty=pmr&amp;day=', page)) == 5
    assert "10 a.m.: Lee, Ann" in page
    assert client.get("/staff/calendar/provider/999999").status_code == 404


def test_opening_a_visit_is_audited_and_a_scheduler_moves_it_with_the_notify_choice(
    client, app, signed_in, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    visit = book(app, day, 9)
    signed_in(client, "scheduler")
    page = text(client.get(f"/staff/visits/{visit}"))
    assert "Ann Lee, born 02/03/1970" in page and "Move…" in page
    assert audit_actions(app)[-1] == "appointment.view"
    choices = re.findall(r'name="slot" value="([^"]+)"', text(client.get(f"/staff/visits/{visit}/move")))
    target = next(c for c in choices if "T20:" in c or "T21:" in c)  # an afternoon time
    moved = client.post(f"/staff/visits/{visit}/move", data={"slot": target})  # notify left unticked
    assert moved.status_code == 302
    with app.app_context():
        appointment = db.session.get(models.Appointment, visit)
        assert appointment.starts_at.isoformat() == target.split("|")[0]
        kinds = {m.kind for m in db.session.execute(select(models.OutboxMessage)).scalars()}
        assert "rescheduled" not in kinds
    assert audit_actions(app)[-1] == "appointment.move"


def test_a_move_onto_a_taken_time_is_refused_with_the_reason_and_nothing_changes(client, app, signed_in, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    visit = book(app, day, 9)
    book(app, day, 13, PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", None))
    signed_in(client, "scheduler")
    taken = central(day, 13).isoformat()
    refused = client.post(f"/staff/visits/{visit}/move", data={"slot": f"{taken}|", "notify": "y"})
    assert refused.status_code == 422 and "The next open time is" in text(refused)
    with app.app_context():
        assert db.session.get(models.Appointment, visit).starts_at == central(day, 9)


def test_phone_staff_can_check_in_but_not_move_and_a_scheduler_cancels_without_telling(
    client, app, signed_in, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    visit = book(app, day, 9)
    signed_in(client, "phone")
    assert client.get(f"/staff/visits/{visit}/move").status_code == 403
    page = text(client.get(f"/staff/visits/{visit}"))
    assert "Move…" not in page
    assert 'value="check-in"' not in page  # five days ahead: no check-in offered before the visit's day
    client.post("/staff/logout")
    signed_in(client, "scheduler")
    missing = client.post(f"/staff/visits/{visit}/cancel", data={"reason": ""})
    assert missing.status_code == 422 and "Give the reason for cancelling" in text(missing)
    client.post(f"/staff/visits/{visit}/cancel", data={"reason": "Provider ill"})
    with app.app_context():
        appointment = db.session.get(models.Appointment, visit)
        assert appointment.status == "cancelled" and appointment.cancel_reason == "Provider ill"
        kinds = {m.kind for m in db.session.execute(select(models.OutboxMessage)).scalars()}
        assert "cancelled" not in kinds


def test_a_scheduler_places_a_queued_request_from_the_suggested_times(client, app, signed_in, make_provider, make_room):
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    with app.app_context():
        item = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True),
            patient=ANN,
            preferences={"days": ["monday"]},
            channel="web",
        ).request
    signed_in(client, "scheduler")
    page = text(client.get("/staff/queue?specialty=radiology-pain"))
    assert item.reference in page and "Lee, Ann" in page
    assert "checked" not in page  # no time is chosen for the scheduler
    first = re.search(r'name="slot" value="([^"]+)"', page).group(1)
    placed = client.post(f"/staff/queue/{item.id}/place", data={"slot": first})
    assert placed.status_code == 302 and "/staff/visits/" in placed.headers["Location"]
    assert f'id="request-{item.id}"' not in text(client.get("/staff/queue?specialty=radiology-pain"))
    with app.app_context():
        (appointment,) = db.session.execute(select(models.Appointment)).scalars()
        assert appointment.request_id == item.id and appointment.starts_at.isoformat() == first.split("|")[0]
    assert "request.place" in audit_actions(app)


def test_the_day_list_prints_and_exports_csv_without_spreadsheet_formulas(client, app, signed_in, make_provider):
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=3)
    book(app, day, 9, PatientDetails("Ann", "=HYPERLINK(1)", date(1970, 2, 3), "+15075550101", None))
    signed_in(client, "phone")
    page = text(client.get(f"/staff/day-list/{provider}?day={day.isoformat()}"))
    assert "=HYPERLINK(1), Ann" in page and "<td>02/03/1970</td>" in page and "9 a.m.–10 a.m." in page
    export = client.get(f"/staff/day-list/{provider}.csv?day={day.isoformat()}")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(export))))
    assert rows[0][:3] == ["time", "end", "patient"] and rows[1][2] == "'=HYPERLINK(1), Ann"
    # The CSV keeps machine-friendly times and dates (ISO-8601), for spreadsheets.
    assert rows[1][0] in ("09:00 CST", "09:00 CDT") and rows[1][1] == "10:00" and rows[1][3] == "1970-02-03"
    assert audit_actions(app)[-2:] == ["daylist.view", "daylist.export"]
