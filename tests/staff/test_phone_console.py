"""The phone-staff console on the server: search, picking a patient, routing and the next free
times in the staff time picker (nothing chosen for staff; another day, later days and one
provider's times without losing what was typed), the read-back, booking (channel "phone", the
staff member, an audit row), a returning caller not asked what the records hold, the duplicate
warning, a time taken meanwhile, errors that keep what was typed, and a race with a patient."""

from __future__ import annotations

import html
import re
import threading
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.domain.clock import to_clinic
from scheduler.domain.patients import PatientDetails
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.web.staff import time_picker
from scheduler.web.staff.phone import CHANGED
from scheduler.web.staff.phone import TAKEN
from scheduler.web.staff.phone_forms import parse_birth_date
from tests.conftest import booking_json
from tests.conftest import patient_json
from tests.staff.conftest import audit_events

ANN = PatientDetails("Ann", "Lee", date(1970, 3, 3), "+15075550101", "ann.lee@example.com")
BOB = PatientDetails("Bob", "Ray", date(1961, 1, 1), "+15075550102", None)
# A new caller: what phone staff type, by form field name.
CALLER = {
    "given_name": "Cara",
    "family_name": "Diaz",
    "birth_date_text": "3/27/1970",
    "phone": "507-555-0177",
    "email": "",
    "requested": "evaluation",
    "seen_before": "no",
    "cause": "trauma",
    "referred": "no",
}


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name} on the page"
    return html.unescape(found.group(1))


def checked_slot(page: str) -> str:
    found = re.search(r'name="slot" value="([^"]+)" checked', page)
    assert found, "no time is chosen on the page"
    return html.unescape(found.group(1))


def slots(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="slot" value="([^"]+)"', page)]


def first_time(page: str) -> str:
    """The first time offered (nothing is chosen for staff: a test chooses as staff would)."""
    return slots(page)[0]


def panel(page: str, day: str) -> str:
    """The picker's fieldset of the times on ``day`` (YYYY-MM-DD), its opening tag included."""
    found = re.search(rf'<fieldset class="picker-panel" id="slot-{day}".*?</fieldset>', page, re.S)
    assert found, f"no times of {day} on the page"
    return found.group(0)


def shown_day(page: str) -> str:
    """The day the picker shows: its day button is marked current, and its times alone are not hidden."""
    (current,) = re.findall(r'name="go_shown" value="([^"]+)" data-picker-day="[^"]+" aria-current="true"', page)
    visible = re.findall(r'<fieldset class="picker-panel" id="slot-([\d-]+)" data-picker-panel="[^"]+">', page)
    assert visible == [current], (visible, current)
    return current


def picker_days(page: str) -> list[str]:
    return re.findall(r'name="go_shown" value="([^"]+)"', page)


def add_patient(app, details: PatientDetails) -> int:
    with app.app_context():
        patient = models.Patient(
            given_name=details.given_name,
            family_name=details.family_name,
            birth_date=details.birth_date,
            phone=details.phone,
            email=details.email,
        )
        db.session.add(patient)
        db.session.commit()
        return patient.id


def appointments(app) -> list[models.Appointment]:
    with app.app_context():
        return list(db.session.execute(select(models.Appointment).order_by(models.Appointment.id)).scalars())


def patients(app) -> list[models.Patient]:
    with app.app_context():
        return list(db.session.execute(select(models.Patient).order_by(models.Patient.id)).scalars())


def step(client, page: str | None = None, action: str | None = "find", **changes: str):
    """Post the booking form as the last page left it (its hidden fields and chosen time), changed.
    ``action`` None: no action button (one of the time picker's own buttons, given in ``changes``)."""
    data = dict(CALLER)
    if page is not None:
        for name in ("patient_id", "duplicates_seen", "read_back"):
            data[name] = hidden(page, name)
        if 'id="slot"' in page:  # the time picker's days, as the page left them
            data.update({name: hidden(page, name) for name in ("from", "shown")})
        if re.search(r'name="slot" value="[^"]+" checked', page):
            data["slot"] = checked_slot(page)
    data.update(changes)
    if action is not None:
        data["action"] = action
    return client.post("/staff/phone/book", data={k: v for k, v in data.items() if v is not None})


