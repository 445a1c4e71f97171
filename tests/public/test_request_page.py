"""The request page: a request's state as its patient sees it through the link in its emails
(waiting with its preferences, placed with the visit's time, declined with the reason, withdrawn),
where a waiting request's preferred days and times can be changed or the request withdrawn."""

from __future__ import annotations

import re

from sqlalchemy import select

from scheduler.services import staff_visits
from scheduler.services.references import manage_token
from scheduler.services.references import request_token
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.public.conftest import errors
from tests.public.conftest import page_text
from tests.public.conftest import title

SCHEDULER = staff_visits.Actor(staff_id=1, role="scheduler")


def ask(client, **reason):
    body = {
        "patient": patient_json(),
        "reason": {"requested": "injection", "cause": "trauma", "seen_before": True, "referred": True, **reason},
        "preferences": {"days": ["tuesday", "thursday"], "parts_of_day": ["morning"], "notes": "Not before 10"},
    }
    response = client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.json
    return response.json["reference"]


def request_row(app):
    with app.app_context():
        row = db.session.execute(select(models.VisitRequest)).scalar_one()
        db.session.expunge(row)
        return row


def link(app, reference):
    row = request_row(app)
    with app.test_request_context():
        return f"/requests/{reference}/{request_token(reference, row.manage_nonce)}"


def audit_actions(app):
    with app.app_context():
        found = db.session.execute(
            select(models.AuditEvent).where(models.AuditEvent.record_type == "visit_request")
        ).scalars()
        return [(e.action, e.actor_kind, e.detail) for e in found]


def test_a_waiting_request_shows_its_preferences_and_ways_to_change_or_withdraw(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    page = web.get(link(app, reference))
    text = page_text(page)
    assert page.status_code == 200 and title(page).startswith("Your request")
    assert "Waiting for a scheduler" in text and reference in text
    assert "Tuesday, Thursday; mornings" in text and "Not before 10" in text
    assert "Change the days and times" in text and "Withdraw this request" in text
    # Nothing of the patient's in the address.
    assert "Ann" not in link(app, reference) and "1970" not in link(app, reference)


def test_the_patient_changes_the_preferred_days_and_times_revalidated_and_audited(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    page = link(app, reference)
    form = web.get(page + "/change")
    assert form.status_code == 200 and 'value="tuesday" checked' in page_text(form)
    refused = web.post(page + "/change", data={"notes": "Any day \x01"})
    assert refused.status_code == 422
    assert errors(refused)[:2] == ["Select at least one day that suits you", "Select mornings, afternoons or both"]
    saved = web.post(page + "/change", data={"days": ["friday"], "parts_of_day": ["afternoon"], "notes": "After 2"})
    assert saved.status_code == 302 and saved.headers["Location"] == page
    shown = page_text(web.get(page))
    assert "Your preferred days and times are changed" in shown and "Friday; afternoons" in shown
    assert request_row(app).preferences == {"days": ["friday"], "parts_of_day": ["afternoon"], "notes": "After 2"}
    assert audit_actions(app) == [("request.preferences", "patient", reference)]


def test_withdrawing_asks_first_then_takes_the_request_off_the_schedulers_queue(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    page = link(app, reference)
    with app.app_context():
        assert [r.reference for r in staff_visits.open_requests("radiology-pain")] == [reference]
    confirm = web.get(page + "/withdraw")
    assert confirm.status_code == 200 and f"Withdraw your request {reference}?" in page_text(confirm)
    assert request_row(app).status == "open"  # asking is not doing
    done = web.post(page + "/withdraw")
    assert done.status_code == 302 and done.headers["Location"] == page
    text = page_text(web.get(page))
    assert "Your request is withdrawn" in text and "Withdrawn" in text and "Withdraw this request" not in text
    assert request_row(app).status == "withdrawn"
    with app.app_context():
        assert staff_visits.open_requests("radiology-pain") == []
    assert audit_actions(app) == [("request.withdraw", "patient", reference)]
    # A withdrawn request can no longer be changed or withdrawn: back to its page.
    assert web.get(page + "/change").headers["Location"] == page
    assert web.post(page + "/withdraw").headers["Location"] == page
    assert web.post(page + "/change", data={"days": ["friday"], "parts_of_day": ["morning"]}).status_code == 302
    assert request_row(app).preferences["days"] == ["tuesday", "thursday"]


def test_a_placed_request_shows_the_visit_time_and_a_link_to_its_page(app, web, make_provider, make_room):
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy")
    reference = ask(web)
    start = central(next_clinic_day(after_days=5), 10)
    with app.app_context():
        booked = staff_visits.place_request(request_row(app).id, start, actor=SCHEDULER)
        visit_reference, nonce = booked.appointment.reference, booked.appointment.manage_nonce
    text = page_text(web.get(link(app, reference)))
    assert "A visit is booked" in text and "Dr. Ortiz" in text and "(Central time)" in text
    with app.test_request_context():
        assert f'href="/manage/{visit_reference}/{manage_token(visit_reference, nonce)}"' in text
    assert "Withdraw this request" not in text


def test_a_declined_request_says_why_in_the_patients_words(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    with app.app_context():
        staff_visits.decline_request(request_row(app).id, "referred-elsewhere", actor=SCHEDULER)
    text = page_text(web.get(link(app, reference)))
    assert "Declined" in text and "We referred you to another service, which will contact you." in text
    assert "Change the days and times" not in text


def test_a_bad_or_expired_link_shows_the_bad_manage_link_page(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    good = link(app, reference)
    bad_manage = web.get("/manage/SIJ-AAAA-BBBB/nonsense")
    for wrong in (good[:-3] + "abc", f"/requests/REQ-ZZZZ-ZZZZ/{good.rsplit('/', 1)[1]}", good + "x"):
        response = web.get(wrong)
        assert response.status_code == 404 and page_text(response) == page_text(bad_manage)
    # A request's token is no manage token, and the other way round.
    row = request_row(app)
    with app.test_request_context():
        as_manage = manage_token(reference, row.manage_nonce or "")
    assert web.get(f"/requests/{reference}/{as_manage}").status_code == 404
    assert web.post(good[:-3] + "abc/withdraw").status_code == 404
    assert request_row(app).status == "open"


def test_the_request_sent_page_and_the_email_promise_the_link(app, web, make_provider):
    make_provider("radiology-pain")
    reference = ask(web)
    assert re.fullmatch(r"REQ-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    assert request_row(app).manage_nonce  # every new request can be signed for


def test_an_expired_request_link_shows_the_bad_link_page(app, web, make_provider, monkeypatch):
    import time

    import itsdangerous.timed

    make_provider("radiology-pain")
    reference = ask(web)
    row = request_row(app)
    days = app.config["MANAGE_TOKEN_MAX_AGE_DAYS"]
    signed_at = time.time() - (days + 1) * 86400
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: signed_at)
    with app.test_request_context():
        old = f"/requests/{reference}/{request_token(reference, row.manage_nonce)}"
    monkeypatch.undo()
    response = web.get(old)
    assert response.status_code == 404 and "This link does not work" in page_text(response)
