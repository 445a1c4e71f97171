"""Merging duplicate patient records (issue 14): a scheduler or administrator merges the record a web
booking made with new contact details into the patient's record. Everything follows the kept
record (visits, requests, waitlist entries, messages, the audit trail), the other record's address
leads to the kept one, and the merge is one audit row naming both record ids without PHI. Refused
with its reason (visits at the same time, the same record), with nothing changed and the choice
kept on the page; phone staff may not merge. A merge is whole or not at all when another merge or
a booking for the removed record runs at the same moment."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import SlotTaken
from scheduler.domain.patient_merge import MERGED_MEANWHILE
from scheduler.domain.patient_merge import SAME_RECORD
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.slots import patient_resource
from scheduler.services import audit as trail
from scheduler.services import booking
from scheduler.services import patient_file
from scheduler.services import patient_merge
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.services import waitlist
from scheduler.services.patients import details_on_file
from scheduler.services.patients import patient_with_id
from scheduler.store import models
from scheduler.store import patient_merge as store_merge
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.staff.conftest import audit_events
from tests.test_races import TIMEOUT_SECONDS
from tests.test_races import _wait_until_waiting_on_a_lock

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
# The same person booking online with a new phone and email: a second record.
ANN_ONLINE = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550199", "ann.lee@newmail.example")
PHI = ("Ann", "Lee", "1970", "02/03", "5550101", "5550199", "555-0101", "555-0199", "ann@example.com", "newmail")
ANSWERS = Intake("evaluation", False, "trauma", False)


def text(response) -> str:
    return response.get_data(as_text=True)


def staff_book(app: Flask, staff, day: date, hour: int, patient: PatientDetails, provider: int | None = None):
    with app.app_context():
        actor = staff_visits.Actor(staff_id=staff.id, role=staff.role, channel="phone")
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient, actor=actor, provider_id=provider
        ).appointment


def web_book(app: Flask, day: date, hour: int, patient: PatientDetails, provider: int | None = None):
    with app.app_context():
        return booking.book_appointment(
            visit_type_code="evaluation", start=central(day, hour), patient=patient, intake=ANSWERS, channel="web",
            provider_id=provider,
        ).appointment  # fmt: skip


def patient_of(app: Flask, appointment_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.id == appointment_id)
        ).scalar_one()


def snapshot(app: Flask) -> dict[str, Any]:
    """Who owns what: every row a merge may change."""
    with app.app_context():
        a, r, w, p, res = (models.Appointment, models.VisitRequest, models.WaitlistEntry, models.Patient,
                           models.Reservation)  # fmt: skip
        return {
            "patients": sorted(db.session.execute(select(p.id)).scalars()),
            "visits": sorted(db.session.execute(select(a.id, a.patient_id, a.status)).all()),
            "requests": sorted(db.session.execute(select(r.id, r.patient_id)).all()),
            "waitlist": sorted(db.session.execute(select(w.id, w.patient_id)).all()),
            "reservations": sorted(db.session.execute(select(res.id, res.resource, res.active)).all()),
            "merges": len(audit_events(app, "patient.merge")),
        }


def two_records(app: Flask, staff_user, make_provider) -> dict[str, Any]:
    """Ann's record (booked by phone staff) and the second record her online booking made, with a
    request, a waitlist entry, messages, and a cancelled visit at the time of her first visit."""
    first = make_provider("pmr", name="Dr. Adams")
    second = make_provider("pmr", name="Dr. Berg")
    phone = staff_user("phone", name="Pat Phone")
    day = next_clinic_day(after_days=4)
    kept_visit = staff_book(app, phone, day, 9, ANN, provider=first)
    online_visit = web_book(app, day, 13, ANN_ONLINE, provider=first)
    by_phone = staff_book(app, phone, day, 15, ANN_ONLINE, provider=second)  # booked by staff on the second record
    cancelled = staff_book(app, phone, day, 9, ANN_ONLINE, provider=second)
    with app.app_context():
        staff_visits.cancel(cancelled.id, "patient", actor=staff_visits.Actor(phone.id, "phone", "phone"), notify=True)
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN_ONLINE, preferences={}, channel="web"
        ).request
        request_ref = (request.id, request.reference)
        entry_ref = waitlist.join(visit_type_code="evaluation", patient=ANN_ONLINE, channel="web").view.reference
    kept, other = patient_of(app, kept_visit.id), patient_of(app, online_visit.id)
    assert kept != other and patient_of(app, cancelled.id) == other == patient_of(app, by_phone.id)
    return {
        "kept": kept, "other": other, "phone": phone, "day": day, "providers": (first, second),
        "visits": (kept_visit, online_visit, by_phone, cancelled), "request": request_ref, "entry": entry_ref,
    }  # fmt: skip


def merge_page(client, kept: int, other: int, **form: str):
    return client.post(f"/staff/patients/{kept}/merge/{other}", data=form)


# ----- everything follows ----------------------------------------------------------------------------


def test_visits_requests_waitlist_messages_and_the_trail_follow_the_kept_record_and_the_old_address_leads_there(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    with app.app_context():
        messages_before = store_merge.counts(other, utc_now()).messages
    assert messages_before >= 4  # confirmations, a cancellation, the request's and the waitlist's
    scheduler = signed_in(client, "scheduler")

    record = text(client.get(f"/staff/patients/{kept}"))
    duplicates = re.search(r'<ul id="possible-duplicates">.*?</ul>', record, re.S).group(0)
    assert f"(record {other})" in duplicates and f"/staff/patients/{kept}/merge/{other}" in duplicates
    assert f"/staff/patients/{kept}/merge" in record  # "Merge with another record"
    chooser = text(client.get(f"/staff/patients/{kept}/merge"))
    assert "Possible duplicates" in chooser and f"/staff/patients/{kept}/merge/{other}" in chooser
    found = text(client.post(f"/staff/patients/{kept}/merge/search", data={"q": "555-0199"}))
    assert "1 record found" in found and f"/staff/patients/{kept}/merge/{other}" in found

    page = client.get(f"/staff/patients/{kept}/merge/{other}")
    assert page.status_code == 200
    side_by_side = re.search(r'<table class="table" id="side-by-side">.*?</table>', text(page), re.S).group(0)
    assert "(507) 555-0101" in side_by_side and "(507) 555-0199" in side_by_side
    assert "1 (1 upcoming)" in side_by_side and "3 (2 upcoming)" in side_by_side  # visits of each
    assert "1 (1 open)" in side_by_side  # the request, on the second record
    assert re.search(rf'value="{kept}" checked', text(page))  # the record the merge started from

    response = merge_page(client, kept, other, keep=str(kept))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/patients/{kept}")

    after = snapshot(app)
    assert after["patients"] == [kept]
    assert {owner for _, owner, _ in after["visits"]} == {kept} and len(after["visits"]) == 4
    assert after["requests"] == [(ids["request"][0], kept)]
    assert [owner for _, owner in after["waitlist"]] == [kept]
    assert not [r for r in after["reservations"] if r[1] == patient_resource(other)]
    with app.app_context():
        counts = store_merge.counts(kept, utc_now())
        assert counts.messages >= messages_before + 1 and counts.visits == 4
        w = models.WaitlistEntry
        assert db.session.execute(select(w.patient_id).where(w.reference == ids["entry"])).scalar_one() == kept

    page = text(client.get(f"/staff/patients/{kept}"))
    assert "Records merged: record" in page and "3 visits" in page and "1 request" in page
    for visit in ids["visits"]:
        assert visit.reference in page
    assert ids["request"][1] in page
    assert "patient.merge" in page and "Pat Phone (Phone staff)" in page  # the other record's trail came along
    # The visit booked by phone staff on the other record still says who booked it.
    visit_page = text(client.get(f"/staff/visits/{ids['visits'][2].id}"))
    assert "Pat Phone (Phone staff)" in visit_page
    with app.app_context():
        searched = trail.search(trail.AuditFilter(patient_id=kept), per_page=500)
        assert {row.event.patient_id for row in searched.rows} == {kept, other}

    gone = client.get(f"/staff/patients/{other}")
    assert gone.status_code == 302 and gone.headers["Location"].endswith(f"/staff/patients/{kept}")
    assert f"Record {other} was merged into this record." in text(client.get(f"/staff/patients/{kept}"))
    assert client.get(f"/staff/patients/{other}/merge").status_code == 404

    merges = audit_events(app, "patient.merge")
    assert [(e.actor_kind, e.actor_id, e.record_type, e.record_id, e.patient_id) for e in merges] == [
        ("staff", scheduler.id, "patient", str(other), kept)
    ]


def test_the_other_record_may_be_the_one_kept_and_its_contact_details_then_stay(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    with app.app_context():
        db.session.execute(
            models.Patient.__table__.update().where(models.Patient.id == kept).values(interpreter_language="Hmong")
        )
        db.session.commit()
    signed_in(client, "admin")
    response = merge_page(client, kept, other, keep=str(other))  # started from the first, keeping the second
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/patients/{other}")
    with app.app_context():
        survivor = patient_with_id(other)
        assert survivor is not None and patient_with_id(kept) is None
        assert (survivor.phone, survivor.email) == (ANN_ONLINE.phone, ANN_ONLINE.email)
        needs = db.session.execute(select(models.Patient.interpreter_language).where(models.Patient.id == other))
        assert needs.scalar_one() == "Hmong"  # the kept record had none: the need is not lost
    assert {owner for _, owner, _ in snapshot(app)["visits"]} == {other}


# ----- refusals ----------------------------------------------------------------------------------------


def test_visits_at_the_same_time_refuse_the_merge_with_the_reason_the_choice_kept_and_nothing_changed(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    first, second = ids["providers"]
    clash = staff_book(app, ids["phone"], ids["day"], 9, ANN_ONLINE, provider=second)  # with the other doctor
    before = snapshot(app)
    signed_in(client, "scheduler")

    page = text(client.get(f"/staff/patients/{kept}/merge/{other}"))
    assert "cannot be merged as they stand" in page and clash.reference in page

    response = merge_page(client, kept, other, keep=str(other))
    assert response.status_code == 422
    page = text(response)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert "Both records have a visit at the same time" in summary
    assert ids["visits"][0].reference in summary and clash.reference in summary
    assert re.search(rf'value="{other}" checked', page) and not re.search(rf'value="{kept}" checked', page)
    assert snapshot(app) == before
    assert audit_events(app, "patient.merge") == []


def test_a_record_cannot_be_merged_with_itself(client, app, signed_in, staff_user, make_provider):
    ids = two_records(app, staff_user, make_provider)
    kept = ids["kept"]
    before = snapshot(app)
    signed_in(client, "admin")
    page = client.get(f"/staff/patients/{kept}/merge/{kept}")
    assert page.status_code == 422 and SAME_RECORD in text(page)
    response = merge_page(client, kept, kept, keep=str(kept))
    assert response.status_code == 422 and SAME_RECORD in text(response)
    assert snapshot(app) == before


def test_no_choice_or_a_record_not_of_the_two_is_asked_again_with_nothing_changed(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    before = snapshot(app)
    signed_in(client, "scheduler")
    for form in ({}, {"keep": "999"}, {"keep": "first"}, {"keep": "1\x00"}):
        response = merge_page(client, kept, other, **form)
        assert response.status_code == 422, form
        assert f"Choose which record is kept: record {kept} or record {other}" in text(response)
    assert snapshot(app) == before
    assert client.get(f"/staff/patients/{kept}/merge/999999").status_code == 404
    typed = "Lee " + "x" * 200  # too long to be a search: asked again, with what was typed
    response = client.post(f"/staff/patients/{kept}/merge", data={"q": typed})
    assert response.status_code == 422 and f'value="{typed}"' in text(response)
    assert "1 record found" in text(client.post(f"/staff/patients/{kept}/merge", data={"q": "lee 2/3/1970"}))


def test_phone_staff_see_possible_duplicates_but_may_not_merge(client, app, signed_in, staff_user, make_provider):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    before = snapshot(app)
    signed_in(client, "phone")
    record = text(client.get(f"/staff/patients/{kept}"))
    assert f"(record {other})" in record and "/merge" not in record
    for response in (
        client.get(f"/staff/patients/{kept}/merge"),
        client.post(f"/staff/patients/{kept}/merge/search", data={"q": "Lee"}),
        client.get(f"/staff/patients/{kept}/merge/{other}"),
        merge_page(client, kept, other, keep=str(kept)),
    ):
        assert response.status_code == 403
        assert "You cannot open this page" in text(response) and "staff-nav" in text(response)  # the staff layout
    assert snapshot(app) == before


def test_the_merge_audit_row_names_the_actor_and_the_two_records_and_no_phi(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    admin = signed_in(client, "admin")
    seen = len(audit_events(app))
    client.get(f"/staff/patients/{kept}/merge/{other}")
    assert merge_page(client, kept, other, keep=str(kept)).status_code == 303
    new = audit_events(app)[seen:]
    assert [e.action for e in new] == ["patient.view", "patient.view", "patient.merge"]
    merge = new[-1]
    assert (merge.actor_kind, merge.actor_id, merge.channel) == ("staff", admin.id, "web")
    assert merge.detail.startswith(f"record {other} merged into record {kept} (kept)")
    for event_ in new:
        written = " ".join(str(v) for v in (event_.detail, event_.record_id, event_.record_type, event_.action))
        assert not [phi for phi in PHI if phi.lower() in written.lower()], written


def test_a_page_left_open_after_someone_else_merged_the_records_says_so(
    client, app, signed_in, staff_user, make_provider
):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    scheduler = signed_in(client, "scheduler")
    with app.app_context():
        patient_merge.merge(kept, other, staff_id=scheduler.id)
    response = merge_page(client, other, kept, keep=str(other))  # the other way round, from a stale page
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"], follow_redirects=True))
    assert "Nothing was merged: one of the two records is no longer on file" in page
    assert len(audit_events(app, "patient.merge")) == 1


# ----- at the same moment -------------------------------------------------------------------------------


def _in_thread(app: Flask, work):  # type: ignore[no-untyped-def]
    """Run ``work`` in this thread's own app context (its own session and connection); its
    result, or the domain error it raised."""
    with app.app_context():
        try:
            return work()
        except (SlotTaken, NotFound) as refused:
            return refused


def _while_the_merge_is_about_to_commit(app: Flask, merge, other):  # type: ignore[no-untyped-def]
    """Hold the merge's transaction open just before it commits (every row written and locked),
    start ``other``, wait until it waits on the merge's locks, then let the merge commit."""
    about_to_commit, release = threading.Event(), threading.Event()

    def hold_the_first_commit(_connection: Any) -> None:
        if threading.current_thread() is not threading.main_thread() and not about_to_commit.is_set():
            about_to_commit.set()
            release.wait(TIMEOUT_SECONDS)

    with app.app_context():
        engine, dialect = db.engine, db.engine.dialect.name
    event.listen(engine, "commit", hold_the_first_commit)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            try:
                first = pool.submit(_in_thread, app, merge)
                assert about_to_commit.wait(TIMEOUT_SECONDS), "the merge never reached its commit"
                second = pool.submit(_in_thread, app, other)
                _wait_until_waiting_on_a_lock(app, dialect, second)
                assert not second.done(), f"it did not wait for the merge: {second.result()}"
            finally:
                release.set()
            return first.result(), second.result(), dialect
    finally:
        event.remove(engine, "commit", hold_the_first_commit)


