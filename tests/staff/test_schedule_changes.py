"""Schedule changes show their impact first: hours from a date, time off and closures over
several days list the visits they would strand, a person decides for each (move, cancel with
notice, keep as a flagged exception), and nothing is ever left outside hours silently."""

from __future__ import annotations

import re
from datetime import date
from datetime import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.intervals import Interval
from scheduler.domain.patients import PatientDetails
from scheduler.domain.schedule_changes import ClosureChange
from scheduler.domain.schedule_changes import HoursChange
from scheduler.domain.schedule_changes import TimeOffChange
from scheduler.domain.schedule_changes import misfit
from scheduler.services import clinic
from scheduler.services import schedule_changes
from scheduler.services import staff_visits
from scheduler.services.seed import seed_catalog
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import clear_database
from tests.conftest import next_clinic_day
from tests.staff.conftest import audit_events

SCHEDULER = staff_visits.Actor(staff_id=7, role="scheduler")
FULL_WEEK = tuple(WorkBlock(d, time(8), time(17)) for d in range(5))


def patient(n: int) -> PatientDetails:
    return PatientDetails(
        "Pat", f"Number{n}", date(1960, 1, 1) + timedelta(days=n), f"+1507555{n:04d}", f"pat{n}@example.com"
    )


def book(start, n: int = 1, provider_id: int | None = None):
    return staff_visits.book_for_patient(
        visit_type_code="evaluation", start=start, patient=patient(n), actor=SCHEDULER, provider_id=provider_id
    ).appointment


def appointment(visit_id: int) -> models.Appointment:
    db.session.expire_all()
    return db.session.get(models.Appointment, visit_id)


def test_time_off_over_a_booked_visit_lists_it_with_times_under_the_new_schedule_and_moves_it(app, make_provider):
    lin = make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        visit = book(central(day, 9))
        change = TimeOffChange(lin, central(day, 8), central(day, 12), "Conference")
        found = schedule_changes.review(change)
        (affected,) = found.affected
        assert affected.visit.id == visit.id and affected.reason == "Dr. Lin is away (time off)."
        assert affected.suggestions and all(s.start >= central(day, 12) for s in affected.suggestions)
        assert db.session.execute(select(models.TimeOff)).first() is None  # nothing written by a review
        target = affected.suggestions[0]
        schedule_changes.apply(change, {visit.id: target.value}, actor=SCHEDULER)
        moved = appointment(visit.id)
        assert (moved.starts_at, moved.status) == (target.start, AppointmentStatus.BOOKED)
        assert [o.reason for o in db.session.execute(select(models.TimeOff)).scalars()] == ["Conference"]
        kinds = [m.kind for m in db.session.execute(select(models.OutboxMessage)).scalars()]
        assert "rescheduled" in kinds  # the patient is told
    assert [e.action for e in audit_events(app)][-2:] == ["time-off.add", "appointment.move"]


def test_a_closure_over_several_days_cancels_with_notice_and_closes_every_day(app, make_provider):
    make_provider("pmr", name="Dr. Lin")
    first = next_clinic_day(after_days=5, weekday=1)  # a Tuesday
    with app.app_context():
        tuesday, wednesday = book(central(first, 10), 1), book(central(first + timedelta(days=1), 14), 2)
        outside = book(central(first + timedelta(days=3), 9), 3)  # Friday: not in the closure
        change = ClosureChange(first, first + timedelta(days=1), "Building works")
        found = schedule_changes.review(change)
        assert {a.visit.id for a in found.affected} == {tuesday.id, wednesday.id}
        assert all(a.reason.startswith("The clinic is closed all day for Building works") for a in found.affected)
        schedule_changes.apply(change, {tuesday.id: "cancel", wednesday.id: "cancel"}, actor=SCHEDULER)
        assert appointment(tuesday.id).status == appointment(wednesday.id).status == AppointmentStatus.CANCELLED
        assert appointment(tuesday.id).cancel_reason == "The clinic's schedule changed"
        assert appointment(outside.id).status == AppointmentStatus.BOOKED
        days = sorted(
            c.day for c in db.session.execute(select(models.Closure).filter_by(name="Building works")).scalars()
        )
        assert days == [first, first + timedelta(days=1)]
        cancelled = [m for m in db.session.execute(select(models.OutboxMessage)).scalars() if m.kind == "cancelled"]
        assert {m.appointment_id for m in cancelled} == {tuesday.id, wednesday.id}


