"""The rules a requested visit time must pass, and the words used to refuse it."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

import pytest

from scheduler.domain.bookings import check_visit_time
from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.clock import clinic_instant
from scheduler.domain.errors import ClinicClosed
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotOnGrid
from scheduler.domain.errors import OutsideClinicHours
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.hours import Closure
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import intersect
from scheduler.domain.intervals import merge
from scheduler.domain.intervals import subtract

EVALUATION = next(v for v in DEFAULT_VISIT_TYPES if v.code == "evaluation")  # 60 minutes
FOLLOW_UP = next(v for v in DEFAULT_VISIT_TYPES if v.code == "follow-up")  # 30 minutes
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)  # before every time below, and within two years of each
MONDAY = date(2027, 3, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clinic_instant(day, time(hour, minute))


def check(start: datetime, visit=EVALUATION, closures=()):
    calendar = ClinicCalendar(ClinicHours(), tuple(closures))
    return check_visit_time(start, visit, calendar, now=LONG_AGO, not_before=LONG_AGO)


def test_a_sixty_minute_visit_cannot_start_at_half_past_four():
    with pytest.raises(OutsideClinicHours, match="60-minute visit starting at 4:30 p.m. CST would end after"):
        check(at(MONDAY, 16, 30))


def test_a_thirty_minute_visit_may_start_at_half_past_four_and_end_at_five():
    assert check(at(MONDAY, 16, 30), FOLLOW_UP) == Interval(at(MONDAY, 16, 30), at(MONDAY, 17))


def test_half_past_seven_is_before_the_clinic_opens():
    with pytest.raises(OutsideClinicHours, match="7:30 a.m. CST is before the clinic opens"):
        check(at(MONDAY, 7, 30))


def test_saturday_is_refused_with_the_days_the_clinic_is_open():
    with pytest.raises(OutsideClinicHours, match="closed on Saturdays. It is open Monday to Friday, 8 a.m. to 5 p.m."):
        check(at(date(2027, 3, 13), 9))


def test_a_holiday_is_refused_by_its_name_and_date():
    thanksgiving = Closure(date(2026, 11, 26), "Thanksgiving Day")
    with pytest.raises(ClinicClosed, match="closed all day for Thanksgiving Day on Thursday, November 26, 2026"):
        check(at(date(2026, 11, 26), 10), closures=[thanksgiving])


def test_a_part_day_closure_from_noon_refuses_only_the_afternoon():
    eve = Closure(date(2026, 12, 24), "Christmas Eve", starts=time(12))
    assert check(at(date(2026, 12, 24), 11), closures=[eve])  # 11:00-12:00 ends as the closure starts
    with pytest.raises(ClinicClosed, match="closes at noon for Christmas Eve"):
        check(at(date(2026, 12, 24), 11, 30), closures=[eve])


def test_a_start_off_the_quarter_hour_grid_is_refused():
    with pytest.raises(NotOnGrid, match="every 15 minutes"):
        check(at(MONDAY, 9, 5))


def test_a_time_in_the_past_is_refused_as_input_to_fix():
    with pytest.raises(InvalidInput) as refused:
        check_visit_time(at(MONDAY, 9), EVALUATION, ClinicCalendar(), now=at(MONDAY, 12), not_before=at(MONDAY, 13))
    assert "already passed" in refused.value.fields["start"]


def test_a_time_inside_the_booking_notice_is_refused_as_too_soon_with_the_earliest_time():
    with pytest.raises(InvalidInput) as refused:
        check_visit_time(
            at(MONDAY, 12), EVALUATION, ClinicCalendar(), now=at(MONDAY, 11, 30), not_before=at(MONDAY, 12, 30)
        )
    assert refused.value.fields["start"].startswith(
        "That time is too soon to book online: the earliest is 12:30 p.m. CST on Monday, March 8, 2027"
    )


@pytest.mark.parametrize("day", [date(2026, 10, 30), date(2026, 11, 2), date(2027, 3, 12), date(2027, 3, 15)])
def test_the_weeks_daylight_saving_changes_are_ordinary_eight_to_five_weeks(day):
    assert check(at(day, 8)).start == at(day, 8)
    assert check(at(day, 16)).end == at(day, 17)
    with pytest.raises(OutsideClinicHours):
        check(at(day, 7, 45))


def test_naive_datetimes_are_refused_outright():
    with pytest.raises(ValueError, match="naive"):
        check(datetime(2027, 3, 8, 9))


def test_interval_arithmetic_treats_intervals_as_half_open():
    nine, ten, eleven, noon = (at(MONDAY, h) for h in (9, 10, 11, 12))
    assert merge([Interval(nine, ten), Interval(ten, eleven)]) == [Interval(nine, eleven)]
    assert subtract([Interval(nine, noon)], [Interval(ten, eleven)]) == [Interval(nine, ten), Interval(eleven, noon)]
    assert intersect([Interval(nine, eleven)], [Interval(ten, noon)]) == [Interval(ten, eleven)]
    assert not Interval(nine, ten).overlaps(Interval(ten, eleven))
