"""A staff feed's refresh hint and time zone as calendar clients read them: X-PUBLISHED-TTL an RFC
5545 duration, and America/Chicago's changes at 02:00 local (read by icalendar and by vobject)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import vobject
from icalendar import Calendar

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from tests.conftest import central
from tests.fhir.test_feeds_and_commands import feed_url
from tests.fhir.test_feeds_and_commands import next_dst_change
from tests.fhir.test_feeds_and_commands import place


def test_a_feed_asks_for_a_refresh_every_fifteen_minutes_in_a_valid_duration(app, client, runner, clinic, staff_user):
    response = client.get(feed_url(runner, staff_user("scheduler").username, "--provider", str(clinic["adams"])))
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert "X-PUBLISHED-TTL:PT15M" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in lines


def test_a_feeds_time_zone_changes_at_two_in_the_morning_local_time(app, client, runner, clinic, staff_user):
    change = next_dst_change(clinic_today(utc_now()) + timedelta(days=3))
    monday = change + timedelta(days=1)
    visit = place(app, clinic["adams"], central(monday, 9))
    response = client.get(feed_url(runner, staff_user("scheduler").username, "--provider", str(clinic["adams"])))
    [vtimezone] = Calendar.from_ical(response.data).walk("VTIMEZONE")
    onsets: dict[str, list[datetime]] = {}
    for part in vtimezone.subcomponents:
        rdates = part.get("RDATE", [])
        found = [part["DTSTART"].dt] + [p.dt for r in (rdates if isinstance(rdates, list) else [rdates]) for p in r.dts]
        onsets.setdefault(part.name, []).extend(found)
        offsets = (part["TZOFFSETFROM"].td, part["TZOFFSETTO"].td)
        expected = (-6, -5) if part.name == "DAYLIGHT" else (-5, -6)
        assert offsets == tuple(timedelta(hours=h) for h in expected)
    assert all(onset.hour == 2 and onset.minute == 0 for kind in onsets.values() for onset in kind)
    assert datetime.combine(change, datetime.min.time()).replace(hour=2) in onsets["DAYLIGHT"] + onsets["STANDARD"]
    # vobject reads the times through the feed's own VTIMEZONE definition.
    parsed = vobject.readOne(response.get_data(as_text=True))
    [event] = parsed.vevent_list
    assert event.dtstart.value.astimezone(UTC) == visit.starts_at