# ----- the console and the search --------------------------------------------------------------


def test_the_console_opens_with_the_search_box_focused_and_the_shortcuts_listed(client, signed_in):
    signed_in(client, "phone")
    page = text(client.get("/staff/phone"))
    assert re.search(r'<input class="input" id="q" name="q" type="search" value=""[^>]* autofocus', page)
    assert '<a href="/staff/phone" aria-current="page">Phone console</a>' in page
    for shortcut in ("<kbd>Alt</kbd> + <kbd>N</kbd>", "<kbd>Alt</kbd> + <kbd>S</kbd> or <kbd>/</kbd>",
                     "<kbd>Ctrl</kbd> + <kbd>Enter</kbd>", "<kbd>Alt</kbd> + <kbd>F</kbd>"):  # fmt: skip
        assert shortcut in page
    assert '<script src="/static/js/phone.js" defer></script>' in page
    assert 'method="post" action="/staff/phone"' in page  # the search without JavaScript is a POST too


def test_search_finds_patients_by_name_birth_date_and_phone_and_only_ever_by_post(client, app, signed_in):
    ann = add_patient(app, ANN)
    add_patient(app, BOB)
    signed_in(client, "phone")
    for query in ("lee", "Ann Lee", "3/3/1970", "1970-03-03", "555-0101", "(507) 555-0101", "lee 3/3/1970"):
        fragment = text(client.post("/staff/phone/search", data={"q": query}))
        assert f'href="/staff/phone/patients/{ann}"' in fragment, query
        assert "Ray, Bob" not in fragment, query
        assert "1 patient found" in fragment
    assert "Lee, Ann</span> <span>born 03/03/1970</span> <span>(507) 555-0101</span>" in fragment
    assert "No patients match" in text(client.post("/staff/phone/search", data={"q": "nobody"}))
    assert text(client.post("/staff/phone/search", data={"q": "  "})).strip() == ""
    # Without JavaScript: the same results on the console page, the query kept in the box.
    page = text(client.post("/staff/phone", data={"q": "ray"}))
    assert "Ray, Bob" in page and 'value="ray"' in page
    # A query string is never the way in: no details in URLs (and so none in access logs).
    assert client.get("/staff/phone/search?q=lee").status_code == 405
    assert "Lee, Ann" not in text(client.get("/staff/phone?q=lee"))


def test_picking_a_patient_fills_the_booking_form_and_the_view_is_audited(client, app, signed_in):
    ann = add_patient(app, ANN)
    staff = signed_in(client, "phone")
    page = text(client.get(f"/staff/phone/patients/{ann}"))
    assert "<h1>Booking for Lee, Ann</h1>" in page
    prefilled = (
        'name="given_name" type="text"\n           value="Ann"',
        'value="03/03/1970"',
        'value="(507) 555-0101"',
        'value="ann.lee@example.com"',
        f'name="patient_id" value="{ann}"',
    )
    for value in prefilled:
        assert value in page, value
    assert re.search(r'<select class="select" id="requested" name="requested" autofocus>', page)
    assert 'id="sms_consent" name="sms_consent" value="y">' in page  # Ann has not agreed to texts: unticked
    (viewed,) = audit_events(app, "patient.view")
    assert (viewed.actor_id, viewed.patient_id, viewed.channel) == (staff.id, ann, "phone")
    assert client.get("/staff/phone/patients/999999").status_code == 404


