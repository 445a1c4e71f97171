"""Property tests of the slot engine against a deliberately naive reference.

Every offered slot must start at or after 08:00 and end by 17:00 Central on a weekday that is no
closure, sit inside its provider's pattern, and overlap no reservation of its provider, room or
patient. And nothing the rules allow may be missing: the offered set equals what a brute-force
walk over every 15-minute start finds. Windows include the weeks where daylight saving ends
(2026-11-01) and begins (2027-03-14).
"""

from __future__ import annotations

import dataclasses
import itertools
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
from scheduler.domain.catalog import TimeOff
from scheduler.domain.catalog import VisitType
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.hours import Closure
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import merge
from scheduler.domain.slots import WorkingTime
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource

DST_WEEKS = (date(2026, 10, 26), date(2026, 11, 1), date(2027, 3, 8), date(2027, 3, 14))
HOURS = ClinicHours()
QUARTER = timedelta(minutes=15)

quarter_times = st.integers(min_value=6 * 4, max_value=19 * 4).map(lambda q: time(q // 4, (q % 4) * 15))
first_days = st.one_of(st.sampled_from(DST_WEEKS), st.dates(date(2026, 1, 1), date(2028, 12, 31)))


@st.composite
def blocks(draw: st.DrawFn) -> WorkBlock:
    # Patterns may reach outside clinic hours (6:00-19:00): the engine must clip them.
    a, b = draw(quarter_times), draw(quarter_times)
    if a == b:
        b = time(min(a.hour + 1, 23), a.minute)
    return WorkBlock(draw(st.integers(0, 6)), min(a, b), max(a, b))


@st.composite
def intervals_near(draw: st.DrawFn, first: date, days: int, max_count: int) -> list[Interval]:
    found = []
    for _ in range(draw(st.integers(0, max_count))):
        day = first + timedelta(days=draw(st.integers(-1, days)))
        start = clinic_instant(day, draw(quarter_times)) + timedelta(minutes=draw(st.sampled_from([0, 5, 7])))
        found.append(Interval(start, start + timedelta(minutes=draw(st.integers(1, 16)) * 15)))
    return found


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    first = draw(first_days)
    days = draw(st.integers(1, 10))
    room_kind = draw(st.sampled_from([None, "fluoroscopy"]))
    visit = VisitType("v", "Visit", "pmr", draw(st.integers(1, 8)) * 15, BookingMode.BOOK, room_kind=room_kind)
    providers = []
    for pid in range(1, draw(st.integers(1, 3)) + 1):
        time_off = tuple(TimeOff(i.start, i.end) for i in draw(intervals_near(first, days, 2)))
        providers.append(Provider(pid, f"P{pid}", "pmr", tuple(draw(st.lists(blocks(), max_size=6))), time_off))
    rooms = [Room(rid, f"Room {rid}", "fluoroscopy") for rid in range(1, draw(st.integers(0, 2)) + 1)]
    closures = []
    for _ in range(draw(st.integers(0, 3))):
        day = first + timedelta(days=draw(st.integers(0, days)))
        if draw(st.booleans()):
            closures.append(Closure(day, "Holiday"))
        else:
            closures.append(Closure(day, "Afternoon off", draw(quarter_times), None))
    busy = {provider_resource(p.id): draw(intervals_near(first, days, 6)) for p in providers}
    busy.update({room_resource(r.id): draw(intervals_near(first, days, 6)) for r in rooms})
    patient = draw(intervals_near(first, days, 3))
    busy[patient_resource(1)] = patient
    not_before = clinic_instant(first, time(8)) + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    return dict(
        visit=visit,
        providers=providers,
        rooms=rooms,
        closures=closures,
        busy=busy,
        patient=patient,
        first=first,
        days=days,
        not_before=not_before,
    )


def offered(s: dict) -> list:
    return free_slots(
        visit_type=s["visit"],
        providers=s["providers"],
        rooms=s["rooms"],
        calendar=ClinicCalendar(HOURS, tuple(s["closures"])),
        first_day=s["first"],
        days=s["days"],
        busy=s["busy"],
        not_before=s["not_before"],
        patient_busy=s["patient"],
    )


def naive_reference(s: dict) -> set[tuple[datetime, int]]:
    """Walk every quarter hour of every day and test every rule directly; slow but obviously right."""
    found = set()
    duration = timedelta(minutes=s["visit"].minutes)
    calendar = ClinicCalendar(HOURS, tuple(s["closures"]))
    for offset in range(s["days"]):
        day = s["first"] + timedelta(days=offset)
        if day.weekday() > 4:
            continue
        start = clinic_instant(day, time(8))
        while start + duration <= clinic_instant(day, time(17)):
            visit = Interval(start, start + duration)
            ok_clinic = start >= s["not_before"] and calendar.closure_overlapping(visit.start, visit.end) is None
            ok_patient = not any(visit.overlaps(b) for b in s["patient"])
            ok_room = not s["visit"].room_kind or any(
                not any(visit.overlaps(b) for b in s["busy"][room_resource(r.id)]) for r in s["rooms"]
            )
            for p in s["providers"]:
                works = any(
                    b.weekday == day.weekday()
                    and Interval(clinic_instant(day, b.starts), clinic_instant(day, b.ends)).contains(visit)
                    for b in p.pattern
                )
                # Adjacent pattern blocks join into one stretch of work.
                works = works or _inside_joined_blocks(p, day, visit)
                away = any(visit.overlaps(Interval(t.starts_at, t.ends_at)) for t in p.time_off)
                busy = any(visit.overlaps(b) for b in s["busy"][provider_resource(p.id)])
                if ok_clinic and ok_patient and ok_room and works and not away and not busy:
                    found.add((start, p.id))
            start += QUARTER
    return found


def _inside_joined_blocks(provider: Provider, day: date, visit: Interval) -> bool:
    spans = sorted(
        (clinic_instant(day, b.starts), clinic_instant(day, b.ends))
        for b in provider.pattern
        if b.weekday == day.weekday()
    )
    joined: list[list[datetime]] = []
    for a, b in spans:
        if joined and a <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return any(a <= visit.start and visit.end <= b for a, b in joined)


@settings(max_examples=300, deadline=None, database=None)
@given(scenarios())
def test_every_offered_slot_keeps_every_rule_and_none_is_missing(s):
    slots = offered(s)
    calendar = ClinicCalendar(HOURS, tuple(s["closures"]))
    for slot in slots:
        local_start, local_end = slot.start.astimezone(CLINIC_TZ), slot.end.astimezone(CLINIC_TZ)
        assert local_start.weekday() < 5
        assert local_start.date() == local_end.date()
        assert local_start.time() >= time(8) and local_end.time() <= time(17)
        assert (local_start.hour * 60 + local_start.minute) % 15 == 0 and local_start.second == 0
        assert slot.end - slot.start == timedelta(minutes=s["visit"].minutes)
        assert slot.start >= s["not_before"]
        assert calendar.closure_overlapping(slot.start, slot.end) is None
        visit = Interval(slot.start, slot.end)
        assert not any(visit.overlaps(b) for b in s["busy"][provider_resource(slot.provider_id)])
        assert not any(visit.overlaps(b) for b in s["patient"])
        if s["visit"].room_kind:
            assert slot.room_id is not None
            assert not any(visit.overlaps(b) for b in s["busy"][room_resource(slot.room_id)])
        else:
            assert slot.room_id is None
    assert {(slot.start, slot.provider_id) for slot in slots} == naive_reference(s)
    assert [slot.start for slot in slots] == sorted(slot.start for slot in slots)



@settings(max_examples=150, deadline=None, database=None)
@given(scenarios(), st.integers(-3, 3), st.integers(1, 10))
def test_a_working_time_kept_for_the_catalog_answers_every_question_as_a_fresh_one(s, shift, days):
    """What a WorkingTime keeps (its days, free times and starts) comes from the catalog alone: a
    question asked after others under the same catalog, with other bookings, other days and
    another visit length, gets exactly the answer it would get first."""
    calendar = ClinicCalendar(HOURS, tuple(s["closures"]))
    kept = WorkingTime(calendar)
    other = dataclasses.replace(s["visit"], minutes=(s["visit"].minutes % 120) + 15)
    for visit, first in ((other, s["first"]), (s["visit"], s["first"] + timedelta(days=shift))):
        free_slots(
            visit_type=visit,
            providers=s["providers"],
            rooms=s["rooms"],
            calendar=calendar,
            first_day=first,
            days=days,
            busy={},
            not_before=datetime(2000, 1, 1, tzinfo=UTC),
            working=kept,
        )
    again = free_slots(
        visit_type=s["visit"],
        providers=s["providers"],
        rooms=s["rooms"],
        calendar=calendar,
        first_day=s["first"],
        days=s["days"],
        busy=s["busy"],
        not_before=s["not_before"],
        patient_busy=s["patient"],
        working=kept,
    )
    assert again == offered(s)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=12))  # a small span: they meet