def test_new_hours_from_a_date_affect_only_visits_from_that_date_and_a_kept_visit_is_flagged(app, make_provider):
    lin = make_provider("pmr", name="Dr. Lin")
    this_friday = next_clinic_day(after_days=2, weekday=4)
    next_friday = this_friday + timedelta(days=7)
    mornings_on_friday = tuple(b for b in FULL_WEEK if b.weekday != 4) + (WorkBlock(4, time(8), time(12)),)
    with app.app_context():
        before = book(central(this_friday, 14), 1)
        after = book(central(next_friday, 14), 2)
        change = HoursChange(lin, mornings_on_friday, effective_from=next_friday - timedelta(days=2))
        (affected,) = schedule_changes.review(change).affected
        assert affected.visit.id == after.id and affected.reason == "Outside Dr. Lin's hours."
        schedule_changes.apply(change, {after.id: "keep"}, actor=SCHEDULER)
        assert appointment(after.id).kept_outside_hours and not appointment(before.id).kept_outside_hours
        offer = clinic.current_catalog(utc_now())
        assert misfit(offer, lin, Interval(central(this_friday, 14), central(this_friday, 15))) is None
        assert misfit(offer, lin, Interval(central(next_friday, 14), central(next_friday, 15))) is not None
        needing, kept = schedule_changes.needing_attention()
        assert needing == [] and [k.visit.id for k in kept] == [after.id]


def test_a_change_reviewed_before_someone_booked_into_it_is_refused_and_nothing_changes(app, make_provider):
    lin = make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        first = book(central(day, 9), 1)
        change = TimeOffChange(lin, central(day, 8), central(day, 17))
        decided = {a.visit.id: "cancel" for a in schedule_changes.review(change).affected}
        book(central(day, 14), 2)  # meanwhile
        with pytest.raises(schedule_changes.ReviewAgain):
            schedule_changes.apply(change, decided, actor=SCHEDULER)
        db.session.rollback()
        assert db.session.execute(select(models.TimeOff)).first() is None
        assert appointment(first.id).status == AppointmentStatus.BOOKED


def test_visits_stranded_by_any_other_means_are_listed_as_needing_attention(app, make_provider, client, signed_in):
    lin = make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=3)
    with app.app_context():
        visit = book(central(day, 15), 1)
        # Hours cut straight in the database (a script, a migration): no review, no decision.
        provider = db.session.get(models.Provider, lin)
        provider.hours = [models.ProviderHours(weekday=d, starts=time(8), ends=time(12)) for d in range(5)]
        db.session.commit()
        (item,), kept = schedule_changes.needing_attention()
        assert item.visit.id == visit.id and item.reason == "Outside Dr. Lin's hours." and kept == []
    signed_in(client, "scheduler")
    page = client.get("/staff/admin/attention").get_data(as_text=True)
    assert "Needing a decision (1)" in page and "Outside Dr. Lin&#39;s hours." in page
    assert f'href="/staff/visits/{visit.id}"' in page
    calendar = client.get(f"/staff/calendar?specialty=pmr&day={day.isoformat()}").get_data(as_text=True)
    assert calendar.count('<span class="tag tag-outside">Outside hours</span>') == 2  # the legend's, and the visit's


