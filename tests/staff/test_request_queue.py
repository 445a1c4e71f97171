"""The request queue as a call-back worklist (issue 14): contact details and birth date on each
request (each view audited, ids only), times that suit the stated preferences with "show all
times" and a day picker and nothing pre-selected, counts on every specialty tab, the wait against
a target with overdue ones said in words, a contact log that phone staff add to, and placing for a
patient nobody can message: the audit says so truthfully and a "call to confirm" task appears."""

from __future__ import annotations

import itertools
import re
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import request_queue
from scheduler.services import requests as visit_requests
from scheduler.services.staff_visits import Actor
from scheduler.store import models
from scheduler.store.engine import db
from tests.public.conftest import page_text
from tests.staff.conftest import audit_events

ROUTINE = Intake("evaluation", True, "trauma", True)
URGENT = Intake("unsure", False, "infection", True, frozenset({"fever"}))
ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
# No email and no consent to texts: nobody can be sent a confirmation.
ROSA = PatientDetails("Rosa", "Quist", date(1958, 11, 4), "+15075550133", None)
TUE_THU_MORNINGS = {"days": ["tuesday", "thursday"], "parts_of_day": ["morning"], "notes": "after school drop-off"}


def queued(
    app, patient=ANN, *, intake=ROUTINE, preferences=None, waited: timedelta | None = None
) -> models.VisitRequest:
    with app.app_context():
        item = visit_requests.submit_request(
            intake=intake, patient=patient, preferences=preferences or {}, channel="web"
        ).request
        if waited is not None:
            row = db.session.get(models.VisitRequest, item.id)
            row.created_at = utc_now() - waited
            db.session.commit()
        return db.session.get(models.VisitRequest, item.id)


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{element_id}".*?</section>', page, re.S)
    assert found, element_id
    return found.group(0)


def offered(html: str) -> list[str]:
    return re.findall(r'name="slot" value="([^"|]+)\|', html)


