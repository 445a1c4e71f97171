"""Staff actions on visits and requests: the same guarantees as patients' own, each audited."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.domain.errors import SlotTaken
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.visit_status import NotAllowed
from scheduler.domain.visit_status import VisitAction
from scheduler.services import requests as visit_requests
from scheduler.services import staff_visits
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day

ANN = PatientDetails("Ann", "Lee", date(1970, 2, 3), "+15075550101", "ann@example.com")
SCHEDULER = staff_visits.Actor(staff_id=7, role="scheduler")
PHONE = staff_visits.Actor(staff_id=8, role="phone", channel="phone")


def trail():
    rows = db.session.execute(select(models.AuditEvent).order_by(models.AuditEvent.id)).scalars()
    return [(e.action, e.actor_id, e.channel, e.record_type) for e in rows]


def test_a_scheduler_places_a_queued_request_and_it_leaves_the_queue(app, make_provider, make_room):
    make_provider("radiology-pain")
    make_room("fluoroscopy")
    with app.app_context():
        first = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True), patient=ANN, preferences={}, channel="web"
        ).request
        urgent = visit_requests.submit_request(
            intake=Intake("unsure", True, "infection", False), patient=ANN, preferences={}, channel="web"
        ).request
        assert [r.id for r in staff_visits.open_requests("radiology-pain")] == [first.id]
        assert [r.id for r in staff_visits.open_requests("pmr")] == [urgent.id]
        booked = staff_visits.place_request(first.id, central(next_clinic_day(after_days=4), 10), actor=SCHEDULER)
        assert staff_visits.open_requests("radiology-pain") == []
        appointment = db.session.get(models.Appointment, booked.appointment.id)
        assert appointment.request_id == first.id and appointment.visit_type.code == "injection"
        assert ("request.place", 7, "web", "appointment") in trail()
        with pytest.raises(NotAllowed):
            staff_visits.place_request(first.id, central(next_clinic_day(after_days=5), 10), actor=SCHEDULER)
        with pytest.raises(NotAllowed):
            staff_visits.decline_request(urgent.id, "because I said so", actor=SCHEDULER)
        staff_visits.decline_request(urgent.id, "duplicate", actor=SCHEDULER)
        assert db.session.get(models.VisitRequest, urgent.id).status == "declined"


def test_a_staff_move_rechecks_conflicts_and_is_audited_with_the_notify_choice(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        ann = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 9), patient=ANN, actor=PHONE
        )
        bob = staff_visits.book_for_patient(
            visit_type_code="evaluation",
            start=central(day, 11),
            patient=PatientDetails("Bob", "Ray", date(1960, 1, 1), "+15075550102", None),
            actor=PHONE,
        )
        with pytest.raises(SlotTaken):
            staff_visits.move(ann.appointment.id, central(day, 11), actor=SCHEDULER, notify=True)
        db.session.rollback()
        staff_visits.move(ann.appointment.id, central(day, 13), actor=SCHEDULER, notify=False)
        kinds = {m.kind for m in db.session.execute(select(models.OutboxMessage)).scalars()}
        assert "rescheduled" not in kinds  # the scheduler chose not to notify
        staff_visits.cancel(bob.appointment.id, "Clinic closure", actor=SCHEDULER, notify=True)
        actions = [a for a, *_ in trail()][-4:]
        assert actions == ["appointment.book", "appointment.book", "appointment.move", "appointment.cancel"]


def test_the_audit_of_a_move_or_cancellation_says_who_was_told_and_how_or_that_nobody_was(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    texts = PatientDetails("Cy", "Moe", date(1975, 5, 5), "+15075550105", None, True)  # texts only
    nobody = PatientDetails("Bob", "Ray", date(1960, 1, 1), "+15075550102", None)  # no email, no text consent
    with app.app_context():
        ann, cy, bob = (
            staff_visits.book_for_patient(
                visit_type_code="evaluation", start=central(day, hour), patient=patient, actor=PHONE
            ).appointment.id
            for hour, patient in ((9, ANN), (11, texts), (14, nobody))
        )
        staff_visits.move(ann, central(day + timedelta(days=7), 9), actor=SCHEDULER, notify=True)
        staff_visits.move(ann, central(day + timedelta(days=7), 13), actor=SCHEDULER, notify=True)  # a second move
        staff_visits.cancel(cy, "Provider ill", actor=SCHEDULER, notify=True)
        staff_visits.move(bob, central(day, 15), actor=SCHEDULER, notify=True)
        staff_visits.cancel(bob, "Provider ill", actor=SCHEDULER, notify=False)
        rows = db.session.execute(
            select(models.AuditEvent)
            .where(models.AuditEvent.action.in_(("appointment.move", "appointment.cancel")))
            .order_by(models.AuditEvent.id)
        ).scalars()
        assert [e.detail for e in rows] == [
            "rescheduled notice queued by email",
            "rescheduled notice queued by email",
            "cancellation notice queued by text message",
            "nobody notified (no email, no text consent)",
            "patient not notified",
        ]


def test_check_in_complete_no_show_and_undo_follow_the_rules_and_roles(app, make_provider):
    make_provider("pmr")
    day = next_clinic_day(after_days=5)
    with app.app_context():
        visit = staff_visits.book_for_patient(
            visit_type_code="evaluation", start=central(day, 9), patient=ANN, actor=PHONE
        ).appointment
        on_the_day = central(day, 9) + timedelta(minutes=5)
        with pytest.raises(NotAllowed):
            staff_visits.set_status(visit.id, VisitAction.NO_SHOW, actor=SCHEDULER, now=central(day, 8))
        for not_the_day in (central(day - timedelta(days=1), 16), central(day + timedelta(days=1), 8)):
            with pytest.raises(NotAllowed, match="checked in on the day of their visit"):
                staff_visits.set_status(visit.id, VisitAction.CHECK_IN, actor=PHONE, now=not_the_day)
        assert staff_visits.set_status(visit.id, VisitAction.CHECK_IN, actor=PHONE, now=on_the_day).status == "arrived"
        with pytest.raises(NotAllowed):
            staff_visits.set_status(visit.id, VisitAction.UNDO, actor=PHONE, now=on_the_day)  # phone staff cannot undo
        assert staff_visits.set_status(visit.id, VisitAction.COMPLETE, actor=SCHEDULER, now=on_the_day).status == (
            "fulfilled"
        )
        assert staff_visits.set_status(visit.id, VisitAction.UNDO, actor=SCHEDULER, now=on_the_day).status == "arrived"
        assert [a for a, *_ in trail()][-3:] == ["appointment.check-in", "appointment.complete", "appointment.undo"]
