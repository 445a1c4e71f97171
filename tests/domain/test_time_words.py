"""How times and dates are written for people (domain.time_words): one style everywhere."""

from datetime import date
from datetime import time

from scheduler.domain import time_words
from scheduler.domain.clock import clinic_instant

WINTER = date(2026, 12, 7)  # a Monday on standard time
SUMMER = date(2027, 7, 15)  # a Thursday on daylight time


def test_a_time_of_day_is_the_clinic_s_twelve_hour_clock():
    assert [time_words.clock(t) for t in (time(8), time(8, 45), time(12), time(12, 15), time(17), time(0, 30))] == [
        "8 a.m.", "8:45 a.m.", "noon", "12:15 p.m.", "5 p.m.", "12:30 a.m.",
    ]  # fmt: skip
    assert time_words.clock(time(12, 0, 5), seconds=True) == "12:00:05 p.m."


def test_a_time_standing_alone_says_cst_or_cdt_and_a_time_in_a_day_does_not():
    assert time_words.clock_time(clinic_instant(WINTER, time(8, 45))) == "8:45 a.m. CST"
    assert time_words.clock_time(clinic_instant(SUMMER, time(8, 45))) == "8:45 a.m. CDT"
    assert time_words.time_of_day(clinic_instant(SUMMER, time(13, 30))) == "1:30 p.m."


def test_days_and_moments_long_and_short():
    moment = clinic_instant(WINTER, time(8, 45))
    assert time_words.long_day(WINTER) == time_words.long_day(moment) == "Monday, December 7, 2026"
    assert time_words.short_day(WINTER) == "Mon Dec 7, 2026"
    assert time_words.long_when(moment) == "Monday, December 7, 2026 at 8:45 a.m. CST"
    assert time_words.short_when(moment) == "Mon Dec 7, 2026 at 8:45 a.m. CST"
    late = clinic_instant(WINTER, time(23, 30))  # already the 8th in UTC: the Central date is shown
    assert time_words.short_when(late, seconds=True) == "Mon Dec 7, 2026 at 11:30:00 p.m. CST"


def test_a_birth_date_is_month_day_year_with_two_digits():
    assert time_words.birth_date(date(1970, 3, 7)) == "03/07/1970"