def test_the_closure_page_shows_the_visits_first_requires_a_decision_each_and_then_applies(
    app, client, signed_in, make_provider
):
    make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        visit = book(central(day, 10), 1)
    signed_in(client, "scheduler")
    typed = {"day": day.isoformat(), "last_day": "", "starts": "", "ends": "", "name": "Flood"}
    first = client.post("/staff/admin/closures", data=typed)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "Check before you change" in page and "Number1, Pat" in page
    assert f'name="reviewed" value="{visit.id}"' in page and 'name="name" value="Flood"' in page
    with app.app_context():
        assert db.session.execute(select(models.Closure).filter_by(name="Flood")).first() is None
    undecided = client.post("/staff/admin/closures", data={**typed, "reviewed": str(visit.id)})
    assert undecided.status_code == 422 and "Choose what happens to this visit" in undecided.get_data(as_text=True)
    move = re.search(r'value="(move:[^"]+)"', page).group(1)
    done = client.post("/staff/admin/closures", data={**typed, "reviewed": str(visit.id), f"decision-{visit.id}": move})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.execute(select(models.Closure).filter_by(name="Flood")).first() is not None
        assert appointment(visit.id).starts_at.date() != day or appointment(visit.id).starts_at != central(day, 10)
        assert schedule_changes.needing_attention() == ([], [])


# ----- whatever the sequence, nothing is stranded silently ------------------------------------------

DAYS = 10


@st.composite
def operations(draw: st.DrawFn) -> list[tuple]:
    ops = []
    for _ in range(draw(st.integers(2, 7))):
        kind = draw(st.sampled_from(["book", "book", "hours", "time-off", "closure"]))
        day = draw(st.integers(2, DAYS))
        if kind == "book":
            ops.append(("book", day, draw(st.integers(8, 15)), draw(st.sampled_from([0, 15, 30, 45]))))
        elif kind == "hours":
            start, end = sorted(draw(st.lists(st.integers(8, 17), min_size=2, max_size=2, unique=True)))
            ops.append(("hours", day, start, end, draw(st.booleans())))
        elif kind == "time-off":
            start = draw(st.integers(8, 16))
            ops.append(("time-off", day, start, draw(st.integers(start + 1, 17))))
        else:
            ops.append(("closure", day, draw(st.integers(0, 2)), draw(st.booleans())))
    return ops


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations(), choices=st.lists(st.sampled_from(["move", "cancel", "keep"]), min_size=30, max_size=30))
def test_after_any_changes_and_bookings_every_visit_fits_or_is_a_flagged_exception(app, make_provider, ops, choices):
    with app.app_context():
        clear_database()
        seed_catalog()
        db.session.remove()
    providers = [make_provider("pmr", name="Dr. Lin"), make_provider("pmr", name="Dr. Okafor")]
    base = next_clinic_day(after_days=2)
    picks = iter(choices * 10)
    with app.app_context():
        for n, op in enumerate(ops):
            day = base + timedelta(days=op[1])
            if op[0] == "book":
                try:
                    book(clinic_instant(day, time(op[2], op[3])), n)
                except DomainError:
                    db.session.rollback()  # a closed, full or too-late time: refused, as it should be
                continue
            if op[0] == "hours":
                pattern = tuple(WorkBlock(d, time(op[2]), time(op[3])) for d in range(5))
                change = HoursChange(providers[n % 2], pattern, day if op[4] else None)
            elif op[0] == "time-off":
                change = TimeOffChange(
                    providers[n % 2], clinic_instant(day, time(op[2])), clinic_instant(day, time(op[3]))
                )
            else:
                change = ClosureChange(day, day + timedelta(days=op[2]), f"Closure {n}", time(12) if op[3] else None)
            found = schedule_changes.review(change)
            decisions = {}
            for item in found.affected:
                pick = next(picks)
                if pick == "move" and item.suggestions:
                    decisions[item.visit.id] = item.suggestions[0].value
                else:
                    decisions[item.visit.id] = "keep" if pick == "keep" else "cancel"
            schedule_changes.apply(change, decisions, actor=SCHEDULER)
        offer = clinic.current_catalog(utc_now())
        for visit in db.session.execute(
            select(models.Appointment).filter_by(status=AppointmentStatus.BOOKED)
        ).scalars():
            fits = misfit(offer, visit.provider_id, Interval(visit.starts_at, visit.ends_at)) is None
            assert fits or visit.kept_outside_hours, (visit.reference, visit.starts_at)
        assert schedule_changes.needing_attention()[0] == []


