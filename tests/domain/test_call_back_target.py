"""How long an urgent request has waited against its call-back target, in staff's words; which
answers made it urgent; and which times a provider may keep for urgent patients."""

from datetime import date
from datetime import time
from datetime import timedelta

import pytest

from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.routing import Intake
from scheduler.domain.urgent import call_back_clock
from scheduler.domain.urgent import describe_urgent_blocks
from scheduler.domain.urgent import duration_words
from scheduler.domain.urgent import urgent_answers
from scheduler.domain.urgent import urgent_blocks_refusal

MONDAY = date(2027, 3, 8)  # an ordinary Monday, CST (daylight saving begins the Sunday after)
TUESDAY = MONDAY + timedelta(days=1)


def at(hour: int, minute: int = 0, day: date = MONDAY):
    return clinic_instant(day, time(hour, minute))


def test_a_request_inside_its_target_says_how_long_it_waited_and_how_long_is_left():
    clock = call_back_clock(received=at(8, 15), due=at(10, 15), now=at(8, 50))
    assert not clock.overdue
    assert clock.waited == timedelta(minutes=35) and clock.left == timedelta(hours=1, minutes=25)
    assert clock.words == "Waiting 35 min · call back by 10:15 a.m. CST (in 1 h 25 min)"


def test_a_request_past_its_target_is_overdue_by_the_minutes_since():
    clock = call_back_clock(received=at(8, 15), due=at(10, 15), now=at(10, 35))
    assert clock.overdue
    assert clock.target == "Overdue by 20 min (call back by 10:15 a.m. CST)"
    assert clock.waiting == "Waiting 2 h 20 min"


def test_at_the_target_itself_the_request_is_due_not_yet_overdue():
    clock = call_back_clock(received=at(8), due=at(10), now=at(10))
    assert not clock.overdue and clock.target == "call back by 10 a.m. CST (in under 1 min)"
    assert call_back_clock(at(8), at(10), at(10) + timedelta(seconds=1)).overdue


def test_a_target_on_another_day_names_the_day():
    clock = call_back_clock(received=at(16, 30), due=at(9, 30, TUESDAY), now=at(16, 45))
    assert clock.target == "call back by Tue Mar 9, 9:30 a.m. CST (in 16 h 45 min)"


def test_a_request_kept_without_a_target_shows_only_its_wait():
    clock = call_back_clock(received=at(8), due=None, now=at(9, 5))
    assert not clock.overdue and clock.target == "" and clock.words == "Waiting 1 h 5 min"


def test_a_clock_running_behind_the_request_never_shows_a_negative_wait():
    assert call_back_clock(received=at(9), due=at(11), now=at(8, 59)).waiting == "Waiting under 1 min"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (timedelta(seconds=59), "under 1 min"),
        (timedelta(minutes=1, seconds=59), "1 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(days=1, minutes=30), "1 day"),
        (timedelta(days=3, hours=4, minutes=59), "3 days 4 h"),
    ],
)
def test_spans_are_read_at_a_glance_in_whole_minutes_rounded_down(amount, words):
    assert duration_words(amount) == words


def test_the_urgent_answers_are_the_red_flags_in_words_and_an_infection():
    intake = Intake("unsure", False, "infection", False, frozenset({"fever", "cannot-bear-weight"}))
    assert urgent_answers(intake) == ("Sudden inability to bear weight", "Fever", "Cause: infection")
    assert urgent_answers(Intake("unsure", True, "trauma", True)) == ()
    assert urgent_answers(None) == ()


# ----- which times a provider may keep for urgent patients -------------------------------------------

HOURS = (WorkBlock(1, time(8), time(12)), WorkBlock(1, time(13), time(17)))


def test_a_physician_may_keep_an_hour_inside_their_hours():
    assert urgent_blocks_refusal(True, HOURS, [WorkBlock(1, time(13), time(14))]) is None
    assert urgent_blocks_refusal(False, HOURS, []) is None  # nothing kept: nothing to refuse


def test_only_a_physician_keeps_times_for_urgent_patients():
    refusal = urgent_blocks_refusal(False, HOURS, [WorkBlock(1, time(13), time(14))])
    assert refusal and refusal.startswith("Only physicians keep times for urgent patients")


@pytest.mark.parametrize(
    ("kept", "says"),
    [
        (WorkBlock(1, time(11), time(13)), "Tuesday 11:00-13:00 is kept for urgent patients but is not inside their "
         "Tuesday hours (08:00-12:00, 13:00-17:00)"),
        (WorkBlock(2, time(9), time(10)), "they do not work on Wednesday"),
    ],
)  # fmt: skip
def test_a_kept_time_outside_the_providers_hours_that_day_is_refused_saying_which(kept, says):
    refusal = urgent_blocks_refusal(True, HOURS, [kept])
    assert refusal and says in refusal


def test_kept_times_are_described_by_weekday_in_order():
    kept = [WorkBlock(3, time(13), time(14)), WorkBlock(1, time(9), time(9, 30))]
    assert describe_urgent_blocks(kept) == "Tue 09:00-09:30, Thu 13:00-14:00"
    assert describe_urgent_blocks([]) == ""
