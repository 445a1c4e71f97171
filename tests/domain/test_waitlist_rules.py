"""The waitlist's rules as the clinic states them: which freed times may be offered to whom, and
who is offered first. The property test checks ``fits`` against a naive reading of each rule over
random entries and freed times (daylight-saving weeks included)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import Closure
from scheduler.domain.messages import Channel
from scheduler.domain.messages import Reachable
from scheduler.domain.messages import on_offered
from scheduler.domain.waitlist import FreedTime
from scheduler.domain.waitlist import PartOfDay
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import WaitlistEntry
from scheduler.domain.waitlist import Windows
from scheduler.domain.waitlist import batch
from scheduler.domain.waitlist import fits
from scheduler.domain.waitlist import hours_added
from scheduler.domain.waitlist import starts_within
from scheduler.domain.waitlist import why_not

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
VISIT_TYPES = ("evaluation", "injection", "therapy")
MINUTES = {"evaluation": 60, "injection": 45, "therapy": 45}


def provider(pid: int = 1, performs: frozenset[str] = frozenset(VISIT_TYPES)) -> Provider:
    return Provider(pid, f"Dr. {pid}", "pmr", (WorkBlock(0, time(8), time(17)),), performs=performs)


def entry(**overrides: object) -> WaitlistEntry:
    values: dict[str, object] = {
        "id": 1,
        "reference": "WL-TEST-0001",
        "patient_id": 1,
        "visit_type": "evaluation",
        "windows": Windows(),
        "created_at": NOW - timedelta(days=3),
        "expires_at": NOW + timedelta(days=87),
    }
    values.update(overrides)
    return WaitlistEntry(**values)  # type: ignore[arg-type]


def freed(day: date, hour: int, minute: int = 0, visit_type: str = "evaluation", pid: int = 1) -> FreedTime:
    start = clinic_instant(day, time(hour, minute))
    return FreedTime(visit_type, pid, start, start + timedelta(minutes=MINUTES[visit_type]))


MONDAY = date(2027, 3, 8)


# ----- the rules, one by one --------------------------------------------------------------------


def test_a_freed_time_inside_the_entrys_windows_with_a_capable_provider_fits() -> None:
    assert fits(entry(), freed(MONDAY, 9), provider(), timedelta(hours=1), ClinicCalendar(), NOW)


def test_an_entry_for_mornings_is_not_offered_an_afternoon_and_says_why() -> None:
    mornings = entry(windows=Windows(parts_of_day=frozenset({PartOfDay.MORNING})))
    assert why_not(mornings, freed(MONDAY, 13), provider(), timedelta(0), ClinicCalendar(), NOW) == (
        "not in a part of the day they gave"
    )
    assert fits(mornings, freed(MONDAY, 11), provider(), timedelta(0), ClinicCalendar(), NOW)


def test_an_injection_inside_its_72_hours_notice_is_never_offered() -> None:
    soon = freed(date(2027, 3, 3), 9, visit_type="injection")  # about 42 hours after NOW
    injection = entry(visit_type="injection")
    assert why_not(injection, soon, provider(), timedelta(hours=72), ClinicCalendar(), NOW) == (
        "inside the visit type's minimum notice"
    )


def test_a_provider_who_does_not_perform_the_visit_is_never_offered() -> None:
    therapist_only = provider(performs=frozenset({"therapy"}))
    assert not fits(entry(), freed(MONDAY, 9), therapist_only, timedelta(0), ClinicCalendar(), NOW)


def test_a_closure_refuses_the_time_even_when_everything_else_fits() -> None:
    closed = ClinicCalendar(closures=(Closure(MONDAY, "Staff training", time(8), time(12)),))
    assert why_not(entry(), freed(MONDAY, 9), provider(), timedelta(0), closed, NOW) == (
        "outside clinic hours or on a closure"
    )
    assert fits(entry(), freed(MONDAY, 13), provider(), timedelta(0), closed, NOW)


def test_an_entry_replacing_a_visit_is_only_offered_an_earlier_time() -> None:
    replacing = entry(replaces_appointment_id=7, replaces_starts_at=clinic_instant(MONDAY, time(10)))
    assert fits(replacing, freed(MONDAY, 9), provider(), timedelta(0), ClinicCalendar(), NOW)
    assert not fits(replacing, freed(MONDAY, 10), provider(), timedelta(0), ClinicCalendar(), NOW)


def test_an_expired_or_ended_entry_is_offered_nothing() -> None:
    expired = entry(expires_at=NOW - timedelta(seconds=1))
    assert why_not(expired, freed(MONDAY, 9), provider(), timedelta(0), ClinicCalendar(), NOW) == (
        "the entry is not waiting"
    )


# ----- who is offered first ------------------------------------------------------------------------


def test_a_batch_is_urgent_first_then_longest_waiting_and_at_most_three() -> None:
    waiting = [
        entry(id=n, patient_id=n, created_at=NOW - timedelta(days=10 - n), priority=Priority.ROUTINE)
        for n in range(1, 6)
    ]
    urgent = entry(id=9, patient_id=9, created_at=NOW - timedelta(hours=1), priority=Priority.URGENT)
    chosen = batch([*waiting, urgent])
    assert [e.id for e in chosen] == [9, 1, 2]


def test_nobody_is_offered_a_fourth_time_in_seven_days_and_a_patient_is_offered_once_per_batch() -> None:
    first = entry(id=1, patient_id=1, created_at=NOW - timedelta(days=9))
    same_patient = entry(id=2, patient_id=1, created_at=NOW - timedelta(days=8), visit_type="evaluation")
    second = entry(id=3, patient_id=2, created_at=NOW - timedelta(days=7))
    third = entry(id=4, patient_id=3, created_at=NOW - timedelta(days=1))
    chosen = batch([first, same_patient, second, third], size=3, offers_in_last_7_days={2: 3})
    assert [e.id for e in chosen] == [1, 4]


def test_an_offer_goes_by_text_only_when_the_text_can_arrive_before_it_expires() -> None:
    both = Reachable(email=True, sms=True)
    assert [m.channel for m in on_offered(both, NOW, text_in_time=True)] == [Channel.EMAIL, Channel.SMS]
    assert [m.channel for m in on_offered(both, NOW, text_in_time=False)] == [Channel.EMAIL]
    assert on_offered(Reachable(email=False, sms=False), NOW, text_in_time=True) == []


# ----- the property: never offered what any rule excludes -----------------------------------------

days = st.dates(date(2026, 10, 26), date(2027, 3, 20))  # both daylight-saving changes
weekdays_only = days.filter(lambda d: d.weekday() < 5)
# Mostly inside clinic hours, sometimes anywhere from 6:00 to 18:00 (the rules must refuse those).
quarters = st.integers(8 * 4, 16 * 4) | st.integers(8 * 4, 16 * 4) | st.integers(6 * 4, 18 * 4)


@st.composite
def freed_times(draw: st.DrawFn) -> FreedTime:
    code = draw(st.sampled_from(VISIT_TYPES))
    day = draw(weekdays_only | days)
    q = draw(quarters)
    start = clinic_instant(day, time(q // 4, (q % 4) * 15))
    return FreedTime(code, draw(st.integers(1, 3)), start, start + timedelta(minutes=MINUTES[code]))


@st.composite
def entries(draw: st.DrawFn, near: FreedTime) -> WaitlistEntry:
    """An entry that often, but not always, matches ``near`` in each respect (so both the offers
    and the refusals are exercised)."""
    day = near.start.astimezone(CLINIC_TZ).date()
    around = st.dates(day - timedelta(days=3), day + timedelta(days=3))
    earliest = draw(st.none() | st.none() | around | days)
    latest = draw(st.none() | st.none() | around | days)
    if earliest and latest and latest < earliest:
        earliest, latest = latest, earliest
    weekdays = draw(
        st.just(frozenset())
        | st.just(frozenset({day.weekday()}))
        | st.sets(st.integers(0, 4), max_size=4).map(frozenset)
    )
    parts = draw(
        st.just(frozenset())
        | st.just(frozenset({PartOfDay.of(near.start)}))
        | st.sets(st.sampled_from(list(PartOfDay)), max_size=2).map(frozenset)
    )
    replaces = draw(st.none() | st.none() | st.tuples(st.integers(1, 99), around))
    chosen = st.just(frozenset()) | st.just(frozenset({near.provider_id})) | st.sets(st.integers(1, 3), max_size=2)
    return entry(
        visit_type=draw(st.just(near.visit_type) | st.just(near.visit_type) | st.sampled_from(VISIT_TYPES)),
        provider_ids=frozenset(draw(chosen)),
        windows=Windows(earliest, latest, weekdays, parts),
        replaces_appointment_id=replaces[0] if replaces else None,
        replaces_starts_at=clinic_instant(replaces[1], time(12)) if replaces else None,
        expires_at=draw(st.sampled_from([NOW + timedelta(days=600)] * 3 + [NOW - timedelta(days=600)])),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[WaitlistEntry, FreedTime, Provider, datetime]:
    time_freed = draw(freed_times())
    performs = draw(st.just(frozenset(VISIT_TYPES)) | st.sets(st.sampled_from(VISIT_TYPES), max_size=3).map(frozenset))
    doctor = provider(draw(st.just(time_freed.provider_id) | st.integers(1, 3)), performs)
    now = time_freed.start - timedelta(minutes=draw(st.integers(-600, 150 * 60)))
    return draw(entries(time_freed)), time_freed, doctor, now


calendars = st.lists(
    st.builds(
        Closure,
        days,
        st.just("Closed"),
        st.none() | st.sampled_from([time(8), time(12)]),
        st.none() | st.sampled_from([time(12), time(15)]),
    ).filter(lambda c: c.starts is None or c.ends is None or c.starts < c.ends),
    max_size=3,
).map(lambda closures: ClinicCalendar(closures=tuple(closures)))


@settings(max_examples=500, deadline=None)
@given(cases(), st.sampled_from([timedelta(0), timedelta(hours=2), timedelta(hours=72)]), calendars)
def test_a_freed_time_is_never_offered_to_an_entry_any_rule_excludes(
    case: tuple[WaitlistEntry, FreedTime, Provider, datetime], notice: timedelta, calendar: ClinicCalendar
) -> None:
    waiting, time_freed, doctor, now = case
    if not fits(waiting, time_freed, doctor, notice, calendar, now):
        return
    local_start, local_end = time_freed.start.astimezone(CLINIC_TZ), time_freed.end.astimezone(CLINIC_TZ)
    day = local_start.date()
    w = waiting.windows
    # The entry: waiting, for this visit type.
    assert waiting.expires_at > now and waiting.visit_type == time_freed.visit_type
    # Provider choice and capability.
    assert doctor.id == time_freed.provider_id and time_freed.visit_type in doctor.performs
    assert not waiting.provider_ids or doctor.id in waiting.provider_ids
    # Windows.
    assert w.earliest is None or day >= w.earliest
    assert w.latest is None or day <= w.latest
    assert not w.weekdays or day.weekday() in w.weekdays
    assert not w.parts_of_day or ("morning" if local_start.hour < 12 else "afternoon") in w.parts_of_day
    # Only earlier than the visit it replaces.
    assert waiting.replaces_starts_at is None or time_freed.start < waiting.replaces_starts_at
    # Minimum notice.
    assert time_freed.start - now >= notice
    # Clinic hours and closures, in Central wall-clock time.
    assert day.weekday() < 5 and local_start.time() >= time(8) and local_end.date() == day
    assert local_end.time() <= time(17)
    for closure in calendar.closures:
        if closure.day == day:
            closed_from = closure.starts or time(8)
            closed_until = closure.ends or time(17)
            assert local_end.time() <= closed_from or local_start.time() >= closed_until


def test_a_freed_span_holds_visits_on_the_grid_inside_clinic_hours_and_around_closures() -> None:
    closed = ClinicCalendar(closures=(Closure(MONDAY, "Training", time(12), time(13)),))
    starts = starts_within(
        clinic_instant(MONDAY, time(10, 5)), clinic_instant(MONDAY + timedelta(days=1), time(9)), 60, closed
    )
    local = [s.astimezone(CLINIC_TZ) for s in starts]
    assert [(d.day, d.hour, d.minute) for d in local[:3]] == [(8, 10, 15), (8, 10, 30), (8, 10, 45)]
    assert all(not (12 <= d.hour < 13) and not (d.hour == 11 and d.minute > 0) for d in local if d.day == 8)
    assert (local[-1].day, local[-1].hour, local[-1].minute) == (9, 8, 0)  # Tuesday 8:00 ends at 9:00


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.sampled_from(list(Priority)), st.integers(0, 50)), min_size=0, max_size=12
    ),
    st.dictionaries(st.integers(1, 8), st.integers(0, 5)),
    st.integers(1, 5),
)
def test_a_batch_is_fair_whatever_is_waiting(
    waiting: list[tuple[int, Priority, int]], counts: dict[int, int], size: int
) -> None:
    entries = [
        entry(id=n, patient_id=patient, priority=priority, created_at=NOW - timedelta(days=days))
        for n, (patient, priority, days) in enumerate(waiting, start=1)
    ]
    chosen = batch(entries, size, counts)
    assert len(chosen) <= size
    assert len({e.patient_id for e in chosen}) == len(chosen)  # one entry per patient
    assert all(counts.get(e.patient_id, 0) < 3 for e in chosen)  # nobody over 3 offers in 7 days
    eligible = [e for e in entries if counts.get(e.patient_id, 0) < 3]
    for left_out in (e for e in eligible if e not in chosen and e.patient_id not in {c.patient_id for c in chosen}):
        # Anyone eligible left out ranks after everyone chosen: urgent first, then longest waiting.
        rank = (left_out.priority is not Priority.URGENT, left_out.created_at, left_out.id)
        assert len(chosen) == size and all(
            (c.priority is not Priority.URGENT, c.created_at, c.id) < rank for c in chosen
        )


def test_hours_extended_free_only_the_time_added_on_the_days_it_applies() -> None:
    before = Provider(1, "Dr. 1", "pmr", (WorkBlock(0, time(8), time(12)),), performs=frozenset(VISIT_TYPES))
    after = Provider(1, "Dr. 1", "pmr", (WorkBlock(0, time(8), time(15)), WorkBlock(2, time(9), time(10))))
    added = hours_added(before, after, MONDAY, days=7)
    assert [(a.start.astimezone(CLINIC_TZ).strftime("%a %H:%M"), a.minutes) for a in added] == [
        ("Mon 12:00", 180),
        ("Wed 09:00", 60),
    ]
