"""Urgent callers on the staff side: the phone console offers physicians only, in the times they
keep for urgent patients if need be, and the visit keeps the caller's red flags."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text
from tests.public.test_urgent_patients import keep_for_urgent


def test_the_phone_console_books_an_urgent_caller_with_a_physician_in_a_kept_time_and_keeps_the_red_flags(
    app, client, make_provider, signed_in
):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("evaluation", "therapy"))
    day = next_clinic_day(after_days=2)
    with app.app_context():
        # Dr. Lin is busy all day but for the hour kept for urgent patients.
        provider = db.session.get(models.Provider, lin)
        provider.hours = [models.ProviderHours(weekday=day.weekday(), starts=time(13), ends=time(14))]
        db.session.commit()
    keep_for_urgent(app, lin, day, time(13), time(14))
    signed_in(client, "phone")
    caller = {"given_name": "Cara", "family_name": "Diaz", "birth_date_text": "3/27/1970", "phone": "507-555-0177",
              "requested": "unsure", "seen_before": "no", "cause": "trauma", "referred": "no",
              "red_flags": "cannot-bear-weight"}  # fmt: skip
    page = page_text(client.post("/staff/phone/book", data={**caller, "action": "find"}))
    assert "Red flags: Sudden inability to bear weight" in page
    slots = re.findall(r'name="slot" value="([^"]+)"', page)
    assert slots and all(s.endswith(f"|{lin}") for s in slots)  # never the therapist
    assert slots[0].startswith(central(day, 13).isoformat())
    read_back = client.post("/staff/phone/book", data={**caller, "action": "readback", "slot": slots[0]})
    fingerprint = re.search(r'name="read_back" value="([^"]+)"', page_text(read_back)).group(1)
    booked = client.post(
        "/staff/phone/book", data={**caller, "action": "book", "slot": slots[0], "read_back": fingerprint}
    )
    assert booked.status_code == 303, page_text(booked)
    with app.app_context():
        (visit,) = db.session.execute(select(models.Appointment)).scalars()
        assert (visit.provider_id, visit.starts_at, visit.urgent) == (lin, central(day, 13), True)
        assert visit.answers.red_flags == {"cannot-bear-weight"} and visit.channel == "phone"
