"""One time format and one birth-date format on the staff pages (issue 14): the patients' pages'
style, "9 a.m." / "1:15 p.m." with CST or CDT where a time stands alone, days as "Monday, March 8,
2027" or "Mon Mar 8, 2027", birth dates as "02/03/1970"; never "09:00" or "1970-02-03" for people
(the day list's CSV keeps ISO-8601 for spreadsheets, tests/staff/test_schedule_pages.py)."""

from __future__ import annotations

import html
import re
from datetime import date
from datetime import time

from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_instant
from scheduler.domain.patients import PatientDetails
from scheduler.services import staff_visits
from scheduler.services import waitlist
from scheduler.services.integrations import create_api_client
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
# A wall-clock time written 24-hour style ("09:00", "13:15", "00:30:00"), not the clinic's "9 a.m.".
TWENTY_FOUR_HOUR = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:]| ?[ap]\.m\.)")
ISO_DATE = re.compile(r"(?<!like )\b\d{4}-\d{2}-\d{2}\b")  # "like 2027-03-08" hints say how to type one
STAFF_TIME = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2}, \d{4} at (\d{1,2}(:\d{2}){0,2} [ap]\.m\.|noon) C[SD]T"
)


def visible(response) -> str:
    """The words a person sees: no tags, attributes, scripts or styles (nor the audit trail's
    Detail column: words stored with each event when it happened, not written by a page)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    page = re.sub(r"<td>[^<]*</td>\s*</tr>", "</tr>", page) if "Audit trail" in page else page
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_staff_pages_write_times_dates_and_birth_dates_one_way(app, client, signed_in, make_provider, make_room):
    provider = make_provider("pmr", name="Dr. Lin")
    make_room("xray", name="X-ray Room")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        visit = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 13, 15), patient=ANN,
            actor=staff_visits.Actor(staff_id=1, role="phone", channel="phone"),
        ).appointment  # fmt: skip
        waitlist.join(visit_type_code="evaluation", patient=ANN, channel="web")
        create_api_client("Epic EHR", ("read",))
    signed_in(client, "admin")
    closure = {"day": next_clinic_day(after_days=20).isoformat(), "starts": "13:00", "name": "Staff meeting"}
    assert client.post("/staff/admin/closures", data=closure).status_code in (302, 303)
    pages = {
        "visit": f"/staff/visits/{visit.id}",
        "patient": f"/staff/patients/{visit.patient_id}",
        "day list": f"/staff/day-list/{provider}?day={day.isoformat()}",
        "day": f"/staff/calendar?specialty=pmr&day={day.isoformat()}",
        "week": f"/staff/calendar/provider/{provider}?week={day.isoformat()}",
        "rooms": f"/staff/calendar/rooms?day={day.isoformat()}",
        "messages": "/staff/messages",
        "audit": "/staff/audit",
        "waitlist": "/staff/waitlist?specialty=pmr",
        "closures": "/staff/admin/closures",
        "api clients": "/staff/admin/api-clients",
    }
    seen = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        seen[name] = visible(response)
        assert TWENTY_FOUR_HOUR.findall(seen[name]) == [], name
        assert ISO_DATE.findall(seen[name]) == [], name
    zone = clinic_instant(day, time(12)).astimezone(CLINIC_TZ).tzname()
    assert f"{day:%A, %B} {day.day}, {day.year} at 1:15 p.m. {zone}" in seen["visit"]  # as patients read it
    for name in ("visit", "patient", "day list", "waitlist"):
        assert "02/03/1970" in seen[name], name  # the birth date, one way
    assert "1:15 p.m.: Lee, Ann" in seen["day"] and "1:15 p.m.: Lee, Ann" in seen["week"]
    assert "1:15 p.m.–2:15 p.m." in seen["day list"]
    assert re.search(r"X-ray 8 a\.m\. free 8:15 a\.m\. free .* noon free .* 4:45 p\.m\. free$", seen["rooms"])  # rows
    for name in ("messages", "audit", "waitlist", "patient", "api clients"):
        assert STAFF_TIME.search(seen[name]), name
    assert re.search(r"\w{3} \w{3} \d{1,2}, \d{4} 1 p\.m\. to closing Staff meeting", seen["closures"])
    assert f"Times are Central time ({zone})" in seen["day"]
