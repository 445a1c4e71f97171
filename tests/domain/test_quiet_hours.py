"""Texts never go out at night in the patient's time zone; replies are read as STOP or HELP."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.domain.messages import QUIET_ENDS
from scheduler.domain.messages import QUIET_STARTS
from scheduler.domain.messages import InboundKeyword
from scheduler.domain.messages import classify_inbound
from scheduler.domain.messages import earliest_sms_time
from scheduler.domain.messages import sms_length

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = [CHICAGO, NEW_YORK, ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Honolulu"), ZoneInfo("America/Phoenix")]


def at(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(("hour", "minute"), [(8, 0), (12, 30), (19, 59)])
def test_daytime_sends_at_once(hour, minute):
    now = at(CHICAGO, date(2027, 6, 15), hour, minute)
    assert earliest_sms_time(now, CHICAGO) == now


@pytest.mark.parametrize(
    ("hour", "minute", "morning"),
    [
        (20, 0, date(2027, 6, 16)),
        (23, 0, date(2027, 6, 16)),
        (0, 0, date(2027, 6, 15)),
        (3, 15, date(2027, 6, 15)),
        (7, 59, date(2027, 6, 15)),
    ],
)
def test_night_is_held_until_eight_in_the_morning(hour, minute, morning):
    assert earliest_sms_time(at(CHICAGO, date(2027, 6, 15), hour, minute), CHICAGO) == at(CHICAGO, morning, 8)


def test_the_patients_own_zone_decides_not_the_clinics():
    seven_thirty_pm_central = at(CHICAGO, date(2027, 6, 15), 19, 30)  # 8:30 p.m. in New York
    assert earliest_sms_time(seven_thirty_pm_central, CHICAGO) == seven_thirty_pm_central
    assert earliest_sms_time(seven_thirty_pm_central, NEW_YORK) == at(NEW_YORK, date(2027, 6, 16), 8)


@pytest.mark.parametrize("night_before", [date(2027, 3, 13), date(2027, 11, 6)])  # spring forward, fall back
def test_a_daylight_saving_night_still_ends_at_eight_on_the_wall_clock(night_before):
    morning = earliest_sms_time(at(CHICAGO, night_before, 22), CHICAGO)
    local = morning.astimezone(CHICAGO)
    assert (local.date(), local.time()) == (night_before + timedelta(days=1), time(8))


@given(
    moment=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_the_answer_is_the_first_daytime_instant_at_or_after_now(moment, zone):
    allowed = earliest_sms_time(moment, zone)
    local = allowed.astimezone(zone).time()
    assert allowed >= moment and QUIET_ENDS <= local < QUIET_STARTS
    assert allowed - moment <= timedelta(hours=13)  # never skips a morning (12 h of night, 1 h of DST)
    if allowed > moment:
        assert local == QUIET_ENDS  # held texts go at 8 sharp, not later


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError):
        earliest_sms_time(datetime(2027, 6, 15, 23), CHICAGO)


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "revoke", "opt out", "OPT  OUT"],
)
def test_stop_words_are_read_whole_and_in_any_case(text):
    assert classify_inbound(text) is InboundKeyword.STOP


@pytest.mark.parametrize("text", ["please don't stop", "stop it now", "", "yes", "cancel my appointment"])
def test_a_sentence_containing_a_stop_word_is_not_an_opt_out(text):
    assert classify_inbound(text) is InboundKeyword.OTHER


def test_help_is_help():
    assert classify_inbound(" help ") is InboundKeyword.HELP


def test_sms_length_counts_gsm_escapes_twice_and_refuses_what_would_force_ucs2():
    assert sms_length("Ref SIJ-ABCD-EFGH.") == 18
    assert sms_length("a[b]") == 6
    with pytest.raises(ValueError):
        sms_length("Don\u2019t")
