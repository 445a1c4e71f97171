"""The patient's journeys through the pages, end to end on the server (test client)."""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime

from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import next_clinic_day
from tests.public.conftest import DETAILS
from tests.public.conftest import answer_questions
from tests.public.conftest import book_first_time
from tests.public.conftest import errors
from tests.public.conftest import first_day_page
from tests.public.conftest import offered
from tests.public.conftest import page_text
from tests.public.conftest import title

# The clinic's number as patient pages give it: a tel: link, kept on one line by its class.
PHONE_LINK = re.compile(r'<a class="phone" href="tel:\+15075381280">507-538-1280</a>')


def rows(model):
    return db.session.execute(select(model)).scalars().all()


def test_a_new_patient_books_an_evaluation_and_gets_a_reference_and_a_manage_link(web, app, make_provider):
    make_provider("pmr", name="Dr. Lin")
    route = answer_questions(web)
    assert "New patients begin with a comprehensive evaluation in Physical Medicine" in page_text(route)
    slot = book_first_time(web)
    check = web.get("/request/check")
    assert "Ann Lee" in page_text(check) and "March 3, 1970" in page_text(check)
    done = web.post("/request/check")
    assert done.headers["Location"].endswith("/request/confirmation")
    confirmation = web.get("/request/confirmation")
    text = page_text(confirmation)
    reference = re.search(r'class="reference">(SIJ-[A-Z0-9-]+)<', text).group(1)
    with app.app_context():
        (appointment,) = rows(models.Appointment)
        assert appointment.reference == reference and appointment.channel == "web"
        assert appointment.starts_at.isoformat() == slot.split("|")[0]
        assert not rows(models.Hold)  # the hold was used up by the booking
        kinds = sorted((m.kind, m.channel) for m in rows(models.OutboxMessage))
        assert ("confirmed", "email") in kinds and ("confirmed", "sms") in kinds
    assert "Dr. Lin" in text and "(Central time)" in text and ("CST" in text or "CDT" in text)
    assert re.search(r'href="/manage/' + reference + r'/[^"]+"', text)
    # Nothing the patient typed ever appears in an address.
    for response in (done,):
        assert "Ann" not in response.headers["Location"] and "1970" not in response.headers["Location"]


def test_a_returning_patient_asking_for_an_injection_sends_a_request_with_preferred_times(web, app, make_provider):
    make_provider("radiology-pain")
    route = answer_questions(web, requested="injection", seen_before="yes", cause="postpartum", referred="yes")
    assert "Tell us which days and times suit you" in page_text(route)
    assert web.get("/request/time").headers["Location"].endswith("/request/preferences")
    refused = web.post("/request/preferences", data={})
    assert refused.status_code == 422 and "Select at least one day that suits you" in errors(refused)
    web.post("/request/preferences", data={"days": ["tuesday", "thursday"], "parts_of_day": ["morning"]})
    web.post("/request/details", data=DETAILS)
    assert "Send request" in page_text(web.get("/request/check"))
    web.post("/request/check")
    sent = web.get("/request/confirmation")
    assert "Your request has been sent" in page_text(sent)
    with app.app_context():
        (request,) = rows(models.VisitRequest)
        assert request.routed_visit_type.code == "injection" and request.routed_specialty.code == "radiology-pain"
        assert request.preferences["days"] == ["tuesday", "thursday"] and request.channel == "web"
        assert request.reference in page_text(sent)
        assert not rows(models.Appointment)


def test_an_infection_routes_to_an_urgent_evaluation_with_the_call_now_notice(web, make_provider, clinic_open):
    make_provider("pmr")
    route = answer_questions(web, cause="infection")
    call_now = re.compile("Call us now on " + PHONE_LINK.pattern)
    assert call_now.search(page_text(route))
    flagged = answer_questions(web, cause="trauma", red_flags=["fever"])
    assert call_now.search(page_text(flagged))


def test_a_held_time_taken_anyway_sends_the_patient_back_kindly_with_every_answer_kept(web, app, make_provider):
    make_provider("pmr")
    slot = book_first_time(web)
    with app.app_context():
        # The hold ran out while the patient was away, and someone else booked the time.
        db.session.execute(models.Hold.__table__.update().values(expires_at=models.Hold.created_at))
        db.session.commit()
        start = models.UTCDateTime().process_result_value(
            __import__("datetime").datetime.fromisoformat(slot.split("|")[0]), None
        )
        booking.book_appointment(
            visit_type_code="evaluation",
            start=start,
            patient=PatientDetails("Bob", "Ray", date(1960, 1, 1), "+15075550199", None),
            intake=Intake("evaluation", False, "trauma", False),
            channel="phone",
        )
    lost = web.post("/request/check")
    assert lost.headers["Location"].endswith("/request/time")
    assert "Sorry, the time you chose was taken by someone else" in page_text(web.get("/request/time"))
    again = web.get(f"/request/time?day={clinic_today(datetime.fromisoformat(slot.split('|')[0]))}")
    assert slot not in offered(again)
    web.post("/request/time", data={"slot": offered(again)[0]})
    # The details were kept: the next step is checking the answers, not typing them again.
    assert web.get("/request/details").status_code == 200
    check = web.get("/request/check")
    assert check.status_code == 200 and "Ann Lee" in page_text(check)
    web.post("/request/check")
    with app.app_context():
        assert len(rows(models.Appointment)) == 2