def test_two_schedulers_merging_the_same_records_at_once_make_one_merge(app, staff_user, make_provider):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    one, two = staff_user("scheduler"), staff_user("admin")
    first, second, _ = _while_the_merge_is_about_to_commit(
        app,
        lambda: patient_merge.merge(kept, other, staff_id=one.id),
        lambda: patient_merge.merge(other, kept, staff_id=two.id),  # the other way round
    )
    assert isinstance(first, patient_merge.Merged) and first.kept_id == kept
    assert isinstance(second, NotFound), second
    after = snapshot(app)
    assert after["patients"] == [kept] and after["merges"] == 1
    assert {owner for _, owner, _ in after["visits"]} == {kept}


def test_a_booking_for_the_removed_record_during_the_merge_leaves_no_orphan(app, staff_user, make_provider):
    ids = two_records(app, staff_user, make_provider)
    kept, other = ids["kept"], ids["other"]
    scheduler = staff_user("scheduler")
    with app.app_context():
        on_file = patient_with_id(other)
        assert on_file is not None
    later = next_clinic_day(after_days=8)
    merged, booked, dialect = _while_the_merge_is_about_to_commit(
        app,
        lambda: patient_merge.merge(kept, other, staff_id=scheduler.id),
        lambda: (
            booking.place_visit(
                visit_type_code="evaluation",
                start=central(later, 10),
                patient=details_on_file(on_file),
                channel="phone",
            ).appointment
        ),
    )
    assert isinstance(merged, patient_merge.Merged)
    after = snapshot(app)
    assert after["merges"] == 1
    booked_id = getattr(booked, "id", None)
    assert {owner for visit, owner, _ in after["visits"] if visit != booked_id} == {kept}
    with app.app_context():
        orphans = db.session.execute(
            select(func.count()).select_from(models.Appointment).where(models.Appointment.patient_id.not_in(
                select(models.Patient.id)))
        ).scalar_one()  # fmt: skip
        assert orphans == 0
    if dialect == "postgresql":
        # The booking found the record, then waited on the merge's lock and found it gone.
        assert isinstance(booked, SlotTaken) and booked.message == MERGED_MEANWHILE, booked
        assert after["patients"] == [kept] and len(after["visits"]) == 4
        assert not [r for r in after["reservations"] if r[1] == patient_resource(other)]
        return
    # SQLite: the booking could not begin before the merge committed; it then found no record of
    # that id and those details, and booked as a new patient. SQLite gives a new row one past the
    # largest id, so the new record may take the removed record's id: none of the removed record's
    # rows or trail are its, and the kept record's trail stops at the merge for that id.
    assert not isinstance(booked, SlotTaken), booked
    newcomer = patient_of(app, booked.id)
    assert newcomer != kept and after["patients"] == sorted([kept, newcomer])
    merge_row = audit_events(app, "patient.merge")[0]
    with app.app_context():
        found = patient_with_id(newcomer)
        assert found is not None
        assert all(e.id > merge_row.id for e in patient_file.read_file(found).trail)
        kept_record = patient_with_id(kept)
        assert kept_record is not None
        assert all(e.id <= merge_row.id for e in patient_file.read_file(kept_record).trail)