def test_new_hours_on_the_provider_page_show_the_stranded_visits_first_and_save_with_the_rest_of_the_form(
    app, client, signed_in, make_provider
):
    lin = make_provider("pmr", name="Dr. Lin")
    friday = next_clinic_day(after_days=9, weekday=4)
    with app.app_context():
        afternoon = book(central(friday, 14), 1)
    signed_in(client, "scheduler")
    page = client.get(f"/staff/admin/providers/{lin}").get_data(as_text=True)
    typed = {
        "name": "Dr. Lin Wei", "specialty": "pmr", "kind": "physiatrist", "active": "y",
        "visit_types": ["evaluation", "follow-up"], "monday": "8:00-17:00", "tuesday": "8:00-17:00",
        "wednesday": "8:00-17:00", "thursday": "8:00-17:00", "friday": "8:00-12:00",
        "hours_from": (friday - timedelta(days=3)).isoformat(),
    }  # fmt: skip
    assert 'name="hours_from"' in page
    review = client.post(f"/staff/admin/providers/{lin}", data=typed)
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "Check before you change: new hours for Dr. Lin from" in text
    assert "Outside Dr. Lin&#39;s hours." in text and "Number1, Pat" in text
    with app.app_context():  # nothing saved yet: not even the new name
        provider = db.session.get(models.Provider, lin)
        assert provider.name == "Dr. Lin" and all(h.effective_from is None for h in provider.hours)
    done = client.post(
        f"/staff/admin/providers/{lin}",
        data={**typed, "reviewed": str(afternoon.id), f"decision-{afternoon.id}": "keep"},
    )
    assert done.status_code == 303
    with app.app_context():
        db.session.expire_all()
        provider = db.session.get(models.Provider, lin)
        assert provider.name == "Dr. Lin Wei"
        later = [
            (h.weekday, h.starts, h.ends) for h in provider.hours if h.effective_from == friday - timedelta(days=3)
        ]
        assert (4, time(8), time(12)) in later and len(later) == 5
        assert appointment(afternoon.id).kept_outside_hours
        offer = clinic.current_catalog(utc_now())
        assert offer.providers[lin].blocks_for(friday) == [WorkBlock(4, time(8), time(12))]
        assert offer.providers[lin].blocks_for(friday - timedelta(days=7)) == [WorkBlock(4, time(8), time(17))]
    calendar = client.get(f"/staff/calendar?specialty=pmr&day={friday.isoformat()}").get_data(as_text=True)
    assert '<span class="tag tag-outside">Outside hours (kept)</span>' in calendar
    earlier = client.get(f"/staff/calendar?specialty=pmr&day={(friday - timedelta(days=7)).isoformat()}")
    assert earlier.get_data(as_text=True).count("tag-outside") == 1  # the legend's only
    page = client.get(f"/staff/admin/providers/{lin}").get_data(as_text=True)
    assert re.search(r"From \w+day, \w+ \d+, \d{4}:</strong>\s*Mon 08:00-17:00", page)
    assert re.search(r'id="friday" name="friday" type="text" value="08:00-17:00"', page)  # still the hours now


@pytest.mark.parametrize(
    "decision", ["move:garbage", "move:2027-03-08T09:00:00|1", "move:2027-03-08T09:00:00+00:00|x", "later"]
)
def test_a_decision_that_is_no_choice_offered_is_refused_before_anything_changes(app, make_provider, decision):
    lin = make_provider("pmr", name="Dr. Lin")
    day = next_clinic_day(after_days=4)
    with app.app_context():
        visit = book(central(day, 9))
        change = TimeOffChange(lin, central(day, 8), central(day, 12))
        with pytest.raises(schedule_changes.ScheduleChangeRefused):
            schedule_changes.apply(change, {visit.id: decision}, actor=SCHEDULER)
        db.session.rollback()
        assert db.session.execute(select(models.TimeOff)).first() is None
        assert appointment(visit.id).starts_at == central(day, 9)