def test_merging_covers_the_same_minutes_in_sorted_stretches_apart(pairs: list[tuple[int, int]]) -> None:
    """Overlapping and touching intervals, repeated starts, empty and backwards ones, in any order:
    merged, they cover exactly the minutes they covered, as sorted stretches with a gap between."""
    base = datetime(2027, 3, 1, 14, tzinfo=UTC)
    minute = timedelta(minutes=1)
    merged = merge([Interval(base + a * minute, base + b * minute) for a, b in pairs])
    covered = {m for i in merged for m in range((i.start - base) // minute, (i.end - base) // minute)}
    assert covered == {m for a, b in pairs for m in range(a, b)}
    assert all(i.start < i.end for i in merged)
    assert all(before.end < after.start for before, after in itertools.pairwise(merged))


def test_the_engine_offers_eight_to_five_local_on_both_sides_of_each_dst_change():
    provider = Provider(1, "P", "pmr", tuple(WorkBlock(d, time(8), time(17)) for d in range(5)))
    visit = VisitType("v", "Visit", "pmr", 60, BookingMode.BOOK)
    for first, utc_open in [
        (date(2026, 10, 30), datetime(2026, 10, 30, 13, tzinfo=UTC)),  # CDT, UTC-5
        (date(2026, 11, 2), datetime(2026, 11, 2, 14, tzinfo=UTC)),  # CST, UTC-6
        (date(2027, 3, 12), datetime(2027, 3, 12, 14, tzinfo=UTC)),  # CST
        (date(2027, 3, 15), datetime(2027, 3, 15, 13, tzinfo=UTC)),  # CDT
    ]:
        slots = free_slots(
            visit_type=visit,
            providers=[provider],
            rooms=[],
            calendar=ClinicCalendar(),
            first_day=first,
            days=1,
            busy={},
            not_before=datetime(2000, 1, 1, tzinfo=UTC),
        )
        assert slots[0].start == utc_open
        assert slots[-1].end == utc_open + timedelta(hours=9)
        assert len(slots) == 33  # 8:00 ... 16:00 every quarter hour
