"""The call-back worklist's rules (domain.call_back): what the patient said suits them, by when
a routine request is called back, the contact log's "call to confirm" task, and what the audit
says of who was told."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from scheduler.domain.call_back import ContactEntry
from scheduler.domain.call_back import ContactOutcome
from scheduler.domain.call_back import Preferences
from scheduler.domain.call_back import confirmation_pending
from scheduler.domain.call_back import notified_words
from scheduler.domain.call_back import routine_call_back_by
from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import Closure

MONDAY = date(2027, 3, 8)  # the week daylight saving begins on Sunday 2027-03-14 follows
TUESDAY, THURSDAY, SATURDAY = MONDAY + timedelta(1), MONDAY + timedelta(3), MONDAY + timedelta(5)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clinic_instant(day, time(hour, minute))


def test_tuesday_or_thursday_mornings_fit_only_those_mornings():
    wanted = Preferences.from_stored({"days": ["tuesday", "thursday"], "parts_of_day": ["morning"], "notes": ""})
    assert wanted.narrows and wanted.words == "Tuesday or Thursday, mornings"
    assert wanted.fits(at(TUESDAY, 8)) and wanted.fits(at(THURSDAY, 11, 45))
    assert not wanted.fits(at(TUESDAY, 12)) and not wanted.fits(at(MONDAY, 9)) and not wanted.fits(at(THURSDAY, 13))


def test_no_preference_or_every_choice_rules_nothing_out():
    for stored in (None, {}, {"days": list(("monday", "tuesday", "wednesday", "thursday", "friday"))},
                   {"parts_of_day": ["morning", "afternoon"]}):  # fmt: skip
        preferences = Preferences.from_stored(stored)
        assert not preferences.narrows and preferences.fits(at(MONDAY, 16))


def test_stored_preferences_are_read_tolerantly():
    read = Preferences.from_stored({"days": ["funday", 3, "friday"], "parts_of_day": ["evening"], "notes": 7})
    assert read == Preferences(frozenset({4}), frozenset(), "")
    assert Preferences.from_stored({"notes": "after 3 please"}).notes == "after 3 please"
    three = Preferences.from_stored({"days": ["wednesday", "monday", "friday"], "parts_of_day": ["afternoon"]})
    assert three.words == "Monday, Wednesday or Friday, afternoons"


def test_a_routine_request_is_due_by_the_close_of_the_second_clinic_day_after_it_came():
    calendar = ClinicCalendar()
    assert routine_call_back_by(calendar, at(MONDAY, 10)) == at(MONDAY + timedelta(2), 17)
    assert routine_call_back_by(calendar, at(THURSDAY, 16, 59)) == at(MONDAY + timedelta(7), 17)  # Monday next
    assert routine_call_back_by(calendar, at(SATURDAY, 9)) == at(MONDAY + timedelta(8), 17)  # Tuesday, across DST


def test_closures_are_skipped_and_a_short_day_closes_early():
    calendar = ClinicCalendar(
        closures=(Closure(TUESDAY, "Staff training"), Closure(THURSDAY, "Closes at noon", starts=time(12)))
    )
    assert routine_call_back_by(calendar, at(MONDAY, 10)) == at(THURSDAY, 12)


def entry(minutes: int, outcome: ContactOutcome | None = None, task: bool = False) -> ContactEntry:
    return ContactEntry(at(MONDAY, 9) + timedelta(minutes=minutes), "Sam Scheduler", outcome, task)


def test_a_call_to_confirm_task_stays_open_until_a_call_confirms_the_visit():
    assert not confirmation_pending([entry(0, ContactOutcome.NO_ANSWER)])
    task = entry(0, task=True)
    assert confirmation_pending([task])
    assert confirmation_pending([task, entry(5, ContactOutcome.VOICEMAIL)])
    assert not confirmation_pending([task, entry(5, ContactOutcome.VOICEMAIL), entry(50, ContactOutcome.CONFIRMED)])
    # A confirmation logged before a later placement's task does not close it.
    assert confirmation_pending([entry(0, ContactOutcome.CONFIRMED), entry(5, task=True)])
    assert task.words.startswith("Placed with no email and no text consent")


def test_the_audit_says_who_was_told_and_how_or_that_nobody_was():
    assert notified_words({"email"}) == "confirmation queued by email"
    assert notified_words({"sms", "email"}) == "confirmation queued by email and text message"
    assert notified_words({"sms"}) == "confirmation queued by text message"
    assert notified_words(set()).startswith("nobody notified")
