"""After cancelling: "Book a new time" on the cancelled visit's page starts the journey again with
what the patient asked for and their details kept, so they only choose a time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text

ANSWERS = Intake("evaluation", False, "trauma", True)
PATIENT = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com", True)


def booked_visit(app, provider_id, intake=ANSWERS):
    with app.app_context():
        booked = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(next_clinic_day(after_days=5), 9),
            patient=PATIENT,
            intake=intake,
            channel="web",
            provider_id=provider_id,
        )
        return f"/manage/{booked.appointment.reference}/{booked.manage_token}"


def appointments(app):
    with app.app_context():
        found = db.session.execute(select(models.Appointment).order_by(models.Appointment.id)).scalars().all()
        return [(a.status, a.patient_id, a.answers, a.starts_at) for a in found]


def test_book_again_keeps_the_answers_and_details_so_only_a_time_is_chosen(app, web, make_provider):
    provider = make_provider("pmr")
    manage = booked_visit(app, provider)
    assert "Book a new time" not in page_text(web.get(manage))  # only once it is cancelled
    web.post(manage + "/cancel", data={"reason": "cannot-attend"})
    cancelled = page_text(web.get(manage))
    assert "Your visit is cancelled" in cancelled and "Book a new time" in cancelled
    again = web.post(manage + "/book-again")
    assert again.status_code == 302 and again.headers["Location"] == "/request/time"
    assert web.get("/request/time").status_code == 200  # straight to the times: no question asked again
    # The earlier answers and details are there if the patient goes back to them.
    assert 'value="trauma" checked' in page_text(web.get("/request/cause"))
    details = page_text(web.get("/request/details"))
    assert 'value="Ann"' in details and 'value="1970"' in details and "ann.lee@example.com" in details
    new_start = central(next_clinic_day(after_days=8), 10)
    chosen = web.post("/request/time", data={"slot": f"{new_start.isoformat()}|{provider}"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/request/check"
    check = page_text(web.get("/request/check"))
    assert "Ann Lee" in check and "March 3, 1970" in check
    assert web.post("/request/check").headers["Location"] == "/request/confirmation"
    (old, new) = appointments(app)
    assert old[0] == "cancelled" and new[0] == "booked" and new[3] == new_start
    assert new[1] == old[1]  # the same patient on file
    assert new[2] == ANSWERS  # the same answers


def test_book_again_is_only_for_a_cancelled_visit_and_a_good_link(app, web, make_provider):
    provider = make_provider("pmr")
    manage = booked_visit(app, provider)
    still_booked = web.post(manage + "/book-again")
    assert still_booked.headers["Location"] == manage
    assert "journey" not in (web.get_cookie("session").value if web.get_cookie("session") else "")
    bad = web.post(manage[:-3] + "abc/book-again")
    assert bad.status_code == 404 and "This link does not work" in page_text(bad)


def test_a_visit_booked_without_answers_asks_the_questions_it_does_not_know(app, web, make_provider):
    provider = make_provider("pmr")
    manage = booked_visit(app, provider)
    with app.app_context():  # as a visit placed by staff without the questions is kept
        db.session.execute(db.update(models.Appointment).values(intake=None))
        db.session.commit()
    web.post(manage + "/cancel", data={"reason": "better"})
    again = web.post(manage + "/book-again")
    assert again.headers["Location"] == "/request/time"
    # The time page sends the patient to the first question it cannot answer for them.
    assert web.get("/request/time").headers["Location"] == "/request/seen-before"
