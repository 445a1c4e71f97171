"""Free times grouped the way staff choose them (the staff time picker, the patients' picker): by
the Central date they start on, then morning (before noon Central) and afternoon (noon on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.domain.call_back import part_of_day
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import to_clinic
from scheduler.domain.day_parts import PartOfDay
from scheduler.domain.day_parts import by_day_and_part

MORNING, AFTERNOON = PartOfDay.MORNING, PartOfDay.AFTERNOON
TUESDAY = date(2027, 3, 9)


@dataclass(frozen=True)
class Offered:
    start: datetime
    provider: str = "Dr. Lin"


def at(day: date, hour: int, minute: int = 0, provider: str = "Dr. Lin") -> Offered:
    return Offered(clinic_instant(day, time(hour, minute)), provider)


def test_a_days_times_are_split_at_noon_central_morning_first_each_earliest_first():
    times = [at(TUESDAY, 13), at(TUESDAY, 9, 15), at(TUESDAY, 12), at(TUESDAY, 11, 45), at(TUESDAY, 8)]
    (day,) = by_day_and_part(times)
    assert day.day == TUESDAY and day.count == 5
    assert [(part, [to_clinic(t.start).time() for t in found]) for part, found in day.parts] == [
        (MORNING, [time(8), time(9, 15), time(11, 45)]),
        (AFTERNOON, [time(12), time(13)]),
    ]
    assert day.times == tuple(sorted(times, key=lambda t: t.start))


def test_days_come_earliest_first_and_a_part_without_times_is_left_out():
    wednesday = TUESDAY + timedelta(days=1)
    days = by_day_and_part([at(wednesday, 9), at(TUESDAY, 14), at(TUESDAY, 15)])
    assert [d.day for d in days] == [TUESDAY, wednesday]
    assert [part for part, _ in days[0].parts] == [AFTERNOON]
    assert [part for part, _ in days[1].parts] == [MORNING]
    assert by_day_and_part([]) == []


def test_the_day_and_the_part_are_central_ones_whatever_zone_the_start_is_written_in():
    # 17:30 UTC on a March Tuesday is 11:30 CST (a morning); 18:00 UTC is noon (an afternoon);
    # 03:00 UTC on the Wednesday is still Tuesday evening in Rochester.
    in_utc = [Offered(datetime(2027, 3, 9, 17, 30, tzinfo=UTC)), Offered(datetime(2027, 3, 9, 18, tzinfo=UTC))]
    in_tokyo = Offered(datetime(2027, 3, 10, 12, tzinfo=ZoneInfo("Asia/Tokyo")))  # 03:00 UTC, 21:00 CST
    (day,) = by_day_and_part([*in_utc, in_tokyo])
    assert day.day == TUESDAY
    assert [(part, len(found)) for part, found in day.parts] == [(MORNING, 1), (AFTERNOON, 2)]


def test_noon_on_a_daylight_saving_day_is_noon_on_the_clinics_clock():
    spring_forward = date(2027, 3, 14)  # clocks go from 2 a.m. CST to 3 a.m. CDT
    (day,) = by_day_and_part([at(spring_forward, 11, 59), at(spring_forward, 12)])
    assert [part for part, _ in day.parts] == [MORNING, AFTERNOON]


def test_two_providers_free_at_the_same_start_both_stay_in_the_order_given():
    lin, ortiz = at(TUESDAY, 9, provider="Dr. Lin"), at(TUESDAY, 9, provider="Dr. Ortiz")
    (day,) = by_day_and_part([lin, ortiz])
    assert day.times == (lin, ortiz)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="naive"):
        by_day_and_part([Offered(datetime(2027, 3, 9, 9))])


@given(st.lists(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
                             timezones=st.just(UTC)), max_size=40))  # fmt: skip
def test_every_time_is_kept_once_on_its_own_central_day_and_part(starts):
    times = [Offered(s) for s in starts]
    days = by_day_and_part(times)
    grouped = [t for d in days for t in d.times]
    assert sorted(grouped, key=lambda t: t.start) == sorted(times, key=lambda t: t.start)
    assert [d.day for d in days] == sorted({to_clinic(s).date() for s in starts})
    for d in days:
        for part, found in d.parts:
            assert found and all(to_clinic(t.start).date() == d.day and PartOfDay.of(t.start) is part for t in found)
            assert list(found) == sorted(found, key=lambda t: t.start)
            # The request queue's preferences mean the same by morning and afternoon.
            assert {part_of_day(t.start) for t in found} == {part.value}
