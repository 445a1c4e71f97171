"""Staff calendar feeds (iCalendar) and the commands that make API clients and feed URLs."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central

CENTRAL = ZoneInfo("America/Chicago")
ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
BO = PatientDetails("Bo", "Park", date(1981, 6, 7), "+15075550199", "bo@example.com")


def next_dst_change(after: date) -> date:
    """The first Sunday on or after ``after`` on which Central time changes its offset."""
    day = after
    while (
        central(day, 12).astimezone(CENTRAL).utcoffset()
        == central(day - timedelta(1), 12).astimezone(CENTRAL).utcoffset()
    ):
        day += timedelta(days=1)
    return day


def feed_url(runner, username: str, *target: str) -> str:
    made = runner.invoke(args=["create-calendar-feed", username, *target])
    assert made.exit_code == 0, made.output
    url = made.output.strip().splitlines()[-1]
    assert re.fullmatch(r"http://[^/]+/feeds/[A-Za-z0-9_-]{40,}\.ics", url), url
    return "/feeds/" + url.rsplit("/feeds/", 1)[1]


def place(app, provider: int, start: datetime, patient: PatientDetails = ANN) -> models.Appointment:
    with app.app_context():
        return booking.place_visit(
            visit_type_code="evaluation", start=start, patient=patient, channel="phone", provider_id=provider
        ).appointment


def test_a_provider_feed_round_trips_through_icalendar_with_central_times_across_a_dst_change(
    app, client, runner, clinic, staff_user
):
    change = next_dst_change(clinic_today(utc_now()) + timedelta(days=3))
    friday, monday = change - timedelta(days=2), change + timedelta(days=1)
    assert (friday.weekday(), monday.weekday()) == (4, 0)
    before = place(app, clinic["adams"], central(friday, 9))
    after = place(app, clinic["adams"], central(monday, 9), BO)
    place(app, clinic["baker"], central(monday, 10))  # another provider: not in this feed
    staff = staff_user("scheduler")
    response = client.get(feed_url(runner, staff.username, "--provider", str(clinic["adams"])))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]

    calendar = Calendar.from_ical(response.data)
    assert calendar["X-WR-TIMEZONE"] == "America/Chicago"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {before.reference, after.reference}
    for visit, day in ((before, friday), (after, monday)):
        event = events[visit.reference]
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "America/Chicago"
        assert (start.date(), start.time()) == (day, time(9))  # nine o'clock Central, either side of the change
        assert start.astimezone(UTC) == visit.starts_at
        assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert events[before.reference].decoded("DTSTART").astimezone(UTC).hour == 15  # CST, UTC-6
    assert events[after.reference].decoded("DTSTART").astimezone(UTC).hour == 14  # CDT, UTC-5
    # Minimal PHI: the visit type and initials, never names, birth dates or contact details.
    text = response.get_data(as_text=True)
    assert "(A.L.)" in text and "(B.P.)" in text
    for secret in ("Lee", "Park", "Ann", "1970", "555", "example.com"):
        assert secret not in text
    with app.app_context():
        read = db.session.execute(select(models.AuditEvent).filter_by(action="calendar_feed.read")).scalar_one()
        assert (read.actor_kind, read.actor_id) == ("staff", staff.id)


def test_a_specialty_feed_shows_the_team_without_cancelled_visits_and_stops_when_revoked(
    app, client, runner, clinic, staff_user
):
    day = clinic_today(utc_now()) + timedelta(days=7)
    day += timedelta(days=(7 - day.weekday()) % 7)  # a Monday
    kept = place(app, clinic["adams"], central(day, 9))
    gone = place(app, clinic["baker"], central(day, 11), BO)
    with app.app_context():
        booking.cancel_visit(gone.id, "clinic", notify=False)
    staff = staff_user("phone")
    path = feed_url(runner, staff.username, "--specialty", "pmr")
    calendar = Calendar.from_ical(client.get(path).data)
    assert [str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")] == [kept.reference]

    listed = runner.invoke(args=["list-calendar-feeds"])
    feed_id = listed.output.split()[0]
    assert runner.invoke(args=["revoke-calendar-feed", feed_id]).exit_code == 0
    assert client.get(path).status_code == 404
    assert client.get("/feeds/not-a-token-at-all-but-long-enough.ics").status_code == 404


def test_a_feed_ends_with_its_staff_account(app, client, runner, clinic, staff_user):
    staff = staff_user("scheduler")
    path = feed_url(runner, staff.username, "--provider", str(clinic["adams"]))
    assert client.get(path).status_code == 200
    with app.app_context():
        db.session.get(models.StaffAccount, staff.id).active = False
        db.session.commit()
    assert client.get(path).status_code == 404


def test_feed_commands_refuse_what_they_cannot_do(runner, clinic, staff_user):
    staff = staff_user("scheduler")
    assert runner.invoke(args=["create-calendar-feed", "nobody", "--specialty", "pmr"]).exit_code != 0
    assert runner.invoke(args=["create-calendar-feed", staff.username]).exit_code != 0
    assert runner.invoke(args=["create-calendar-feed", staff.username, "--specialty", "nope"]).exit_code != 0
    assert runner.invoke(args=["revoke-calendar-feed", "999"]).exit_code != 0


def test_create_api_client_prints_a_working_token_once_and_revoking_it_stops_it(app, client, runner, staff_user):
    admin = staff_user("admin")
    made = runner.invoke(
        args=["create-api-client", "Epic test", "--scope", "read", "--scope", "book", "--created-by", admin.username]
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("sij_") and len(token) > 40
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/fhir/Location/clinic", headers=headers).status_code == 200
    listed = runner.invoke(args=["list-api-clients"]).output
    assert "Epic test\tread book\tactive" in listed and token not in listed
    with app.app_context():
        row = db.session.execute(select(models.ApiClient)).scalar_one()
        assert row.created_by_id == admin.id
    assert runner.invoke(args=["revoke-api-client", str(row.id)]).exit_code == 0
    assert client.get("/fhir/Location/clinic", headers=headers).status_code == 401
    assert runner.invoke(args=["create-api-client", "x", "--scope", "write"]).exit_code != 0
    assert runner.invoke(args=["create-api-client", "   ", "--scope", "read"]).exit_code != 0
