"""Invites that mail clients treat as invitations (RFC 5546 iTIP, RFC 6047 iMIP), received by a real
SMTP server (aiosmtpd on 127.0.0.1), and read by two calendar parsers: icalendar and vobject."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
import vobject
from icalendar import Calendar

from scheduler.jobs import transports
from scheduler.services.outbox_delivery import drain_once
from scheduler.services.vtimezone import clinic_vtimezone
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import patient_json

# Mondays after the 2027 changes: 9:00 CDT is 14:00 UTC, 9:00 CST is 15:00 UTC.
DST_WEEKS = [
    pytest.param(date(2027, 3, 15), datetime(2027, 3, 15, 14, tzinfo=UTC), id="after-2027-03-14"),
    pytest.param(date(2027, 11, 8), datetime(2027, 11, 8, 15, tzinfo=UTC), id="after-2027-11-07"),
]


def book(client, start):
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json()))
    assert response.status_code == 201, response.json
    return response.json


def the_invite(message, method: str) -> bytes:
    """The text/calendar alternative, checked to be where RFC 6047 puts it, as bytes."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in alternative.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_content_disposition() is None  # inline: shown as an invitation
    # The .ics file beside it, typed so that it is not a second invitation.
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    ics = calendar_part.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == ics
    return ics


def check_both_parsers(ics: bytes, method: str, starts: datetime, sequence: int) -> None:
    calendar = Calendar.from_ical(ics)
    assert calendar["METHOD"] == method
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event["DTSTART"].dt.astimezone(UTC) == starts
    assert int(event["SEQUENCE"]) == sequence
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:no-reply@si-joint-clinic.example"
    assert organizer.params["CN"] == "SI Joint Clinic"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:ann.lee@example.com"
    assert attendee.params["RSVP"] == "FALSE"
    assert "CN" not in attendee.params  # the patient's own address, and nothing more about them
    if method == "REQUEST":
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    # vobject reads DTSTART through the VTIMEZONE the invite carries, not its own tz database.
    parsed = vobject.readOne(ics.decode("utf-8"))
    assert parsed.method.value == method
    assert parsed.vevent.dtstart.value.astimezone(UTC) == starts
    assert parsed.vevent.organizer.value == "mailto:no-reply@si-joint-clinic.example"
    assert parsed.vevent.attendee.value == "mailto:ann.lee@example.com"
    assert parsed.vevent.uid.value == str(event["UID"])


@pytest.mark.parametrize(("day", "starts"), DST_WEEKS)
def test_a_booking_and_its_cancellation_on_a_dst_week_are_itip_request_and_cancel(
    app, client, inbox, make_provider, day, starts
):
    make_provider("pmr")
    booked = book(client, central(day, 9))
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    assert client.post(f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    confirmation, cancellation = inbox.messages
    request = the_invite(confirmation, "REQUEST")
    cancel = the_invite(cancellation, "CANCEL")
    check_both_parsers(request, "REQUEST", starts, sequence=0)
    check_both_parsers(cancel, "CANCEL", starts, sequence=1)
    [requested] = Calendar.from_ical(request).walk("VEVENT")
    [cancelled] = Calendar.from_ical(cancel).walk("VEVENT")
    assert requested["UID"] == cancelled["UID"]
    assert (requested["STATUS"], cancelled["STATUS"]) == ("CONFIRMED", "CANCELLED")


def onsets(vtimezone) -> dict[str, list[datetime]]:
    """DAYLIGHT/STANDARD -> every onset (DTSTART and RDATEs), as the naive local times written."""
    found: dict[str, list[datetime]] = {}
    for part in vtimezone.subcomponents:
        times = [part["DTSTART"].dt]
        rdates = part.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            times += [period.dt for period in rdate.dts]
        found.setdefault(part.name, []).extend(times)
    return found


def check_chicago(vtimezone) -> None:
    """DST begins at 02:00 CST (-0600 -> -0500) and ends at 02:00 CDT (-0500 -> -0600)."""
    assert vtimezone["TZID"] == "America/Chicago"
    for part in vtimezone.subcomponents:
        offsets = (part["TZOFFSETFROM"].td, part["TZOFFSETTO"].td)
        if part.name == "DAYLIGHT":
            assert offsets == (timedelta(hours=-6), timedelta(hours=-5)) and part["TZNAME"] == "CDT"
        else:
            assert offsets == (timedelta(hours=-5), timedelta(hours=-6)) and part["TZNAME"] == "CST"
    found = onsets(vtimezone)
    assert datetime(2027, 3, 14, 2, 0) in found["DAYLIGHT"]
    assert datetime(2027, 11, 7, 2, 0) in found["STANDARD"]
    assert all(onset.time().hour == 2 and onset.minute == 0 for kind in found.values() for onset in kind)


def test_the_clinic_time_zone_changes_at_two_in_the_morning():
    check_chicago(clinic_vtimezone(date(2026, 1, 1), date(2028, 12, 31)))


def test_an_invite_carries_a_vtimezone_with_the_changes_at_two_in_the_morning(app, client, inbox, make_provider):
    make_provider("pmr")
    book(client, central(date(2027, 3, 15), 9))
    with app.app_context():
        assert drain_once(transports) == {"sent": 1}
    [vtimezone] = Calendar.from_ical(the_invite(inbox.messages[0], "REQUEST")).walk("VTIMEZONE")
    check_chicago(vtimezone)
    # vobject's reading of the definition: 01:59 is still CST and 03:00 CDT on 2027-03-14, and
    # 01:59 CDT then 02:00 CST on 2027-11-07 (02:00 read as after the change, as RFC 5545 has it).
    tz = vobject.readOne(the_invite(inbox.messages[0], "REQUEST").decode()).vtimezone.gettzinfo()
    assert datetime(2027, 3, 14, 1, 59, tzinfo=tz).utcoffset() == timedelta(hours=-6)
    assert datetime(2027, 3, 14, 3, 0, tzinfo=tz).utcoffset() == timedelta(hours=-5)
    assert datetime(2027, 11, 7, 0, 59, tzinfo=tz).utcoffset() == timedelta(hours=-5)
    assert datetime(2027, 11, 7, 2, 30, tzinfo=tz).utcoffset() == timedelta(hours=-6)