def test_new_patient_opens_an_empty_form_with_the_questions_in_the_order_of_the_call(client, signed_in):
    signed_in(client, "phone")
    page = text(client.get("/staff/phone/new"))
    assert "<h1>New patient</h1>" in page
    order = [page.index(label) for label in ("First name", "Date of birth", "Phone number", "Text messages",
                                             "What are they asking for?", "Seen at the clinic before?",
                                             "Likely cause", "Any of these right now?", "Referred by a physician?",
                                             "Find next available")]  # fmt: skip
    assert order == sorted(order)
    assert "Not sure: SI joint pain" in page
    assert "Reply STOP at any time to stop" in page  # the consent wording staff read out


# ----- routing, times, read-back, booking ------------------------------------------------------


def test_find_next_available_routes_the_caller_and_offers_the_first_free_day_with_nothing_chosen(
    client, make_provider, signed_in
):
    make_provider("pmr", name="Dr. Lin")
    signed_in(client, "phone")
    found = step(client)
    page = text(found)
    assert found.status_code == 200
    assert "New patients begin with a comprehensive evaluation in Physical Medicine" in page
    assert "Comprehensive SI joint evaluation (60 minutes)" in page
    times = slots(page)
    assert times and not re.search(r'name="slot" value="[^"]+" checked', page)
    # Day first: the first day with free times is shown, its first time has the focus (Enter or
    # an arrow chooses it), and the zone is said once above the times.
    first_day = to_clinic(datetime.fromisoformat(times[0].split("|")[0])).date().isoformat()
    assert shown_day(page) == picker_days(page)[0] == first_day
    assert re.search(rf'name="slot" value="{re.escape(html.escape(times[0]))}" autofocus', page)
    assert re.search(r"Times are Central time \(C[SD]T\)", page)
    label = r'<span class="picker-clock">\d{1,2}(:\d{2})? [ap]\.m\.</span>, Dr. Lin \(physiatrist\)</label>'
    assert re.search(label, page)
    assert "<h4 class=\"picker-part\">Morning (" in page and "<h4 class=\"picker-part\">Afternoon (" in page
    assert "Urgent" not in page
    assert 'value="Cara"' in page and 'value="3/27/1970"' in page  # everything typed is still there
    # Reading back without a time is an error, and nothing was chosen meanwhile.
    refused = step(client, page, "readback")
    assert refused.status_code == 422 and '<a href="#slot">Select a time for the visit</a>' in text(refused)


def test_a_red_flag_routes_to_an_urgent_evaluation_with_the_notice(client, make_provider, signed_in):
    make_provider("pmr")
    signed_in(client, "scheduler")
    page = text(step(client, red_flags="fever", requested="unsure"))
    assert "Book a physician's earliest time" in page and "Red flags: Fever" in page
    assert "A possible infection, a fever or sudden inability to bear weight needs an urgent evaluation." in page
    assert "call 911" in page


def test_the_read_back_then_booking_records_the_phone_channel_and_the_staff_member(
    client, app, make_provider, signed_in
):
    make_provider("pmr", name="Dr. Lin")
    staff = signed_in(client, "phone")
    listed = text(step(client))
    chosen = slots(listed)[1]
    read = text(step(client, listed, "readback", slot=chosen))
    panel = read[read.index('id="read-back"') :]
    start = chosen.split("|")[0]
    assert re.search(
        r"(Monday|Tuesday|Wednesday|Thursday|Friday), \w+ \d+, \d{4} at \d{1,2}(:\d{2})? [ap]\.m\. C[SD]T", panel
    )
    for expected in ("Dr. Lin", "SI Joint Clinic, 200 First Street SW (placeholder), Rochester, MN 55905",
                     "Comprehensive SI joint evaluation",
                     "Bring a list of your medicines", "Cara Diaz, born 03/27/1970", "(507) 555-0177",
                     "Book <span class=\"key-hint\">(Ctrl+Enter)</span>"):  # fmt: skip
        assert expected in panel, expected
    assert not appointments(app)  # a read-back books nothing

    booked = step(client, read, "book")
    assert booked.status_code == 303
    (appointment,) = appointments(app)
    assert booked.headers["Location"] == f"/staff/phone/booked/{appointment.id}"
    assert appointment.channel == "phone" and appointment.starts_at.isoformat() == start
    (row,) = audit_events(app, "appointment.book")
    assert (row.actor_kind, row.actor_id, row.channel) == ("staff", staff.id, "phone")
    assert row.record_id == str(appointment.id) and row.patient_id == appointment.patient_id
    confirmation = text(client.get(booked.headers["Location"]))
    assert appointment.reference in confirmation and "Next call" in confirmation
    assert audit_events(app)[-1].action == "appointment.view"


