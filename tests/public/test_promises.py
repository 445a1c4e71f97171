"""The patient pages promise only the messages the visit's (or request's) message log keeps.

Each valid combination of email, phone and consent to texts books a visit on the day itself (too
soon for a reminder) and two weeks ahead; the confirmation page's "What happens next" is then read
against the outbox rows the booking wrote. The clock is fixed at 8:05 a.m. Central on a clinic
day, so "the day itself" always has times left.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from scheduler.domain.bookings import describe_day
from scheduler.domain.messages import MessageKind
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import offered
from tests.public.conftest import offered_days
from tests.public.conftest import page_text

# (email, phone, consent to texts): every valid one (consent needs a phone, and the details page
# asks for a phone or an email so the clinic can reach the patient at all).
CONTACTS = [
    (True, True, True),
    (True, True, False),
    (True, False, False),
    (False, True, True),
    (False, True, False),
]


def details(email: bool, phone: bool, texts: bool) -> dict[str, str]:
    given = dict(DETAILS)
    given["email"] = DETAILS["email"] if email else ""
    given["phone"] = DETAILS["phone"] if phone else ""
    if not texts:
        given.pop("sms_consent")
    return given


def what_happens_next(response) -> str:
    text = page_text(response)
    section = text[text.index("What happens next") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def message_log(app, **about) -> set[tuple[str, str]]:
    with app.app_context():
        found = db.session.execute(select(models.OutboxMessage).filter_by(**about)).scalars().all()
        return {(m.kind, m.channel) for m in found}


def reminder_day(app, appointment_id: int) -> str:
    with app.app_context():
        reminder = (
            db.session.execute(
                select(models.OutboxMessage).filter_by(appointment_id=appointment_id, kind=MessageKind.REMINDER.value)
            )
            .scalars()
            .first()
        )
        return describe_day(reminder.send_after)


@pytest.mark.parametrize("same_day", [True, False], ids=["same-day", "two-weeks-ahead"])
@pytest.mark.parametrize(("email", "phone", "texts"), CONTACTS, ids=lambda v: "yes" if v else "no")
def test_the_booking_confirmation_promises_only_what_the_message_log_keeps(
    web, app, make_provider, email, phone, texts, same_day
):
    make_provider("pmr")
    day = next_clinic_day(after_days=3)
    with time_machine.travel(central(day, 8, 5), tick=True):
        answer_questions(web)
        if same_day:
            chosen = offered_days(web.get("/request/time"))[0]
            assert chosen == day.isoformat()
        else:
            chosen = next_clinic_day(after_days=17).isoformat()
        slot = offered(web.get(f"/request/time?day={chosen}"))[0]
        assert web.post("/request/time", data={"slot": slot}).status_code == 302
        assert web.post("/request/details", data=details(email, phone, texts)).status_code == 302
        assert web.post("/request/check").status_code == 302
        page = web.get("/request/confirmation")
        # Add to calendar: the visit as a calendar file, whatever the patient gave (fetched while
        # the clock is still that day's: the link's signature is dated then).
        link = re.search(r'href="([^"]+/visit\.ics)"', page_text(page)).group(1)
        calendar_file = web.get(link)
    said = what_happens_next(page)
    with app.app_context():
        appointment = db.session.execute(select(models.Appointment)).scalar_one()
    log = message_log(app, appointment_id=appointment.id)

    # What the booking queued: a confirmation per channel given, a reminder only when there is time for it.
    channels = {c for c, given in (("email", email), ("sms", texts)) if given}
    expected = {("confirmed", c) for c in channels} | {("reminder", c) for c in channels if not same_day}
    assert log == expected

    assert ("to your email address, with a calendar invitation" in said) == (("confirmed", "email") in log)
    assert ("text message to your phone" in said) == (("confirmed", "sms") in log)
    assert ("We will remind you" in said) == any(kind == "reminder" for kind, _ in log)
    if not same_day and channels:
        ways = " and ".join({"email": "email", "sms": "text message"}[c] for c in ("email", "sms") if c in channels)
        assert f"We will remind you by {ways} on {reminder_day(app, appointment.id)}." in said
    assert ("this confirmation is your reminder" in said) == (same_day and bool(channels))
    assert ("We will not send you a confirmation or a reminder" in said) == (not log)
    assert ("in your confirmation email" in said) == email
    assert calendar_file.mimetype == "text/calendar" and f"UID:{appointment.reference}@" in calendar_file.get_data(
        as_text=True
    )


@pytest.mark.parametrize(("email", "phone", "texts"), CONTACTS, ids=lambda v: "yes" if v else "no")
def test_the_request_page_promises_only_what_the_message_log_keeps(web, app, make_provider, email, phone, texts):
    make_provider("radiology-pain")
    answer_questions(web, requested="injection", seen_before="yes", cause="postpartum", referred="yes")
    web.post("/request/preferences", data={"days": ["tuesday"], "parts_of_day": ["morning"]})
    assert web.post("/request/details", data=details(email, phone, texts)).status_code == 302
    assert web.post("/request/check").status_code == 302
    said = what_happens_next(web.get("/request/confirmation"))
    with app.app_context():
        request_id = db.session.execute(select(models.VisitRequest.id)).scalar_one()
    log = message_log(app, request_id=request_id)

    assert log == {("request-received", c) for c, given in (("email", email), ("sms", texts)) if given}
    assert ("copy of your request to your email address" in said) == email
    assert ("a text message to your phone" in said or "a text message to say" in said) == texts
    assert ("we will send you a confirmation" in said) == bool(log)
    assert ("The scheduler will tell you the time on the phone" in said) == (not log)


@pytest.mark.parametrize(("email", "texts"), [(True, True), (True, False), (False, True), (False, False)])
def test_the_cancel_notice_names_only_the_messages_queued(web, app, make_provider, email, texts):
    make_provider("pmr")
    patient = PatientDetails(
        "Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com" if email else None, texts
    )
    with app.app_context():
        booked = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(next_clinic_day(after_days=4), 10),
            patient=patient,
            intake=Intake("evaluation", False, "trauma", False),
            channel="phone",
        )
    manage = f"/manage/{booked.appointment.reference}/{booked.manage_token}"
    assert web.post(manage + "/cancel", data={"reason": "better"}).status_code == 302
    notice = re.search(r'<div class="notice" role="status"><p>(.*?)</p>', page_text(web.get(manage))).group(1)
    log = message_log(app, appointment_id=booked.appointment.id, kind="cancelled")
    ways = [w for w, given in (("email", email), ("text message", texts)) if given]
    assert {channel for _, channel in log} == {c for c, given in (("email", email), ("sms", texts)) if given}
    if ways:
        assert notice == f"Your visit is cancelled. We are sending you a confirmation by {' and '.join(ways)}."
    else:
        assert notice.startswith("Your visit is cancelled. We have not sent you a message about it")
