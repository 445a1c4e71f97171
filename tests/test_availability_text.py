"""The availability answer's text, written from parts (presenters.availability_json), is exactly
what the JSON encoder writes for the same answer built as dicts (presenters.availability), on
the weeks daylight saving ends and begins too, with and without rooms, and when the process's
memo of instant texts already holds some of them, none, or starts again empty."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from scheduler.domain.catalog import BookingMode
from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import Room
from scheduler.domain.catalog import Specialty
from scheduler.domain.catalog import VisitType
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import IsoCentralMemo
from scheduler.domain.clock import iso_central
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.slots import WorkingTime
from scheduler.domain.slots import free_slots
from scheduler.services.availability import Availability
from scheduler.web.api import presenters

DST_WEEKS = (date(2026, 10, 26), date(2026, 11, 1), date(2027, 3, 8), date(2027, 3, 14))
CALENDAR = ClinicCalendar()
WORKING = WorkingTime(CALENDAR)  # shared by every example, as one worker shares it
PROVIDERS = [
    Provider(1, "Dr. Maya Lindqvist", "pmr", tuple(WorkBlock(d, time(8), time(17)) for d in range(5))),
    Provider(2, "Dr. Samuel \u201cSam\u201d Okafor", "pmr", tuple(WorkBlock(d, time(9), time(15)) for d in range(5))),
]
ROOMS = [Room(1, "Fluoroscopy 1", "fluoroscopy"), Room(2, "Fluoroscopy \u00e9 2", "fluoroscopy")]


def answer(first: date, days: int, minutes: int, room_kind: str | None) -> Availability:
    visit = VisitType("v", "Visit", "pmr", minutes, BookingMode.BOOK, room_kind=room_kind)
    slots = free_slots(
        visit_type=visit,
        providers=PROVIDERS,
        rooms=ROOMS,
        calendar=CALENDAR,
        first_day=first,
        days=days,
        busy={},
        not_before=datetime(2000, 1, 1, tzinfo=UTC),
        working=WORKING,
    )
    return Availability(
        visit, Specialty("pmr", "PM&R"), slots, {p.id: p for p in PROVIDERS}, {r.id: r for r in ROOMS}
    )


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.one_of(st.sampled_from(DST_WEEKS), st.dates(date(2026, 1, 1), date(2028, 12, 31))),
    st.integers(1, 10),
    st.sampled_from([15, 30, 45, 60, 90]),
    st.sampled_from([None, "fluoroscopy"]),
    st.booleans(),
)
def test_the_answer_written_from_parts_is_the_encoders_text(first, days, minutes, room_kind, forget):
    result = answer(first, days, minutes, room_kind)
    if forget:
        presenters._ISO_CENTRAL._instants = {}  # as when the memo reaches its limit
    written = presenters.availability_json(result, json.dumps)
    assert written == json.dumps(presenters.availability(result))
    assert [s["start"] for s in json.loads(written)["slots"]] == [iso_central(s.start) for s in result.slots]


def test_the_memo_writes_every_instant_as_iso_central_does_across_both_changes_of_the_clocks():
    memo = IsoCentralMemo(limit=50)  # small: it starts again empty many times on the way
    for night in (datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2027, 3, 14, 6, tzinfo=UTC)):
        for minutes in range(-24 * 60, 24 * 60, 15):
            moment = night + timedelta(minutes=minutes)
            assert memo(moment) == iso_central(moment)
            assert memo.known.get(moment, iso_central(moment)) == iso_central(moment)