def test_booking_what_was_not_read_back_shows_the_read_back_again(client, app, make_provider, signed_in):
    make_provider("pmr")
    signed_in(client, "phone")
    listed = text(step(client))
    read = text(step(client, listed, "readback", slot=first_time(listed)))
    changed = step(client, read, "book", phone="507-555-0188")
    assert changed.status_code == 422 and CHANGED in text(changed)
    assert "(507) 555-0188" in text(changed)[text(changed).index('id="read-back"') :]
    assert not appointments(app)
    assert step(client, text(changed), "book", phone="507-555-0188").status_code == 303


def test_an_existing_patient_is_booked_on_their_own_record(client, app, make_provider, signed_in):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    signed_in(client, "phone")
    picked = text(client.get(f"/staff/phone/patients/{ann}"))
    answers = {"given_name": "Ann", "family_name": "Lee", "birth_date_text": "03/03/1970", "phone": "(507) 555-0101",
               "email": "ann.lee@example.com", "patient_id": str(ann), "sms_consent": "y"}  # fmt: skip
    listed = text(step(client, picked, **answers))
    assert "may be a patient already on record" not in listed
    read = text(step(client, listed, "readback", slot=first_time(listed), **answers))
    assert "Yes, agreed on this call" in read
    assert step(client, read, "book", **answers).status_code == 303
    assert [p.id for p in patients(app)] == [ann]
    (appointment,) = appointments(app)
    assert appointment.patient_id == ann
    assert patients(app)[0].sms_consent  # the verbal consent is saved on the record


# ----- the time picker without JavaScript: round trips that keep everything typed ---------------