def test_each_request_shows_phone_email_and_birth_date_and_the_view_is_audited_with_ids_only(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    ann, rosa = queued(app), queued(app, ROSA)
    staff = signed_in(client, "scheduler")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    shown = section(page, f"request-{ann.id}")
    assert "(507) 555-0101" in shown and "ann@example.com" in shown and "02/03/1970" in shown
    assert "none on file" in section(page, f"request-{rosa.id}")  # Rosa has no email
    (view,) = audit_events(app, "queue.view")
    assert view.actor_id == staff.id and view.record_id == "pmr" and view.patient_id is None
    assert view.detail == f"requests {ann.id},{rosa.id}"
    assert not re.search(r"Lee|Quist|555|@|1970", view.detail)


def test_suggested_times_suit_the_stated_preference_and_none_is_chosen_for_the_scheduler(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    item = queued(app, preferences=TUE_THU_MORNINGS)
    signed_in(client, "scheduler")
    shown = section(page_text(client.get("/staff/queue?specialty=pmr")), f"request-{item.id}")
    assert "Tuesday or Thursday, mornings" in shown and "after school drop-off" in shown
    times = offered(shown)
    assert len(times) == 6
    for start in times:
        local = to_clinic(datetime.fromisoformat(start))
        assert local.weekday() in (1, 3) and local.hour < 12, local
    assert "checked" not in shown
    # Spread for a caller to choose from: two a day at most, an hour or more apart.
    local = sorted(to_clinic(datetime.fromisoformat(s)) for s in times)
    days = {t.date() for t in local}
    assert len(days) == 3 and all(sum(t.date() == d for t in local) == 2 for d in days)
    assert all(b - a >= timedelta(hours=1) for a, b in itertools.pairwise(local) if a.date() == b.date())


def test_show_all_times_and_the_day_picker_reach_times_outside_the_preference(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app, preferences=TUE_THU_MORNINGS)
    signed_in(client, "scheduler")
    everything = section(
        page_text(client.get(f"/staff/queue?specialty=pmr&times={item.id}&all=1")), f"request-{item.id}"
    )
    days = {to_clinic(datetime.fromisoformat(s)).date() for s in offered(everything)}
    assert len(days) == request_queue.ALL_TIMES_DAYS and "(not a time they gave)" in everything
    assert "Show only times that suit them" in everything
    monday = min(d for d in days) + timedelta(days=(7 - min(days).weekday()) % 7 or 7)
    one_day = section(
        page_text(client.get(f"/staff/queue?specialty=pmr&times={item.id}&day={monday.isoformat()}")),
        f"request-{item.id}",
    )
    starts = [to_clinic(datetime.fromisoformat(s)) for s in offered(one_day)]
    assert starts and {s.date() for s in starts} == {monday}
    assert any(s.hour >= 12 for s in starts)  # afternoons too: the day asked for, whole
    assert f"Free times on {monday.strftime('%A, %B')} {monday.day}" in one_day


def test_placing_without_choosing_a_time_is_a_form_error_and_places_nothing(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app, preferences=TUE_THU_MORNINGS)
    signed_in(client, "scheduler")
    refused = client.post(f"/staff/queue/{item.id}/place", data={})
    assert refused.status_code == 422
    page = page_text(refused)
    assert f'href="#times-{item.id}">Choose a time to place the request: none is chosen for you.' in page
    assert f'aria-describedby="times-{item.id}-error"' in page and "<title>Error: " in page
    with app.app_context():
        assert db.session.execute(select(models.Appointment)).first() is None


def test_every_specialty_tab_counts_its_open_requests_and_the_urgent_apart(app, client, signed_in, make_provider):
    make_provider("pmr")
    queued(app)
    queued(app, ROSA)
    queued(app, PatientDetails("Cara", "Diaz", date(1970, 3, 27), "+15075550177", None), intake=URGENT)
    signed_in(client, "scheduler")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    tabs = re.search(r'<nav aria-label="Specialties">.*?</nav>', page, re.S).group(0)
    assert re.search(r"Physical Medicine[^<]*<span class=\"tab-count\">\(3 open, 1 urgent\)</span>", tabs)
    assert '<span class="tab-count">(0 open)</span>' in tabs  # the other teams, none waiting
    assert "3 open, 1 of them urgent." in page


def test_a_routine_request_past_two_clinic_days_is_marked_overdue_in_words(app, client, signed_in, make_provider):
    make_provider("pmr")
    late = queued(app, waited=timedelta(days=6))
    fresh = queued(app, ROSA)
    signed_in(client, "scheduler")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    overdue = re.search(r'<dd class="call-back-overdue">([^<]*)</dd>', section(page, f"request-{late.id}"))
    assert overdue and overdue.group(1).startswith("Waiting 6 days · Overdue by ")
    assert "Overdue" not in section(page, f"request-{fresh.id}")
    assert "call back by" in section(page, f"request-{fresh.id}")


def test_phone_staff_see_the_queue_and_log_calls_but_do_not_place(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app)
    staff = signed_in(client, "phone")
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    shown = section(page, f"request-{item.id}")
    assert "(507) 555-0101" in shown and 'name="slot"' not in shown and "A scheduler places the visit" in shown
    logged = client.post(f"/staff/queue/{item.id}/contact", data={"outcome": "voicemail"})
    assert logged.status_code == 302 and logged.headers["Location"].endswith(f"#request-{item.id}")
    (entry,) = audit_events(app, "request.contact")
    assert (entry.actor_id, entry.record_type, entry.record_id, entry.patient_id, entry.detail) == (
        staff.id, "visit_request", str(item.id), item.patient_id, "voicemail"
    )  # fmt: skip
    log = section(page_text(client.get("/staff/queue?specialty=pmr")), f"request-{item.id}")
    assert re.search(r"C[SD]T</span>, Test Phone: Called, left a voicemail</li>", log)
    assert client.post(f"/staff/queue/{item.id}/place", data={}).status_code == 403
    refused = client.post(f"/staff/queue/{item.id}/contact", data={"outcome": "sang"})
    assert refused.status_code == 302 and len(audit_events(app, "request.contact")) == 1


def place(client, item) -> str:
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    slot = re.search(r'name="slot" value="([^"]+)"', section(page, f"request-{item.id}")).group(1)
    placed = client.post(f"/staff/queue/{item.id}/place", data={"slot": slot})
    assert placed.status_code == 302 and "/staff/visits/" in placed.headers["Location"], placed.status_code
    return slot


def test_placing_for_a_patient_with_email_says_so_and_opens_no_task(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app)
    signed_in(client, "scheduler")
    place(client, item)
    (placed,) = audit_events(app, "request.place")
    assert placed.detail == f"{item.reference}; confirmation queued by email"
    assert audit_events(app, "request.confirm-call") == []
    assert "Call to confirm" not in page_text(client.get("/staff/queue?specialty=pmr"))


def test_placing_for_a_patient_nobody_can_message_opens_a_call_to_confirm_task_until_a_call_confirms(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    item = queued(app, ROSA)
    staff = signed_in(client, "scheduler")
    place(client, item)
    (placed,) = audit_events(app, "request.place")
    assert placed.detail == f"{item.reference}; nobody notified (no email, no text consent): call to confirm"
    with app.app_context():
        kinds = {m.kind for m in db.session.execute(select(models.OutboxMessage)).scalars()}
        assert "confirmed" not in kinds  # truly nobody: no confirmation row on any channel
    (task,) = audit_events(app, "request.confirm-call")
    assert (task.actor_id, task.record_id) == (staff.id, str(item.id))
    page = page_text(client.get("/staff/queue?specialty=pmr"))
    assert 'Physical Medicine &amp; Rehabilitation <span class="tab-count">(0 open, 1 to confirm)</span>' in page
    confirm = section(page, f"confirm-{item.id}")
    assert "(507) 555-0133" in confirm and "11/04/1958" in confirm
    assert "Test Scheduler: Placed with no email and no text consent: call the patient to confirm" in confirm
    assert f"to confirm {item.id}" in audit_events(app, "queue.view")[-1].detail
    client.post(f"/staff/queue/{item.id}/contact", data={"outcome": "no-answer"})
    assert f'aria-labelledby="confirm-{item.id}"' in page_text(client.get("/staff/queue?specialty=pmr"))
    client.post(f"/staff/queue/{item.id}/contact", data={"outcome": "confirmed"})
    assert f'aria-labelledby="confirm-{item.id}"' not in page_text(client.get("/staff/queue?specialty=pmr"))
    assert [e.detail for e in audit_events(app, "request.contact")] == ["no-answer", "confirmed"]


def test_a_declined_request_takes_no_more_log_entries(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app)
    signed_in(client, "scheduler")
    client.post(f"/staff/queue/{item.id}/decline", data={"reason": "duplicate"})
    refused = client.post(f"/staff/queue/{item.id}/contact", data={"outcome": "no-answer"})
    assert refused.status_code == 302 and audit_events(app, "request.contact") == []


def test_odd_addresses_give_a_page_or_a_clear_refusal_never_a_crash(app, client, signed_in, make_provider):
    make_provider("pmr")
    item = queued(app)
    signed_in(client, "scheduler")
    for query in (f"times={item.id}&day=1999-01-01", f"times={item.id}&day=2199-12-31", "page=99999", "page=-1",
                  "times=abc&all=1", f"times={item.id}&day=not-a-day"):  # fmt: skip
        assert client.get(f"/staff/queue?specialty=pmr&{query}").status_code == 200, query
    assert client.get(f"/staff/queue?specialty=pmr&times={item.id}&day=9999-01-01").status_code == 422


def test_the_clinic_sets_how_many_clinic_days_a_routine_call_back_may_take(app, app_with):
    patient_app = app_with(ROUTINE_CALL_BACK_DAYS=10)
    item = queued(patient_app, waited=timedelta(days=6))
    with patient_app.app_context():
        (entry,) = request_queue.queue_page("pmr", Actor(staff_id=1, role="scheduler"), with_times=False).items
    assert entry.request.id == item.id and not entry.clock.overdue
    with app.app_context():
        (entry,) = request_queue.queue_page("pmr", Actor(staff_id=1, role="scheduler"), with_times=False).items
    assert entry.clock.overdue  # the default: two clinic days
