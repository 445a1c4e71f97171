"""The waitlist's patient pages: "I'd take an earlier time" on the visit page, the entry's own page
(renew, leave) and the claim link, which shows the time on opening and takes it only on the button.

Real database and the real services: the offer is made by the worker's pass, as in production."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.waitlist import EntryStatus
from scheduler.services import booking
from scheduler.services import waitlist_offers
from scheduler.services.availability import next_free_slot
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.public.present import when
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import errors
from tests.public.conftest import page_text
from tests.test_waitlist import book
from tests.test_waitlist import entry_status
from tests.test_waitlist import join
from tests.test_waitlist import token_of


def notice(response) -> str:
    found = re.search(r'<div class="notice" role="status"><p>(.*?)</p>', page_text(response), re.S)
    return found.group(1) if found else ""


def visits(app) -> list[models.Appointment]:
    with app.app_context():
        return list(db.session.execute(select(models.Appointment).order_by(models.Appointment.id)).scalars())


def test_a_patient_asks_for_an_earlier_time_and_takes_one_from_the_claim_link(web, app, make_provider):
    make_provider("pmr")
    early, late = next_clinic_day(after_days=5), next_clinic_day(after_days=12)
    with app.app_context():
        blocker = book(1, central(early, 9)).appointment
        mine = book(2, central(late, 14))
    manage = f"/manage/{mine.appointment.reference}/{mine.manage_token}"
    assert "I would take an earlier time" in page_text(web.get(manage))

    # Join: the days and parts of the day that suit; the visit stays booked.
    page = web.get(manage + "/earlier")
    assert page.status_code == 200 and "It stays booked" in page_text(page)
    # Earlier times are free right now: the page says so (the waitlist only offers times as they free).
    with app.app_context():
        free_now = next_free_slot("evaluation", utc_now()).start
    assert free_now < mine.appointment.starts_at
    assert f"An earlier time is free now: {when(free_now)}." in html.unescape(page_text(page))
    assert f"{manage}/reschedule" in page_text(page)
    joined = web.post(manage + "/earlier", data={"days": [early.strftime("%A").lower()], "parts_of_day": ["morning"]})
    assert joined.status_code == 302 and "/waitlist/WL-" in joined.headers["Location"]
    entry_page = web.get(joined.headers["Location"])
    assert notice(entry_page).startswith("You are on the waitlist. Your visit stays booked")
    text = page_text(entry_page)
    assert early.strftime("%A") in text and "mornings" in text and mine.appointment.reference in text
    reference = re.search(r"/waitlist/(WL-[A-Z0-9-]+)/", joined.headers["Location"]).group(1)

    # The morning of the earlier day frees: the worker offers it to this entry.
    with app.app_context():
        booking.cancel_visit(blocker.id, "patient asked", notify=False)
        assert waitlist_offers.run_pass() == {"offered": 1}
        token = token_of(reference)
    claim = web.get(f"/o/{token}")
    assert claim.status_code == 200 and "Move my visit to this time" in page_text(claim)
    assert [v.starts_at for v in visits(app) if v.status == "booked"] == [central(late, 14)]  # opening took nothing

    taken = web.post(f"/o/{token}")
    assert taken.status_code == 302 and taken.headers["Location"].startswith(f"/manage/{mine.appointment.reference}/")
    assert notice(web.get(taken.headers["Location"])).startswith("This time is yours:")
    booked = [v for v in visits(app) if v.status == "booked"]
    assert [(v.reference, v.starts_at) for v in booked] == [(mine.appointment.reference, central(early, 9))]
    # The link opened again says the time is theirs (not "taken"), and leads to the same visit.
    again = web.get(f"/o/{token}")
    assert "This time is yours" in page_text(again) and "This time was taken" not in page_text(again)
    assert web.post(f"/o/{token}").headers["Location"].startswith(f"/manage/{mine.appointment.reference}/")
    with app.app_context():
        assert entry_status(reference) is EntryStatus.BOOKED


def test_a_second_claimant_is_told_the_time_was_taken_and_an_ended_offer_says_so(web, app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = book(1, central(day, 9)).appointment
        first, second = join(2), join(3)
        booking.cancel_visit(visit.id, "patient asked", notify=False)
        assert waitlist_offers.run_pass() == {"offered": 1}
        tokens = token_of(first.view.reference), token_of(second.view.reference)
    assert web.post(f"/o/{tokens[0]}").status_code == 302
    late = web.post(f"/o/{tokens[1]}")
    assert late.status_code == 409 and "This time was taken" in page_text(late)
    assert "You keep your place on the waitlist" in page_text(late)
    assert "Book this time" not in page_text(web.get(f"/o/{tokens[1]}"))
    assert web.get("/o/AAAAAAAAAAAA").status_code == 404


def test_the_entry_page_renews_and_leaves_and_a_bad_link_finds_nothing(web, app, make_provider):
    make_provider("pmr")
    with app.app_context():
        joined = join(1)
    page = f"/waitlist/{joined.view.reference}/{joined.manage_token}"
    assert "Waiting for a time" in page_text(web.get(page))
    renewed = web.post(page + "/renew")
    assert renewed.status_code == 302 and notice(web.get(page)).startswith("You stay on the waitlist until")

    assert "Leave the waitlist?" in page_text(web.get(page + "/leave"))
    assert web.post(page + "/leave").status_code == 302
    after = web.get(page)
    assert notice(after).startswith("You have left the waitlist") and "You left the waitlist" in page_text(after)
    with app.app_context():
        assert entry_status(joined.view.reference) is EntryStatus.LEFT
    assert web.get(f"/waitlist/{joined.view.reference}/not-the-token").status_code == 404


def test_asking_for_an_earlier_time_without_a_way_to_send_offers_says_what_to_do(web, app, make_provider):
    make_provider("pmr")
    with app.app_context():
        mine = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(next_clinic_day(after_days=9), 10),
            patient=PatientDetails("Phone", "Only", date(1960, 1, 1), "+15075550199", None),
            intake=Intake("evaluation", False, "trauma", False),
            channel="phone",
        )
    refused = web.post(f"/manage/{mine.appointment.reference}/{mine.manage_token}/earlier", data={})
    assert refused.status_code == 422
    assert any("Give an email address, or agree to texts" in e for e in [*errors(refused), page_text(refused)])


def test_a_new_patient_joins_the_waitlist_from_the_time_picker_instead_of_choosing_a_time(web, app, make_provider):
    make_provider("pmr")
    answer_questions(web)
    assert "Join the waitlist" in page_text(web.get("/request/time"))
    assert web.get("/request/waitlist").status_code == 200
    chosen = web.post("/request/waitlist", data={"days": ["tuesday", "thursday"], "parts_of_day": ["morning"]})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/request/details")
    assert web.post("/request/details", data=DETAILS).status_code == 302
    check = page_text(web.get("/request/check"))
    assert "Check your answers before joining the waitlist" in check and "Tuesday, Thursday; mornings" in check
    joined = web.post("/request/check")
    assert joined.status_code == 302 and "/waitlist/WL-" in joined.headers["Location"]
    assert notice(web.get(joined.headers["Location"])).startswith("You are on the waitlist.")
    with app.app_context():
        entry = db.session.execute(select(models.WaitlistEntry)).scalar_one()
        assert (entry.weekdays, entry.parts_of_day, entry.visit_type.code) == ([1, 3], ["morning"], "evaluation")
        assert entry.replaces_appointment_id is None and not visits(app)


def test_joining_the_waitlist_with_no_way_to_send_offers_asks_for_one_and_keeps_the_answers(web, app, make_provider):
    make_provider("pmr")
    answer_questions(web)
    web.post("/request/waitlist", data={})
    phone_only = {**DETAILS, "email": ""}
    phone_only.pop("sms_consent")
    web.post("/request/details", data=phone_only)
    refused = web.post("/request/check")
    assert refused.status_code == 422
    assert "Give an email address, or agree to texts" in page_text(refused)
    assert "Any day and time the clinic is open" in page_text(refused)  # nothing typed was lost
    with app.app_context():
        assert db.session.execute(select(models.WaitlistEntry)).first() is None