def test_another_day_later_days_and_one_providers_times_come_back_with_everything_typed(
    client, app, make_provider, signed_in
):
    make_provider("pmr", name="Dr. Lin")
    ortiz = make_provider("pmr", name="Dr. Ortiz")
    signed_in(client, "phone")
    typed = {"email": "cara@example.com", "sms_consent": "y"}
    listed = text(step(client, **typed))
    days = picker_days(listed)
    assert len(days) == time_picker.DAYS_SHOWN and days == sorted(days)
    chosen = first_time(listed)  # a time on the first day, chosen before looking at another
    # A time chosen on the day shown stays chosen over a round trip, and is said under the times.
    kept = text(step(client, listed, None, slot=chosen, go_provider="1", **typed))
    assert checked_slot(kept) == chosen and shown_day(kept) == days[0]
    said = r"Chosen: \w{3} \w{3} \d{1,2}, \d{4} at \d{1,2}(:\d{2})? [ap]\.m\. C[SD]T with Dr\. (Lin|Ortiz) "
    said += r"\(physiatrist\)"
    assert re.search(said, kept)

    # Another day: a button of the booking form, so the whole form travels with it.
    other = step(client, listed, None, slot=chosen, go_shown=days[2], **typed)
    page = text(other)
    assert other.status_code == 200 and "There is a problem" not in page
    assert shown_day(page) == days[2] and hidden(page, "shown") == days[2]
    third_day = slots(panel(page, days[2]))
    assert re.search(rf'name="slot" value="{re.escape(html.escape(third_day[0]))}" autofocus', page)  # its first time
    assert ' hidden>' in panel(page, days[0]).split("\n")[0]
    for kept in ('value="Cara"', 'value="Diaz"', 'value="3/27/1970"', 'value="507-555-0177"',
                 'value="cara@example.com"',
                 'id="sms_consent" name="sms_consent" value="y" checked', 'name="seen_before" value="no" checked',
                 'name="cause" value="trauma" checked', '<option value="evaluation" selected>'):  # fmt: skip
        assert kept in page, kept
    # The time chosen on the day left is left with it: a time is chosen on the day shown.
    assert not re.search(r'name="slot" value="[^"]+" checked', page) and "No time chosen yet." in page
    assert 'id="read-back"' not in page and not appointments(app)

    # Later days, then earlier ones again: never before today.
    later = re.search(r'name="go_from" value="([^"]+)">Later days</button>', page).group(1)
    assert later > days[-1]
    on = text(step(client, page, None, go_from=later, **typed))
    assert min(picker_days(on)) >= later and hidden(on, "from") == later
    assert re.search(r'data-picker-day="[^"]+" aria-current="true" autofocus', on)  # the first of the new days
    assert 'value="cara@example.com"' in on and 'name="cause" value="trauma" checked' in on
    earlier = re.search(r'name="go_from" value="([^"]+)">Earlier days</button>', on).group(1)
    assert earlier == (date.fromisoformat(later) - timedelta(days=7)).isoformat()
    assert picker_days(text(step(client, on, None, go_from=earlier, **typed)))[0] >= earlier
    # "Find next available" starts from the earliest day again.
    assert picker_days(text(step(client, on, **typed))) == days

    # One provider's times, the filter kept on the next step; anyone again with the empty choice.
    theirs = text(step(client, listed, None, provider=str(ortiz), go_provider="1", **typed))
    assert slots(theirs) and all(value.endswith(f"|{ortiz}") for value in slots(theirs))
    assert f'<option value="{ortiz}" selected>Dr. Ortiz (physiatrist)</option>' in theirs
    assert 'id="slot-provider" name="provider" autofocus' in theirs and 'value="cara@example.com"' in theirs
    read = text(step(client, theirs, "readback", provider=str(ortiz), slot=first_time(theirs), **typed))
    assert all(value.endswith(f"|{ortiz}") for value in slots(read))
    assert "Dr. Ortiz" in read[read.index('id="read-back"') :]
    anyone = text(step(client, theirs, None, provider="", go_provider="1", **typed))
    assert {value.rsplit("|", 1)[1] for value in slots(anyone)} != {str(ortiz)}
    # A provider who may not be offered the visit, or none at all: everyone's times, no error.
    for stranger in (str(make_provider("radiology-pain")), "999999", "x"):
        answer = step(client, listed, None, provider=stranger, go_provider="1", **typed)
        assert answer.status_code == 200 and slots(text(answer)), stranger


def test_a_broken_picker_value_is_ignored_and_keeps_what_was_typed(client, make_provider, signed_in):
    make_provider("pmr")
    signed_in(client, "phone")
    listed = text(step(client))
    for changes in ({"go_shown": "9999-12-31"}, {"go_shown": "yesterday"}, {"go_from": "0001-01-01"},
                    {"go_from": "2999-01-01"},
                    {"from": "\u2603", "action": "readback", "slot": first_time(listed)}):  # fmt: skip
        action = changes.pop("action", None)
        answer = step(client, listed, action, **changes)
        page = text(answer)
        assert answer.status_code == 200 and 'value="Cara"' in page and slots(page), (action, changes)


# ----- a returning caller ----------------------------------------------------------------------