def test_a_patient_reschedules_and_then_cancels_through_the_manage_link(web, app, make_provider):
    make_provider("pmr")
    book_first_time(web)
    web.post("/request/check")
    manage = re.search(r'href="(/manage/[^/"]+/[^/"]+)"', page_text(web.get("/request/confirmation"))).group(1)
    # A week or more ahead, so the new time's reminder (two days before) is still to come.
    later = next_clinic_day(after_days=7).isoformat()
    choices = offered(first_day_page(web, manage + f"/reschedule?from={later}"))
    new_slot = choices[5]
    nothing_chosen = web.post(manage + "/reschedule", data={})
    assert nothing_chosen.status_code == 422 and errors(nothing_chosen) == ["Select a new time for your visit"]
    assert web.post(manage + "/reschedule", data={"slot": new_slot}).headers["Location"].endswith("/reschedule/check")
    assert "Move your visit to the new time?" in page_text(web.get(manage + "/reschedule/check"))
    web.post(manage + "/reschedule/check")
    moved = web.get(manage)
    assert "Your visit has moved" in page_text(moved)
    with app.app_context():
        (appointment,) = rows(models.Appointment)
        assert appointment.starts_at.isoformat() == new_slot.split("|")[0] and appointment.version == 2
        assert {m.kind for m in rows(models.OutboxMessage) if m.version == 2} == {"rescheduled", "reminder"}
    refused = web.post(manage + "/cancel", data={})
    assert refused.status_code == 422 and errors(refused) == ["Select why you are cancelling"]
    web.post(manage + "/cancel", data={"reason": "better", "details": "Much improved"})
    cancelled = page_text(web.get(manage))
    assert "Your visit is cancelled" in cancelled and "Change the time" not in cancelled
    with app.app_context():
        (appointment,) = rows(models.Appointment)
        assert appointment.status == "cancelled" and appointment.cancel_reason == "I am feeling better. Much improved"


def test_a_bad_or_tampered_manage_link_shows_a_clear_page_with_the_phone_number(web, make_provider):
    make_provider("pmr")
    book_first_time(web)
    web.post("/request/check")
    manage = re.search(r'href="(/manage/[^/"]+/[^/"]+)"', page_text(web.get("/request/confirmation"))).group(1)
    for bad in (manage[:-3] + "xyz", "/manage/SIJ-AAAA-BBBB/nonsense", manage + "x/cancel"):
        response = web.get(bad)
        assert response.status_code == 404
        assert "This link does not work" in page_text(response) and "507-538-1280" in page_text(response)


def test_every_patient_page_that_gives_the_clinic_number_makes_it_a_link_that_does_not_wrap(
    web, make_provider, clinic_open
):
    make_provider("pmr")
    pages = {
        "start": web.get("/"),
        "urgent route": _urgent_route(web),
        "bad link": web.get("/manage/SIJ-AAAA-BBBB/nonsense"),
        "not found": web.get("/no-such-page"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        # Every mention is the link; at least the header's and the page's own.
        assert html.count("507-538-1280") == len(PHONE_LINK.findall(html)), name
        assert len(PHONE_LINK.findall(html)) >= 2, name  # the header's and the page's own
    with web.get("/static/css/public.css") as served:
        stylesheet = served.get_data(as_text=True)
    assert re.search(r"\.phone\s*\{\s*white-space:\s*nowrap", stylesheet)


def _urgent_route(web):
    answer_questions(web, red_flags=("fever",))
    response = web.get("/request/route")
    assert "Call us now on" in page_text(response)
    return response


def test_skipping_ahead_sends_the_patient_to_the_first_unanswered_question(web, make_provider):
    make_provider("pmr")
    assert web.get("/request/details").headers["Location"].endswith("/request/what")
    web.post("/request/what", data={"requested": "unsure"})
    assert web.get("/request/check").headers["Location"].endswith("/request/seen-before")


def test_every_page_has_the_help_line_in_the_same_place(web, make_provider):
    make_provider("pmr")
    for url in ("/", "/request/what", "/manage/SIJ-AAAA-BBBB/x"):
        header = re.search(r'<header class="site-header">.*?</header>', page_text(web.get(url)), re.S).group(0)
        assert "Need help? Call" in header and "507-538-1280" in header
    assert title(web.get("/")).startswith("Request or book a visit")
