"""The FCC pace for texts: at most one a day and three a week to one phone number, over rolling
24-hour and 7-day windows. The rule alone (pure), then the worker against a real local HTTP server
answering like the SMS provider, on the suite's database: a text that would break the pace waits
in the queue for the time it may go; it is never dropped for it."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.messages import SMS_PACE
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import sms_pacing_delay
from scheduler.domain.messages import text_still_due
from scheduler.jobs import transports
from scheduler.services.outbox_delivery import claim_batch
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.test_sms_delivery import ANN
from tests.test_sms_delivery import provider as provider  # noqa: F401 - the real local SMS provider

DAY, WEEK = timedelta(hours=24), timedelta(days=7)
NOW = datetime(2027, 3, 10, 16, tzinfo=UTC)


# ----- the rule ---------------------------------------------------------------------------------------


def test_the_pace_is_one_text_a_day_and_three_a_week():
    assert SMS_PACE == ((1, DAY), (3, WEEK))


def test_a_number_never_texted_or_not_texted_for_a_day_may_get_a_text_now():
    assert sms_pacing_delay([], NOW) is None
    assert sms_pacing_delay([NOW - DAY], NOW) is None
    assert sms_pacing_delay([NOW - DAY - timedelta(days=3)], NOW) is None


def test_a_second_text_within_24_hours_waits_until_24_hours_after_the_first():
    assert sms_pacing_delay([NOW - timedelta(hours=1)], NOW) == NOW + timedelta(hours=23)
    assert sms_pacing_delay([NOW], NOW) == NOW + DAY
    assert sms_pacing_delay([NOW - DAY + timedelta(seconds=1)], NOW) == NOW + timedelta(seconds=1)


def test_a_fourth_text_within_seven_days_waits_for_the_oldest_of_the_three_to_leave_the_week():
    sent = [NOW - timedelta(days=6), NOW - timedelta(days=4), NOW - timedelta(days=2)]
    assert sms_pacing_delay(sent, NOW) == NOW + timedelta(days=1)
    assert sms_pacing_delay(list(reversed(sent)), NOW) == NOW + timedelta(days=1)  # any order
    older = [NOW - timedelta(days=8), *sent[1:]]  # one of them more than a week ago
    assert sms_pacing_delay(older, NOW) is None


def test_both_limits_apply_and_the_later_wins():
    sent = [NOW - timedelta(days=5), NOW - timedelta(days=3), NOW - timedelta(hours=2)]
    assert sms_pacing_delay(sent, NOW) == max(NOW - timedelta(days=5) + WEEK, NOW - timedelta(hours=2) + DAY)


def test_windows_are_counted_on_the_clock_across_a_daylight_saving_change():
    # 2027-03-14 is the spring change in Chicago: 24 hours after 10 a.m. CST is 11 a.m. CDT.
    first = datetime(2027, 3, 13, 16, tzinfo=UTC)  # Saturday 10:00 CST
    assert sms_pacing_delay([first], first + timedelta(hours=1)) == datetime(2027, 3, 14, 16, tzinfo=UTC)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        sms_pacing_delay([datetime(2027, 3, 10, 9)], NOW)
    with pytest.raises(ValueError):
        sms_pacing_delay([], datetime(2027, 3, 10, 9))


def test_a_text_is_no_longer_due_once_its_visit_has_begun_or_a_later_change_superseded_it():
    visit = NOW + DAY
    due = {"queued_version": 1, "version": 1, "booked": True, "starts_at": visit, "now": NOW}
    for kind in MessageKind:
        assert text_still_due(kind, **due)
        assert not text_still_due(kind, **{**due, "now": visit})  # the visit has begun
    assert not text_still_due(MessageKind.CONFIRMED, **{**due, "booked": False})  # cancelled since
    assert not text_still_due(MessageKind.RESCHEDULED, **{**due, "version": 2})  # moved again since
    assert text_still_due(MessageKind.RESCHEDULED, **{**due, "queued_version": 2, "version": 2})
    assert text_still_due(MessageKind.CANCELLED, **{**due, "booked": False})  # never superseded


# ----- the worker -------------------------------------------------------------------------------------


def book(client, start, **patient):
    patient.setdefault("sms_consent", True)
    response = client.post("/api/v1/appointments", json=booking_json(start, patient=patient_json(**patient)))
    assert response.status_code == 201, response.json
    return response.json


def texts(app, reference=None):
    """The text rows (about ``reference``'s visit, if given), oldest first."""
    with app.app_context():
        m, a = models.OutboxMessage, models.Appointment
        query = select(m).join(a, a.id == m.appointment_id).where(m.channel == "sms").order_by(m.id)
        if reference:
            query = query.where(a.reference == reference)
        found = db.session.execute(query).scalars().all()
        db.session.remove()
        return found


def morning(days_ahead: int = 1, hour: int = 10) -> datetime:
    """A Central wall-clock daytime hour, ``days_ahead`` days from today: after every booking
    the test makes (their messages are due), before any of their reminders."""
    return central(next_clinic_day(after_days=0) + timedelta(days=days_ahead), hour)


def test_a_second_text_the_same_day_waits_until_24_hours_after_the_first_and_then_goes(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    day = next_clinic_day(after_days=10)
    first = book(client, central(day, 9))
    t = morning()
    with app.app_context():
        assert drain_once(transports, t) == {"sent": 2}  # the email and the text
    second = book(client, central(day, 11))  # the same patient, the same number
    with app.app_context():
        assert drain_once(transports, t + timedelta(hours=1)) == {"sent": 1, "deferred": 1}  # email now, text later
    [waiting] = [r for r in texts(app, second["reference"]) if r.kind == "confirmed"]
    assert (waiting.status, waiting.send_after) == ("queued", t + DAY)
    assert waiting.attempts == 0 and waiting.last_error is None and waiting.locked_until is None
    with app.app_context():
        assert drain_once(transports, t + DAY - timedelta(minutes=1)) == {}
        assert drain_once(transports, t + DAY) == {"sent": 1}
    assert [text["To"] for text in provider.texts] == [ANN, ANN]
    assert first["reference"] in provider.texts[0]["Body"] and second["reference"] in provider.texts[1]["Body"]
    assert len(inbox.messages) == 2


def test_a_fourth_text_in_a_week_waits_until_the_first_is_a_week_old(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    day = next_clinic_day(after_days=16)  # far enough for every text to go before the visits
    for hour in (9, 10, 11, 12):
        book(client, central(day, hour))
    t = morning()
    with app.app_context():
        assert drain_once(transports, t) == {"sent": 5, "deferred": 3}  # 4 emails, 1 text
        assert drain_once(transports, t + DAY) == {"sent": 1, "deferred": 2}
        assert drain_once(transports, t + 2 * DAY) == {"sent": 1, "deferred": 1}
    [last] = [r for r in texts(app) if r.status == "queued" and r.kind == "confirmed"]
    assert last.send_after == t + WEEK  # not t + 3 days: three texts already went this week
    with app.app_context():
        assert drain_once(transports, t + 3 * DAY) == {}
        assert drain_once(transports, t + WEEK) == {"sent": 1}
    assert len(provider.texts) == 4 and len(inbox.messages) == 4
    assert {r.status for r in texts(app) if r.kind == "confirmed"} == {"sent"}


def test_a_text_left_sending_by_a_dead_worker_that_must_wait_goes_back_to_the_queue(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    day = next_clinic_day(after_days=10)
    book(client, central(day, 9))
    t = morning()
    with app.app_context():
        assert drain_once(transports, t) == {"sent": 2}
    second = book(client, central(day, 11))
    [text] = [r for r in texts(app, second["reference"]) if r.kind == "confirmed"]
    with app.app_context():  # a worker claimed it, then died: its lease ran out at t
        db.session.execute(
            update(models.OutboxMessage)
            .where(models.OutboxMessage.id == text.id)
            .values(status="sending", attempts=1, locked_until=t)
        )
        db.session.commit()
        assert drain_once(transports, t + timedelta(hours=1)) == {"sent": 1, "deferred": 1}  # its email; the text waits
        assert drain_once(transports, t + timedelta(hours=2)) == {}  # not taken again and again meanwhile
    [text] = [r for r in texts(app, second["reference"]) if r.kind == "confirmed"]
    assert (text.status, text.locked_until, text.send_after, text.attempts) == ("queued", None, t + DAY, 1)
    with app.app_context():
        assert drain_once(transports, t + DAY) == {"sent": 1}
    assert len(provider.texts) == 2


def test_family_members_sharing_a_number_share_its_pace(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    day = next_clinic_day(after_days=10)
    book(client, central(day, 9))
    book(client, central(day, 10), given_name="Bo", birth_date="2001-05-06", email="bo@example.com")
    t = morning()
    with app.app_context():
        assert drain_once(transports, t) == {"sent": 3, "deferred": 1}
        assert drain_once(transports, t + DAY) == {"sent": 1}
    assert [text["To"] for text in provider.texts] == [ANN, ANN]


def test_a_cancellation_text_keeps_the_pace_too_while_its_email_goes_at_once(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    booked = book(client, central(next_clinic_day(after_days=10), 9))
    t = morning()
    with app.app_context():
        assert drain_once(transports, t) == {"sent": 2}
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    assert client.post(f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        assert drain_once(transports, t + timedelta(hours=2)) == {"sent": 1, "deferred": 1}
        assert drain_once(transports, t + DAY) == {"sent": 1}
    assert "is cancelled" in provider.texts[1]["Body"]
    assert inbox.messages[1]["Subject"].startswith("Your visit is cancelled")


def test_a_text_held_back_until_after_its_visit_has_begun_is_withdrawn_not_sent_late(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    book(client, central(next_clinic_day(after_days=12), 9))
    soon_day = next_clinic_day(after_days=2)
    soon = book(client, central(soon_day, 9))
    t = central(soon_day - timedelta(days=1), 10)  # the other text goes then: 23 hours before this visit
    with app.app_context():
        drain_once(transports, t)
        # (Depending on the weekday, the soon visit's reminder may be due by now as well.)
        assert {r.status for r in texts(app, soon["reference"])} == {"queued"}
        assert {r.send_after for r in texts(app, soon["reference"])} == {t + DAY}
        drain_once(transports, t + DAY)  # its time came an hour after the visit began
    assert {r.status for r in texts(app, soon["reference"])} == {"withdrawn"}
    assert len(provider.texts) == 1 and soon["reference"] not in provider.texts[0]["Body"]


def test_a_confirmation_superseded_before_it_went_does_not_hold_back_the_text_that_replaces_it(
    app,
    client,
    inbox,
    provider,  # noqa: F811
    make_provider,
):
    make_provider("pmr")
    booked = book(client, central(next_clinic_day(after_days=10), 9))
    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    assert client.post(f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth).status_code == 200
    with app.app_context():
        assert drain_once(transports, morning()) == {"sent": 3, "withdrawn": 1}  # 2 emails, the cancellation text
    [text] = provider.texts
    assert "is cancelled" in text["Body"]


@pytest.mark.parametrize("repeat", range(3))
def test_two_workers_claiming_texts_to_one_number_at_the_same_moment_send_one(app, client, make_provider, repeat):
    """Each worker takes one text (SKIP LOCKED hands them different rows on PostgreSQL; SQLite
    runs the claims one after the other); the pace is checked under a lock, so the second sees
    the first one's claim and puts its text back in the queue."""
    make_provider("pmr")
    day = next_clinic_day(after_days=10)
    book(client, central(day, 9))
    book(client, central(day, 10))
    app.config.update(SMS_BASE_URL="http://127.0.0.1:9")  # the SMS channel on; nothing is sent here
    t = morning()
    start = threading.Barrier(2)
    claims, errors = [], []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait(5)
                claims.append(claim_batch(t, 1, ["sms"]))
                db.session.remove()
        except Exception as error:  # reported below: an exception in a thread would be lost
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    claimed = [row_id for c in claims for row_id in c.ids]
    deferred = {row_id: at for c in claims for row_id, at in c.deferred.items()}
    assert len(claimed) == 1 and len(deferred) == 1 and set(deferred.values()) == {t + DAY}
    rows = {r.id: r for r in texts(app) if r.kind == "confirmed"}
    assert rows[claimed[0]].status == "sending" and rows[claimed[0]].attempts == 1
    [waiting] = deferred
    assert (rows[waiting].status, rows[waiting].attempts, rows[waiting].send_after) == ("queued", 0, t + DAY)