def test_a_returning_caller_is_not_asked_the_likely_cause_or_the_referral(client, app, make_provider, signed_in):
    make_provider("pmr", name="Dr. Lin")
    signed_in(client, "phone")
    new = text(client.get("/staff/phone/new"))
    # The domain's one rule names what is skipped; a caller who has not said is asked everything.
    assert 'data-returning-skips="cause referred"' in new
    assert '<div data-question="cause">' in new and '<div data-question="referred">' in new
    assert "If yes, the questions the clinic&#39;s records answer (the likely cause, the referral)" in new

    returning = {"seen_before": "yes", "cause": None, "referred": None}
    found = step(client, **returning)
    page = text(found)
    assert found.status_code == 200 and "There is a problem" not in page and slots(page)
    assert '<div data-question="cause" hidden>' in page and '<div data-question="referred" hidden>' in page
    # An answer left in the hidden boxes (typed before "yes") counts for nothing, as on the patient
    # pages: "infection" would have made the call urgent.
    stale = text(step(client, seen_before="yes", cause="infection", referred="yes"))
    assert "Urgent" not in stale and "There is a problem" not in stale
    assert re.search(r"<dt>Why</dt><dd>([^<]*)</dd>", stale).group(1) == re.search(r"<dt>Why</dt><dd>([^<]*)</dd>",
                                                                                 page).group(1)  # fmt: skip
    read = text(step(client, page, "readback", slot=first_time(page), seen_before="yes", cause="infection"))
    assert step(client, read, "book", seen_before="yes", cause="infection").status_code == 303
    (appointment,) = appointments(app)
    answers = appointment.answers
    assert (answers.seen_before, answers.cause, answers.referred) == (True, "unknown", False)

    # A new caller must still answer both; the summary's links land on the first choice of each.
    refused = step(client, seen_before="no", cause=None, referred=None)
    asked = text(refused)
    assert refused.status_code == 422
    assert '<a href="#cause">Select the likely cause' in asked and 'type="radio" id="cause" name="cause"' in asked
    assert '<a href="#referred">Select yes if a physician referred the caller' in asked
    assert 'type="radio" id="referred" name="referred"' in asked and 'id="referred-1" name="referred"' in asked
    assert '<div data-question="cause">' in asked
    # Not said yet: every question is asked.
    unsaid = text(step(client, seen_before=None, cause=None))
    assert '<a href="#seen_before">' in unsaid and '<a href="#cause">' in unsaid


# ----- likely duplicates -----------------------------------------------------------------------


def test_a_likely_duplicate_is_a_warning_with_use_this_patient_chosen(client, app, make_provider, signed_in):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    signed_in(client, "phone")
    # Same birth date, a similar name, another phone: maybe Ann, maybe not.
    caller = {"given_name": "Anne", "family_name": "Leigh", "birth_date_text": "1970-03-03", "phone": "507-555-0199"}
    warned = step(client, **caller)
    page = text(warned)
    assert warned.status_code == 200  # a warning, not an error
    assert "This may be a patient already on record" in page
    assert re.search(rf'name="duplicate_choice" value="{ann}" checked autofocus>', page)
    assert "Use this patient: <strong>Lee, Ann</strong>, born 03/03/1970" in page
    assert re.search(r'value="new">\s*<label for="duplicate_choice-new">None of these: create a new patient', page)
    assert 'name="slot"' not in page  # the record is settled before times are offered
    # Continuing with the default uses Ann's record: her details, her history.
    used = text(step(client, page, duplicate_choice=str(ann), **caller))
    assert "Using the record on file" in used and "<h1>Booking for Lee, Ann</h1>" in used
    assert hidden(used, "patient_id") == str(ann) and 'value="(507) 555-0101"' in used
    form = {"given_name": "Ann", "family_name": "Lee", "birth_date_text": "03/03/1970", "phone": "(507) 555-0101"}
    read = text(step(client, used, "readback", slot=first_time(used), **form))
    assert step(client, read, "book", **form).status_code == 303
    assert [p.id for p in patients(app)] == [ann]
    assert not audit_events(app, "patient.create-despite-duplicate")


