"""What each change to a visit must send, and when."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

from scheduler.domain.clock import clinic_instant
from scheduler.domain.messages import Channel
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import Reachable
from scheduler.domain.messages import on_booked
from scheduler.domain.messages import on_cancelled
from scheduler.domain.messages import on_request_received
from scheduler.domain.messages import reminder_time

NOW = datetime(2027, 3, 1, 15, tzinfo=UTC)
BOTH = Reachable(email=True, sms=True)


def test_a_booking_sends_a_confirmation_now_and_a_reminder_two_days_before_at_ten_central():
    visit = clinic_instant(date(2027, 3, 10), time(9))
    planned = {(p.kind, p.channel): p.send_after for p in on_booked(visit, BOTH, NOW)}
    assert planned == {
        (MessageKind.CONFIRMED, Channel.EMAIL): NOW,
        (MessageKind.CONFIRMED, Channel.SMS): NOW,
        (MessageKind.REMINDER, Channel.EMAIL): clinic_instant(date(2027, 3, 8), time(10)),
        (MessageKind.REMINDER, Channel.SMS): clinic_instant(date(2027, 3, 8), time(10)),
    }


def test_the_reminder_keeps_its_local_hour_across_the_daylight_saving_change():
    # A Tuesday visit after the spring change; its reminder falls on the Sunday of the change.
    assert reminder_time(clinic_instant(date(2027, 3, 16), time(9))) == datetime(2027, 3, 14, 15, tzinfo=UTC)
    assert reminder_time(clinic_instant(date(2026, 11, 3), time(9))) == datetime(2026, 11, 1, 16, tzinfo=UTC)


def test_a_visit_booked_too_late_for_its_reminder_gets_only_the_confirmation():
    tomorrow = clinic_instant(date(2027, 3, 2), time(9))
    assert {p.kind for p in on_booked(tomorrow, BOTH, NOW)} == {MessageKind.CONFIRMED}


def test_text_messages_go_only_to_patients_who_consented():
    email_only = Reachable(email=True, sms=False)
    assert {p.channel for p in on_booked(clinic_instant(date(2027, 3, 10), time(9)), email_only, NOW)} == {
        Channel.EMAIL
    }
    assert on_cancelled(Reachable(email=False, sms=False), NOW) == []
    assert [p.channel for p in on_request_received(Reachable(email=False, sms=True), NOW)] == [Channel.SMS]
