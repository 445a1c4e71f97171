"""The patient record (issue 14): what it shows (contact details, flags, visits with their answers,
requests, messages, the trail), the audit row of every view, the contact change (validated like
the patients' own pages, audited without values), the search by reference, the phone console's
pre-filled answers, who did what to a visit, and the audit search by name or reference."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import booking
from scheduler.services import moves
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.contact import PHONE_MESSAGE
from scheduler.web.staff.patients import REACHABLE
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.staff.conftest import audit_events

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", None)


def text(response) -> str:
    return response.get_data(as_text=True)


def book(app, day, hour, *, staff, patient=ANN, channel="phone", intake=None, urgent=False):
    with app.app_context():
        actor = staff_visits.Actor(staff_id=staff.id, role=staff.role, channel=channel)
        return staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, hour), patient=patient, actor=actor, intake=intake,
            urgent=urgent,
        ).appointment  # fmt: skip


def patient_id_of(app, reference: str) -> int:
    with app.app_context():
        return db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.reference == reference)
        ).scalar_one()


def add_past_visit(app, patient_id: int, provider_id: int, days_ago: int, status: str, reference: str) -> None:
    """A visit that already happened (or was missed): written directly, as booking refuses the past."""
    with app.app_context():
        visit_type_id = db.session.execute(
            select(models.VisitType.id).where(models.VisitType.code == "evaluation")
        ).scalar_one()
        start = utc_now().replace(microsecond=0) - timedelta(days=days_ago)
        db.session.add(
            models.Appointment(
                reference=reference,
                patient_id=patient_id,
                visit_type_id=visit_type_id,
                provider_id=provider_id,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=status,
                channel="web",
                manage_nonce="0" * 32,
            )  # fmt: skip
        )
        db.session.commit()


# ----- the record --------------------------------------------------------------------------------


def test_the_record_shows_the_next_visit_with_its_answers_requests_messages_and_flags(
    client, app, signed_in, staff_user, make_provider, make_room
):
    provider = make_provider("pmr", name="Dr. Adams")
    make_provider("radiology-pain", name="Dr. Ortiz")
    make_room("fluoroscopy")
    phone = staff_user("phone", name="Pat Phone")
    day = next_clinic_day(after_days=4)
    visit = book(app, day, 9, staff=phone, intake=Intake("evaluation", False, "trauma", True))
    patient_id = patient_id_of(app, visit.reference)
    add_past_visit(app, patient_id, provider, 40, "noshow", "SIJ-PAST-0001")
    add_past_visit(app, patient_id, provider, 500, "noshow", "SIJ-PAST-0002")  # over a year ago: not counted
    with app.app_context():
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN,
            preferences={"days": ["tuesday"], "notes": "Mornings, I work afternoons"}, channel="web",
        ).request  # fmt: skip
    staff = signed_in(client, "scheduler")

    page = text(client.get(f"/staff/patients/{patient_id}"))

    assert "Lee, Ann" in page and "born 02/03/1970" in page
    next_visit = re.search(r'<dl class="summary" id="next-visit">.*?</dl>', page, re.S).group(0)
    assert "Comprehensive SI joint evaluation" in next_visit and "Dr. Adams" in next_visit
    assert visit.reference in next_visit
    assert "Likely cause: Trauma, such as a fall or car crash" in page
    assert "Referred by a physician: yes" in page
    assert "1 no-show</strong> in the last 12 months" in page  # the one 500 days ago is not counted
    assert request.reference in page and "Mornings, I work afternoons" in page and "Requests (1 open)" in page
    assert "Visit confirmed" in page and "Request received" in page  # the outbox rows of both
    assert "(507) 555-0101" in page and "ann@example.com" in page
    # The trail: the booking by phone staff, and this very view.
    assert "Pat Phone (Phone staff)" in page and "appointment.book" in page
    views = audit_events(app, "patient.view")
    assert [(e.actor_id, e.patient_id, e.record_id, e.channel) for e in views] == [
        (staff.id, patient_id, str(patient_id), "web")
    ]


def test_every_view_of_a_record_is_its_own_audit_event_and_an_unknown_patient_is_a_404_without_one(
    client, app, signed_in, staff_user, make_provider
):
    make_provider("pmr")
    visit = book(app, next_clinic_day(after_days=4), 9, staff=staff_user("phone"))
    patient_id = patient_id_of(app, visit.reference)
    phone = signed_in(client, "phone")  # phone staff talk to patients: they see the record too
    assert client.get(f"/staff/patients/{patient_id}").status_code == 200
    assert client.get(f"/staff/patients/{patient_id}").status_code == 200
    assert client.get("/staff/patients/999999").status_code == 404
    views = audit_events(app, "patient.view")
    assert [(e.actor_id, e.patient_id) for e in views] == [(phone.id, patient_id)] * 2


def test_a_patient_with_nothing_on_file_but_their_details_has_a_plain_record(client, app, signed_in):
    with app.app_context():
        patient = models.Patient(given_name="Cara", family_name="Diaz", birth_date=date(1980, 5, 6), email="c@x.org")
        db.session.add(patient)
        db.session.commit()
        patient_id = patient.id
    signed_in(client, "admin")
    page = text(client.get(f"/staff/patients/{patient_id}"))
    assert "No visit booked." in page and "Flags" not in page and "Upcoming visits (0)" in page


# ----- contact details -----------------------------------------------------------------------------


def test_contact_details_are_checked_like_the_patients_own_and_a_change_is_audited_without_values(
    client, app, signed_in, staff_user, make_provider
):
    make_provider("pmr")
    visit = book(app, next_clinic_day(after_days=4), 9, staff=staff_user("phone"))
    patient_id = patient_id_of(app, visit.reference)
    staff = signed_in(client, "scheduler")
    form = client.get(f"/staff/patients/{patient_id}/contact")
    assert form.status_code == 200 and 'value="(507) 555-0101"' in text(form)

    bad = client.post(f"/staff/patients/{patient_id}/contact", data={"phone": "12", "email": "ann@example.com"})
    assert bad.status_code == 422 and PHONE_MESSAGE in text(bad) and 'value="12"' in text(bad)  # typed kept
    none = client.post(f"/staff/patients/{patient_id}/contact", data={"phone": "", "email": ""})
    assert none.status_code == 422 and REACHABLE in text(none)
    texts_no_phone = client.post(f"/staff/patients/{patient_id}/contact",
                                 data={"email": "ann@example.com", "sms_consent": "y"})  # fmt: skip
    assert texts_no_phone.status_code == 422 and "Text messages need a phone number." in text(texts_no_phone)
    assert audit_events(app, "patient.contact-update") == []

    saved = client.post(
        f"/staff/patients/{patient_id}/contact",
        data={"phone": "507 555 0199", "email": "Ann@Example.com", "sms_consent": "y",
              "interpreter_language": "Spanish", "access_needs": "Uses a wheelchair"},
    )  # fmt: skip
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/staff/patients/{patient_id}")
    with app.app_context():
        patient = db.session.get(models.Patient, patient_id)
        assert (patient.phone, patient.email, patient.sms_consent) == ("+15075550199", "Ann@example.com", True)
        assert patient.sms_consent_at is not None
        assert (patient.interpreter_language, patient.access_needs) == ("Spanish", "Uses a wheelchair")
    (event,) = audit_events(app, "patient.contact-update")
    assert (event.actor_id, event.patient_id, event.channel) == (staff.id, patient_id, "web")
    assert event.detail == "changed: phone, email, text consent given, interpreter, access needs"
    assert "555" not in event.detail and "Spanish" not in event.detail  # no values in the trail
    page = text(client.get(f"/staff/patients/{patient_id}"))
    assert "Interpreter needed:</strong> Spanish" in page and "Access needs:</strong> Uses a wheelchair" in page

    again = client.post(
        f"/staff/patients/{patient_id}/contact",
        data={"phone": "(507) 555-0199", "email": "Ann@example.com", "sms_consent": "y",
              "interpreter_language": "Spanish", "access_needs": "Uses a wheelchair"},
    )  # fmt: skip
    assert again.status_code == 303 and len(audit_events(app, "patient.contact-update")) == 1  # nothing changed


# ----- finding a patient ---------------------------------------------------------------------------


def test_the_patient_search_finds_a_caller_by_phone_and_by_a_visit_or_request_reference(
    client, app, signed_in, staff_user, make_provider, make_room
):
    make_provider("pmr")
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    visit = book(app, next_clinic_day(after_days=4), 9, staff=staff_user("phone"))
    book(app, next_clinic_day(after_days=4), 11, staff=staff_user("phone"), patient=BOB)
    with app.app_context():
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=BOB, preferences={}, channel="web"
        ).request
    ann, bob = patient_id_of(app, visit.reference), request.patient_id
    signed_in(client, "phone")

    def found(query: str, url: str = "/staff/patients/search") -> list[str]:
        return re.findall(r'class="phone-result" href="([^"]+)"', text(client.post(url, data={"q": query})))

    assert found("555-0101") == [f"/staff/patients/{ann}"]
    assert found(visit.reference) == [f"/staff/patients/{ann}"]
    assert found(visit.reference.lower().replace("-", " ")) == [f"/staff/patients/{ann}"]  # as read out
    assert found(request.reference) == [f"/staff/patients/{bob}"]
    assert found(f"lee {request.reference}") == []  # every part must match
    assert found("SIJ-ZZZZ-ZZZZ") == []
    # The console's own search takes references too (and leads to its booking form).
    assert found(visit.reference, "/staff/phone/search") == [f"/staff/phone/patients/{ann}"]
    # Without JavaScript: the search page posts, and the results come back on it (no query in a URL).
    page = client.post("/staff/patients", data={"q": "555-0102"})
    assert page.status_code == 200 and f'href="/staff/patients/{bob}"' in text(page)


# ----- the phone console ---------------------------------------------------------------------------


def test_the_console_prefills_seen_before_and_shows_what_the_record_holds(
    client, app, signed_in, staff_user, make_provider
):
    provider = make_provider("pmr", name="Dr. Adams")
    visit = book(app, next_clinic_day(after_days=4), 9, staff=staff_user("phone"))
    patient_id = patient_id_of(app, visit.reference)
    signed_in(client, "phone")
    before = text(client.get(f"/staff/phone/patients/{patient_id}"))
    assert 'name="seen_before" value="yes" checked' not in before  # the record knows of no visit taken place
    assert "Next visit:" in before and visit.reference in before and f'href="/staff/patients/{patient_id}"' in before
    add_past_visit(app, patient_id, provider, 30, "fulfilled", "SIJ-DONE-0001")
    after = text(client.get(f"/staff/phone/patients/{patient_id}"))
    assert 'name="seen_before" value="yes" checked' in after and "Seen here before: yes" in after


# ----- who did what ---------------------------------------------------------------------------------


def test_a_visit_shows_who_booked_moved_and_cancelled_it_and_how(client, app, signed_in, staff_user, make_provider):
    make_provider("pmr")
    phone = staff_user("phone", name="Pat Phone")
    day = next_clinic_day(after_days=5)
    visit = book(app, day, 9, staff=phone)
    scheduler = signed_in(client, "scheduler")
    page = text(client.get(f"/staff/visits/{visit.id}"))
    history = re.search(r'<h2 id="history-title">.*?</table>', page, re.S).group(0)
    assert re.search(r"Booked</td>\s*<td>Pat Phone \(Phone staff\)</td>\s*<td>by phone \(phone console\)", history)
    slots = re.findall(r'name="slot" value="([^"]+)"', text(client.get(f"/staff/visits/{visit.id}/move")))
    client.post(f"/staff/visits/{visit.id}/move", data={"slot": slots[-1]})
    client.post(f"/staff/visits/{visit.id}/cancel", data={"reason": "Provider ill"})
    history = re.search(r'<h2 id="history-title">.*?</table>', text(client.get(f"/staff/visits/{visit.id}")), re.S)
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>(\w+)[^<]*(?:<span[^>]*>[^<]*</span>)?</td>\s*<td>([^<]+)</td>"
                      r"\s*<td>([^<]+)</td>", history.group(0))  # fmt: skip
    name = "Test Scheduler (Scheduler)"
    assert rows == [
        ("Booked", "Pat Phone (Phone staff)", "by phone (phone console)"),
        ("Moved", name, "on the staff pages"),
        ("Cancelled", name, "on the staff pages"),
    ]
    assert scheduler.role == "scheduler"


def test_a_visit_placed_from_an_online_request_names_the_scheduler_and_the_request_not_web(
    client, app, signed_in, staff_user, make_provider, make_room
):
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    with app.app_context():
        request = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={}, channel="web"
        ).request
    placer = staff_user("scheduler", name="Sam Placer")
    with app.app_context():
        actor = staff_visits.Actor(staff_id=placer.id, role="scheduler", channel="web")
        placed = staff_visits.place_request(request.id, central(next_clinic_day(after_days=6), 10), actor=actor)
    signed_in(client, "phone")
    page = text(client.get(f"/staff/visits/{placed.appointment.id}"))
    assert "Booked by" not in page
    assert "Sam Placer (Scheduler)" in page
    assert f"from an online request, {request.reference}" in page


def test_a_visit_booked_through_the_booking_api_says_so(client, app, signed_in, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(after_days=4), 9)
    assert client.post("/api/v1/appointments", json=booking_json(start)).status_code == 201
    with app.app_context():
        appointment_id = db.session.execute(select(models.Appointment.id)).scalar_one()
    signed_in(client, "scheduler")
    page = text(client.get(f"/staff/visits/{appointment_id}"))
    assert re.search(r"Booked</td>\s*<td>The patient or an app for them</td>\s*<td>through the booking API", page)


# ----- the audit search ------------------------------------------------------------------------------


def test_the_audit_search_takes_a_patient_by_name_or_reference_never_putting_the_name_in_a_url(
    client, app, signed_in, staff_user, make_provider
):
    make_provider("pmr")
    phone = staff_user("phone")
    visit = book(app, next_clinic_day(after_days=4), 9, staff=phone)
    book(app, next_clinic_day(after_days=4), 11, staff=phone, patient=BOB)
    book(app, next_clinic_day(after_days=4), 13, staff=phone,
         patient=PatientDetails("Lea", "Leeds", date(1990, 1, 1), "+15075550103", None))  # fmt: skip
    ann = patient_id_of(app, visit.reference)
    signed_in(client, "admin")

    by_reference = client.post(
        "/staff/patients/audit-search", data={"patient": visit.reference, "first_day": "2020-01-01"}
    )
    assert by_reference.status_code == 303
    assert by_reference.headers["Location"].endswith(f"/staff/audit?patient_id={ann}&first_day=2020-01-01")
    page = text(client.get(by_reference.headers["Location"]))
    assert "Events about <strong>Lee, Ann</strong>" in page and "1 event." in page  # the booking

    several = client.post("/staff/patients/audit-search", data={"patient": "lee"})  # Lee, Ann and Leeds, Lea
    assert several.status_code == 200 and "Which patient?" in text(several)
    assert f'href="/staff/audit?patient_id={ann}"' in text(several)
    assert "Lee" not in several.headers.get("Location", "")

    nobody = client.post("/staff/patients/audit-search", data={"patient": "Nobody"})
    assert nobody.status_code == 422 and "No patient matches" in text(nobody)
    # The events list names patients, not internal ids.
    assert re.search(r'<a href="/staff/audit\?patient_id=\d+">Ray, Bob</a>', text(client.get("/staff/audit")))


def test_the_record_is_reached_from_a_calendar_cell_the_visit_page_and_the_consoles_results(
    client, app, signed_in, staff_user, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=4)
    visit = book(app, day, 9, staff=staff_user("phone"))
    patient_id = patient_id_of(app, visit.reference)
    signed_in(client, "phone")
    record = f'href="/staff/patients/{patient_id}"'
    assert record in text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    assert record in text(client.get(f"/staff/visits/{visit.id}"))
    results = text(client.post("/staff/phone/search", data={"q": "lee"}))
    assert record in results and 'Record<span class="visually-hidden"> of Lee, Ann</span>' in results


def test_a_visit_moved_and_cancelled_by_the_patient_through_their_link_says_so(client, app, signed_in, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        booked = booking.book_appointment(
            visit_type_code="evaluation",
            start=central(day, 9),
            patient=ANN,
            intake=Intake("evaluation", False, "trauma", False),
            channel="web",
        )
        reference, token = booked.appointment.reference, booked.manage_token
        moves.move_by_patient(reference, token, central(day, 11), provider_id=None, hold_token=None)
        booking.cancel_appointment(reference, token, "I am feeling better. My own words")
        booking.cancel_appointment(reference, token, None)  # twice is harmless, and not a second event
    events = [e for e in audit_events(app) if e.record_type == "appointment"]
    assert [(e.action, e.actor_kind, e.channel, e.detail) for e in events] == [
        ("appointment.move", "patient", "web", ""),
        ("appointment.cancel", "patient", "web", ""),  # the patient's own words stay out of the trail
    ]
    signed_in(client, "scheduler")
    page = text(client.get(f"/staff/visits/{booked.appointment.id}"))
    history = re.search(r'<h2 id="history-title">.*?</table>', page, re.S)
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>(\w+)[^<]*(?:<span[^>]*>[^<]*</span>)?</td>\s*<td>([^<]+)</td>"
                      r"\s*<td>([^<]+)</td>", history.group(0))  # fmt: skip
    assert rows == [
        ("Booked", "The patient", "online (patient pages)"),
        ("Moved", "The patient", "online (patient pages)"),
        ("Cancelled", "The patient", "online (patient pages)"),
    ]