def test_creating_a_patient_despite_the_warning_is_an_explicit_choice_and_is_audited(
    client, app, make_provider, signed_in
):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    staff = signed_in(client, "phone")
    caller = {"given_name": "Anne", "family_name": "Leigh", "birth_date_text": "1970-03-03", "phone": "507-555-0199"}
    warned = text(step(client, **caller))
    # "new" without having seen the warning is not enough: the warning comes back.
    assert "This may be a patient already on record" in text(step(client, duplicate_choice="new", **caller))
    listed = text(step(client, warned, duplicate_choice="new", **caller))
    assert "This may be a patient already on record" not in listed and 'name="duplicate_choice" value="new"' in listed
    read = text(step(client, listed, "readback", slot=first_time(listed), duplicate_choice="new", **caller))
    assert step(client, read, "book", duplicate_choice="new", **caller).status_code == 303
    new = next(p for p in patients(app) if p.id != ann)
    assert (new.given_name, new.family_name) == ("Anne", "Leigh")
    (row,) = audit_events(app, "patient.create-despite-duplicate")
    assert (row.actor_id, row.channel, row.record_type, row.patient_id) == (staff.id, "phone", "patient", new.id)
    assert row.detail == f"likely duplicates shown: {ann}"  # ids only: no names, dates or numbers


def test_the_same_phone_or_email_is_a_likely_duplicate_too(client, app, make_provider, signed_in):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    signed_in(client, "phone")
    for caller in ({"phone": "507-555-0101"}, {"phone": "", "email": "ann.lee@example.com"}):
        page = text(step(client, given_name="Zed", family_name="Young", **caller))
        assert re.search(rf'name="duplicate_choice" value="{ann}" checked', page), caller


def test_details_that_match_a_record_exactly_are_booked_on_it_without_a_warning(client, app, make_provider, signed_in):
    make_provider("pmr")
    ann = add_patient(app, ANN)
    signed_in(client, "phone")
    same = {"given_name": "ann", "family_name": "LEE", "birth_date_text": "3/3/1970", "phone": "507 555 0101"}
    page = text(step(client, **same))
    assert "match a patient already on record" in page and hidden(page, "patient_id") == str(ann)
    assert "This may be a patient already on record" not in page


# ----- a time taken, errors ---------------------------------------------------------------------


def test_a_time_taken_between_listing_and_booking_gets_a_clear_message_and_fresh_times(
    client, app, make_provider, signed_in
):
    make_provider("pmr")
    signed_in(client, "phone")
    listed = text(step(client))
    read = text(step(client, listed, "readback", slot=first_time(listed)))
    chosen = checked_slot(read)
    start = chosen.split("|")[0]
    with app.app_context():  # someone else takes it meanwhile
        staff_visits.book_for_patient(visit_type_code="evaluation", start=datetime.fromisoformat(start), patient=BOB,
                                      actor=staff_visits.Actor(1, "scheduler"))  # fmt: skip
    taken = step(client, read, "book")
    page = text(taken)
    assert taken.status_code == 409
    assert TAKEN in page and "<title>Error: " in page and '<a href="#slot">' in page
    assert chosen not in slots(page) and slots(page)
    assert not re.search(r'name="slot" value="[^"]+" checked', page)  # fresh times: none chosen for staff
    assert 'value="Cara"' in page and 'value="3/27/1970"' in page and 'value="507-555-0177"' in page
    assert len(appointments(app)) == 1


@pytest.mark.parametrize(
    ("changes", "message", "target"),
    [
        ({"given_name": ""}, "Enter the patient&#39;s first name", "given_name"),
        ({"birth_date_text": "13/45/1970"}, "Date of birth must be a real date", "birth_date_text"),
        ({"birth_date_text": "March third"}, "Enter the date of birth like 3/27/1970 or 1970-03-27", "birth_date_text"),
        ({"birth_date_text": "1/1/2999"}, "Enter a real date of birth, in the past.", "birth_date_text"),
        ({"phone": "12"}, "Enter a phone number we can call", "phone"),
        ({"phone": "", "email": ""}, "Give a phone number or an email address", "phone"),
        ({"email": "not an email"}, "Enter an email address like name@example.com.", "email"),
        ({"sms_consent": "y", "phone": "", "email": "c@example.com"}, "Text messages need a phone number.", "phone"),
        ({"requested": ""}, "Select what the caller is asking for", "requested"),
        ({"requested": "no-such-visit"}, "Not a valid choice", "requested"),
        ({"cause": None}, "Select the likely cause", "cause"),
        ({"given_name": "Ca\x00ra"}, "Use letters, numbers and punctuation only.", "given_name"),
    ],
)
def test_every_error_is_summarised_and_inline_and_keeps_what_was_typed(
    client, make_provider, signed_in, changes, message, target
):
    make_provider("pmr")
    signed_in(client, "phone")
    refused = step(client, **changes)
    page = text(refused)
    assert refused.status_code == 422
    assert "<title>Error: " in page and 'class="error-summary"' in page
    assert f'<a href="#{target}">' in page and message in page
    assert f'id="{target}-error"' in page
    assert 'value="Diaz"' in page  # the rest of the answers are still there
    assert 'name="slot"' not in page


