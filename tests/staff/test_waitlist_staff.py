"""The waitlist as staff see and run it (issue 17): a specialty's waitlist page (who, since when,
windows in words, providers, priority, expiry, offers and their outcomes; each view audited),
taking an entry off after a confirmation (schedulers), "N waiting fit" on free calendar cells and
in the move dialog (one read of the waitlist per page, however many wait), a visit type's waitlist
rules on the admin page (range-checked, audited), and a caller added from the phone console.

Real database, no part of ours faked."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import Windows
from scheduler.services import booking
from scheduler.services import waitlist
from scheduler.services import waitlist_claims
from scheduler.services import waitlist_offers
from scheduler.services import waitlist_staff
from scheduler.services.references import claim_token
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text
from tests.staff.conftest import audit_events

NEW_PATIENT = Intake("evaluation", seen_before=False, cause="trauma", referred=False)


def person(n: int, *, email: bool = True) -> PatientDetails:
    return PatientDetails(
        f"Waiting{n}",
        "Lee",
        date(1970, 1, 1) + timedelta(days=n),
        f"+1507555{n:04d}",
        f"waiting{n}@example.com" if email else None,
    )


def join(app: Any, n: int, **kwargs: Any) -> waitlist.WaitlistView:
    kwargs.setdefault("patient", person(n))
    with app.app_context():
        return waitlist.join(visit_type_code=kwargs.pop("visit_type", "evaluation"), **kwargs).view


def book(app: Any, n: int, start: Any) -> int:
    with app.app_context():
        return booking.book_appointment(
            visit_type_code="evaluation", start=start, patient=person(n), intake=NEW_PATIENT, channel="web"
        ).appointment.id


def entry(app: Any, reference: str) -> models.WaitlistEntry:
    with app.app_context():
        return db.session.execute(select(models.WaitlistEntry).filter_by(reference=reference)).scalar_one()


def section(page: str, reference: str) -> str:
    found = re.search(rf'<section[^>]*id="{reference}".*?</section>', page, re.S)
    assert found, reference
    return found.group(0)


class Statements:
    """Counts the SQL statements run while it is open (what a page costs the database)."""

    def __init__(self, app: Any) -> None:
        self.app, self.count = app, 0

    def __enter__(self) -> Statements:
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


# ----- the waitlist page ------------------------------------------------------------------------------


def test_the_specialty_waitlist_shows_who_waits_for_what_when_and_the_offers_sent_and_is_audited(
    app, client, signed_in, make_provider
):
    provider = make_provider("pmr", name="Dr. Ada Park")
    day = next_clinic_day(after_days=5)
    visit = book(app, 1, central(day, 9))
    mondays_tuesdays_mornings = waitlist.windows_from(earliest=day, weekdays=[0, 1], parts_of_day=["morning"])
    routine = join(app, 2, windows=mondays_tuesdays_mornings)
    urgent = join(app, 3, provider_ids=[provider], priority=Priority.URGENT, channel="phone", staff_id=None)
    with app.app_context():
        booking.cancel_visit(visit, None, notify=False)
        waitlist_offers.run_pass()
    staff = signed_in(client, "scheduler")
    response = client.get("/staff/waitlist?specialty=pmr")
    assert response.status_code == 200
    page = page_text(response)
    # Urgent first, then the longest waiting.
    assert page.index(urgent.reference) < page.index(routine.reference)
    first = section(page, urgent.reference)
    assert "Urgent" in first and "Waiting3" in first and f"/staff/patients/{urgent.patient_id}" in first
    assert "Dr. Ada Park" in first and "any day and time the clinic is open" in first
    second = section(page, routine.reference)
    assert "Mondays and Tuesdays; mornings; from " in second and "anyone who does this visit" in second
    assert "Routine" in second and "unless renewed" in second
    # The cancelled 9:00 was offered to both (urgent first): each says so, and that it waits for an answer.
    assert "offered, waiting for an answer" in first and "offered, waiting for an answer" in second
    assert "(2 waiting" in page and "1 urgent" in page  # the specialty's tab
    assert "off the waitlist</a>" in page
    (seen,) = audit_events(app, "waitlist.view")
    assert seen.actor_id == staff.id and seen.record_id == "pmr"
    assert urgent.reference in seen.detail and routine.reference in seen.detail and "Waiting" not in seen.detail


def test_phone_staff_see_the_waitlist_but_only_schedulers_take_an_entry_off_after_confirming(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    joined = join(app, 1)
    signed_in(client, "phone")
    page = page_text(client.get("/staff/waitlist?specialty=pmr"))
    assert joined.reference in page and "off the waitlist</a>" not in page
    assert client.get(f"/staff/waitlist/{joined.reference}/take-off").status_code == 403
    assert client.post(f"/staff/waitlist/{joined.reference}/take-off").status_code == 403

    other = app.test_client()
    staff = signed_in(other, "scheduler")
    confirm = other.get(f"/staff/waitlist/{joined.reference}/take-off?specialty=pmr")
    assert confirm.status_code == 200 and "Yes, take it off the waitlist" in page_text(confirm)
    assert entry(app, joined.reference).status == EntryStatus.WAITING  # nothing happens on a GET
    done = other.post(f"/staff/waitlist/{joined.reference}/take-off?specialty=pmr")
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/waitlist?specialty=pmr")
    assert entry(app, joined.reference).status == EntryStatus.LEFT
    (left,) = audit_events(app, "waitlist_left")
    assert left.actor_kind == "staff" and left.actor_id == staff.id and left.record_id == joined.reference
    page = page_text(other.get("/staff/waitlist?specialty=pmr"))
    assert "is off the waitlist" in page and "Nobody is waiting" in page
    assert other.post("/staff/waitlist/WL-NOSUCH/take-off").status_code == 404


def test_a_long_waitlist_is_paged_and_costs_the_same_queries_however_many_wait(app, client, signed_in, make_provider):
    make_provider("pmr")
    join(app, 1)
    signed_in(client, "admin")
    with Statements(app) as few:
        client.get("/staff/waitlist?specialty=pmr")
    for n in range(2, 56):
        join(app, n)
    with Statements(app) as many:
        response = client.get("/staff/waitlist?specialty=pmr")
    assert many.count == few.count
    page = page_text(response)
    assert "Page 1 of 2" in page and page.count("<section") == waitlist_staff.PER_PAGE
    assert page_text(client.get("/staff/waitlist?specialty=pmr&page=2")).count("<section") == 5


# ----- "N waiting fit this time" ----------------------------------------------------------------------


def test_free_calendar_cells_say_how_many_waiting_fit_them_with_one_read_of_the_waitlist(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    join(app, 1, windows=waitlist.windows_from(earliest=day, latest=day, parts_of_day=["afternoon"]))
    signed_in(client, "scheduler")
    with Statements(app) as one:
        page = page_text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    # The afternoon cells from which a whole evaluation fits before the day ends.
    fits = fit_cells(page)
    assert 0 < len(fits) < 20 and set(fits) == {"1 waiting fits"}
    assert ">noon<" in page and fit_cells(page.split(">noon<")[0]) == []  # no morning cell
    for n in range(2, 8):
        join(app, n, windows=Windows(earliest=day, latest=day))
    with Statements(app) as more:
        page = page_text(client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}"))
    assert more.count == one.count
    assert "6 waiting fit" in fit_cells(page) and "7 waiting fit" in fit_cells(page)
    # The week view says it too, and nothing is said on another day.
    week = page_text(client.get(f"/staff/calendar/provider/{_provider_id(app)}?week={day.isoformat()}"))
    assert "7 waiting fit" in fit_cells(week)
    other = day + timedelta(days=7)
    assert fit_cells(page_text(client.get(f"/staff/calendar?specialty=pmr&day={other.isoformat()}"))) == []


def fit_cells(page: str) -> list[str]:
    """What the free cells say of the waitlist ("1 waiting fits"), top to bottom."""
    return re.findall(r'class="small waiting-fit"[^>]*>([^<]*)<', page)


def _provider_id(app: Any) -> int:
    with app.app_context():
        return db.session.execute(select(models.Provider.id)).scalars().first()


def test_the_move_dialog_says_how_many_waiting_fit_each_time_and_the_visits_own(app, client, signed_in, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    visit = book(app, 1, central(day, 9))
    join(app, 2, windows=Windows(earliest=day, latest=day))
    signed_in(client, "scheduler")
    page = page_text(client.get(f"/staff/visits/{visit}/move?from={day.isoformat()}"))
    assert "1 waiting fits its current time" in page
    assert "(1 waiting fits)" in page
    later = day + timedelta(days=1)
    page = page_text(client.get(f"/staff/visits/{visit}/move?from={later.isoformat()}"))
    assert later.strftime("%A, %B") in page  # from the next day: no time listed has anyone waiting that fits
    assert "waiting fits its current time" in page and not re.search(r"\(\d+ waiting fits?\)", page)


def test_fit_counts_follow_the_workers_rule(app, make_provider):
    provider = make_provider("pmr")
    day = next_clinic_day(after_days=5)
    join(app, 1, windows=Windows(weekdays=frozenset({day.weekday()})))
    join(app, 2, provider_ids=[make_provider("pmr")])  # another provider only
    with app.app_context():
        nine = central(day, 9)
        asked = [waitlist_staff.OpenTime(provider, nine, 60), waitlist_staff.OpenTime(provider, nine, 15)]
        counts = waitlist_staff.fit_counts(asked)
        # Free for an hour: the evaluation fits (entry 1 only); free for a quarter hour: nothing does.
        assert counts == {(provider, nine): 1}
        assert len(waitlist_staff.waiting_that_fit("evaluation", provider, nine)) == 1
        assert waitlist_staff.fit_counts(asked, visit_type_code="injection") == {}


# ----- a visit type's waitlist rules ------------------------------------------------------------------


def test_an_admin_sets_a_visit_types_waitlist_rules_range_checked_and_audited(app, client, signed_in):
    staff = signed_in(client, "admin")
    page = page_text(client.get("/staff/admin/visit-types?code=injection"))
    assert "Waitlist rules for" in page and 'name="notice_hours"' in page and 'value="72"' in page
    refused = client.post(
        "/staff/admin/visit-types/injection/waitlist",
        data={"notice_hours": "400", "batch_size": "0", "hold_minutes": "2"},
    )
    assert refused.status_code == 422
    text = page_text(refused)
    assert "from 0 to 336" in text and "from 1 to 20" in text and "from 5 to 240" in text
    saved = client.post(
        "/staff/admin/visit-types/injection/waitlist",
        data={"notice_hours": "48", "batch_size": "5", "hold_minutes": "20"},
    )
    assert saved.status_code == 303
    with app.app_context():
        row = db.session.execute(select(models.VisitType).filter_by(code="injection")).scalar_one()
        assert (row.waitlist_notice_minutes, row.waitlist_batch_size, row.waitlist_hold_minutes) == (48 * 60, 5, 20)
    client.post("/staff/admin/visit-types/injection/waitlist", data={"notice_hours": "", "batch_size": "3",
                                                                     "hold_minutes": "30"})  # fmt: skip
    with app.app_context():
        row = db.session.execute(select(models.VisitType).filter_by(code="injection")).scalar_one()
        assert row.waitlist_notice_minutes is None  # the clinic's booking notice
    events = audit_events(app, "visit-type.waitlist-rules")
    assert [e.detail for e in events] == [
        "notice 2880 min, batch 5, hold 20 min",
        "clinic notice, batch 3, hold 30 min",
    ]
    assert {e.actor_id for e in events} == {staff.id}
    assert (
        client.post(
            "/staff/admin/visit-types/nosuch/waitlist", data={"batch_size": "3", "hold_minutes": "30"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["scheduler", "phone"])
def test_only_admins_set_waitlist_rules(app, client, signed_in, role):
    signed_in(client, role)
    answer = client.post("/staff/admin/visit-types/injection/waitlist", data={"batch_size": "3", "hold_minutes": "30"})
    assert answer.status_code == 403


# ----- a caller added from the phone console ------------------------------------------------------------


def test_phone_staff_add_a_typed_caller_and_the_entry_is_a_phone_join_by_them(app, client, signed_in, make_provider):
    provider = make_provider("pmr", name="Dr. Ada Park")
    staff = signed_in(client, "phone")
    form = page_text(client.get("/staff/phone/waitlist"))
    assert 'name="priority"' not in form  # urgent is for schedulers
    answer = client.post(
        "/staff/phone/waitlist",
        data={"given_name": "Rosa", "family_name": "Quist", "birth_date_text": "11/4/1958", "phone": "507 555 0133",
              "email": "rosa@example.com", "visit_type": "evaluation", "days": ["1", "3"], "parts_of_day": ["morning"],
              "providers": [str(provider)]},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/staff/waitlist?specialty=pmr#WL-")
    reference = answer.headers["Location"].rsplit("#", 1)[1]
    row = entry(app, reference)
    assert row.channel == "phone" and row.priority == Priority.ROUTINE
    assert (row.weekdays, row.parts_of_day, row.provider_ids) == ([1, 3], ["morning"], [provider])
    (joined,) = audit_events(app, "waitlist_joined")
    assert joined.actor_kind == "staff" and joined.actor_id == staff.id and joined.channel == "phone"
    page = page_text(client.get("/staff/waitlist?specialty=pmr"))
    assert "Added to the waitlist" in page and "Quist, Rosa" in section(page, reference)
    assert "Tuesdays and Thursdays; mornings" in section(page, reference)


def test_phone_staff_cannot_make_an_entry_urgent_and_mistakes_are_told_with_everything_kept(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    signed_in(client, "phone")
    urgent = client.post(
        "/staff/phone/waitlist",
        data={"given_name": "Rosa", "family_name": "Quist", "birth_date_text": "11/4/1958", "phone": "507 555 0133",
              "email": "rosa@example.com", "visit_type": "evaluation", "priority": "urgent"},
    )  # fmt: skip
    assert urgent.status_code == 422 and "Only a scheduler can make" in page_text(urgent)
    # The question is shown with its error, and the summary's link lands on its first choice.
    refused = page_text(urgent)
    assert '<a href="#priority">Only a scheduler can make' in refused and 'id="priority-error"' in refused
    assert 'type="radio" id="priority" name="priority" value="routine"' in refused
    assert 'type="radio" id="priority-1" name="priority" value="urgent" checked' in refused
    odd_day = page_text(client.post("/staff/phone/waitlist", data={"given_name": "Rosa", "days": ["1", "9"]}))
    assert '<a href="#days">' in odd_day and 'type="checkbox" id="days" name="days" value="0"' in odd_day
    assert 'type="checkbox" id="days-1" name="days" value="1" checked' in odd_day  # what was ticked is kept
    empty = client.post("/staff/phone/waitlist", data={"given_name": "Rosa", "visit_type": ""})
    text = page_text(empty)
    assert empty.status_code == 422 and 'value="Rosa"' in text
    assert "Enter the patient&#39;s last name" in text and "Select the visit they are waiting for" in text
    # No email and no texts: offers could not reach them.
    unreachable = client.post(
        "/staff/phone/waitlist",
        data={"given_name": "Rosa", "family_name": "Quist", "birth_date_text": "11/4/1958", "phone": "507 555 0133",
              "visit_type": "evaluation"},
    )  # fmt: skip
    assert unreachable.status_code == 422 and "so that offers can reach them" in page_text(unreachable)
    with app.app_context():
        assert db.session.execute(select(models.WaitlistEntry)).first() is None


def test_a_scheduler_adds_a_caller_found_on_record_as_urgent(app, client, signed_in, make_provider):
    make_provider("pmr")
    visit = book(app, 1, central(next_clinic_day(after_days=5), 9))
    with app.app_context():
        patient_id = db.session.get(models.Appointment, visit).patient_id
    signed_in(client, "scheduler")
    form = page_text(client.get(f"/staff/phone/patients/{patient_id}/waitlist"))
    assert "Lee, Waiting1" in form and 'name="given_name"' not in form and 'name="priority"' in form
    answer = client.post(f"/staff/phone/patients/{patient_id}/waitlist",
                         data={"visit_type": "evaluation", "priority": "urgent"})  # fmt: skip
    assert answer.status_code == 303
    row = entry(app, answer.headers["Location"].rsplit("#", 1)[1])
    assert row.patient_id == patient_id and row.priority == Priority.URGENT
    again = client.post(f"/staff/phone/patients/{patient_id}/waitlist", data={"visit_type": "evaluation"})
    assert again.status_code == 422 and "already on the waitlist" in page_text(again)
    assert client.get("/staff/phone/patients/999999/waitlist").status_code == 404


def test_the_booking_forms_add_to_the_waitlist_instead_brings_what_was_typed_and_the_routed_visit(
    app, client, signed_in, make_provider
):
    make_provider("pmr")
    signed_in(client, "phone")
    booking_form = {"given_name": "Rosa", "family_name": "Quist", "birth_date_text": "11/4/1958",
                    "phone": "507 555 0133", "email": "rosa@example.com", "sms_consent": "y", "requested": "evaluation",
                    "seen_before": "no", "cause": "trauma", "referred": "no", "action": "find"}  # fmt: skip
    found = page_text(client.post("/staff/phone/book", data=booking_form))
    assert 'name="from_booking" value="evaluation"' in found and "Add to the waitlist instead" in found
    moved = client.post("/staff/phone/waitlist", data={**booking_form, "from_booking": "evaluation"})
    page = page_text(moved)
    assert moved.status_code == 200 and "There is a problem" not in page
    assert (
        'value="Quist"' in page
        and 'value="11/4/1958"' in page
        and 'id="sms_consent" name="sms_consent" value="y" checked' in page
    )
    assert '<option value="evaluation" selected>' in page
    with app.app_context():
        assert db.session.execute(select(models.WaitlistEntry)).first() is None  # nothing joined yet
    joined = client.post("/staff/phone/waitlist", data={**booking_form, "visit_type": "evaluation"})
    assert joined.status_code == 303


def test_the_waitlist_says_when_an_offer_was_taken_by_someone_else_first(app, client, signed_in, make_provider):
    make_provider("pmr", name="Dr. Ada Park")
    day = next_clinic_day(after_days=5)
    visit = book(app, 1, central(day, 9))
    first, second = join(app, 2), join(app, 3)
    with app.app_context():
        booking.cancel_visit(visit, None, notify=False)
        waitlist_offers.run_pass()
        r, e = models.WaitlistRecipient, models.WaitlistEntry
        nonce = db.session.execute(
            select(r.nonce).join(e, e.id == r.entry_id).where(e.reference == first.reference)
        ).scalar_one()
        waitlist_claims.claim(claim_token(nonce))
    signed_in(client, "scheduler")
    page = page_text(client.get("/staff/waitlist?specialty=pmr"))
    assert first.reference not in page  # booked: off the waitlist
    assert "with Dr. Ada Park" in section(page, second.reference)
    assert "taken by someone else first" in section(page, second.reference)