def test_a_missing_or_unparseable_time_is_an_error_not_a_crash(client, make_provider, signed_in):
    make_provider("pmr")
    signed_in(client, "phone")
    listed = text(step(client))
    for slot in ("", "yesterday|1", "2020-01-01T09:00:00|x"):
        refused = step(client, listed, "readback", slot=slot)
        assert refused.status_code == 422, slot
    past = step(client, listed, "readback", slot="2020-01-06T15:00:00+00:00|1")
    booked = step(client, text(past), "book", slot="2020-01-06T15:00:00+00:00|1")
    assert booked.status_code == 422 and "error-summary" in text(booked)


def test_birth_dates_are_read_in_us_and_iso_order():
    assert parse_birth_date("3/27/1970") == date(1970, 3, 27)
    assert parse_birth_date(" 03-27-1970 ") == date(1970, 3, 27)
    assert parse_birth_date("1970-03-27") == date(1970, 3, 27)
    assert parse_birth_date("03271970") == date(1970, 3, 27)
    for bad in ("", "27/3/1970", "1970/27/03", "3/27/70", "2/30/1970"):
        with pytest.raises(ValueError):
            parse_birth_date(bad)


# ----- a race with a patient -------------------------------------------------------------------


def test_phone_staff_and_a_patient_racing_for_the_same_time_one_wins_and_the_other_is_told(
    app, make_provider, staff_user
):
    make_provider("pmr")
    staff = staff_user("phone")
    phone = app.test_client()
    phone.post("/staff/login", data={"username": staff.username, "password": staff.password})
    listed = text(step(phone))
    read = text(step(phone, listed, "readback", slot=first_time(listed)))
    start = checked_slot(read).split("|")[0]
    patient = app.test_client()
    racer = patient_json(phone="507-555-0150", email="racer@example.com")
    body = booking_json(datetime.fromisoformat(start), patient=racer)
    together = threading.Barrier(2)
    results: dict[str, object] = {}

    def staff_books() -> None:
        together.wait(10)
        results["phone"] = step(phone, read, "book")

    def patient_books() -> None:
        together.wait(10)
        results["patient"] = patient.post("/api/v1/appointments", json=body)

    threads = [threading.Thread(target=staff_books), threading.Thread(target=patient_books)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    staff_answer, patient_answer = results["phone"], results["patient"]
    assert sorted([staff_answer.status_code, patient_answer.status_code]) in ([201, 409], [303, 409])
    if patient_answer.status_code == 201:
        assert TAKEN in text(staff_answer)
    else:
        assert staff_answer.status_code == 303
        assert patient_answer.get_json()["error"] == "slot_taken"
    booked_then = [a for a in appointments(app) if a.starts_at.isoformat() == start]
    assert len(booked_then) == 1


def test_the_console_needs_a_staff_role(client, signed_in):
    assert client.get("/staff/phone").status_code == 302
    assert client.post("/staff/phone/search", data={"q": "lee"}).status_code in (302, 401)
    signed_in(client, "phone")
    assert client.get("/staff/phone/new").status_code == 200
