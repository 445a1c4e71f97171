"""Admin pages change what the clinic offers, at once (the catalog cache follows its revision)."""

from __future__ import annotations

import re

from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.domain.routing import History
from scheduler.domain.routing import Intake
from scheduler.services import clinic
from scheduler.services import routing
from scheduler.services.availability import find_availability
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day

MORNINGS = {"monday": "8:00-12:00", "tuesday": "8:00-12:00", "wednesday": "8:00-12:00", "thursday": "8:00-12:00",
            "friday": "8:00-12:00"}  # fmt: skip


def text(response):
    return response.get_data(as_text=True)


def starts(app, day):
    with app.app_context():
        return {s.start for s in find_availability("evaluation", day, 1).slots}


def test_a_scheduler_adds_a_provider_with_hours_and_time_off_and_availability_follows(client, app, signed_in):
    signed_in(client, "scheduler")
    created = client.post(
        "/staff/admin/providers/new", data={"name": "Dr. New", "specialty": "pmr", "active": "y", **MORNINGS}
    )
    assert created.status_code == 302
    provider_id = int(re.search(r"/providers/(\d+)", created.headers["Location"]).group(1))
    day = next_clinic_day(after_days=4)
    offered = starts(app, day)
    assert central(day, 8) in offered and central(day, 11) in offered and central(day, 13) not in offered
    client.post(
        f"/staff/admin/providers/{provider_id}/time-off",
        data={"first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "course"},
    )
    assert starts(app, day) == set()
    with app.app_context():
        actions = [e.action for e in db.session.execute(select(models.AuditEvent)).scalars()]
    assert "provider.create" in actions and "time-off.add" in actions


def test_a_wrong_weekly_block_is_refused_with_the_reason_and_the_typing_kept(client, app, signed_in):
    signed_in(client, "scheduler")
    refused = client.post(
        "/staff/admin/providers/new", data={"name": "Dr. New", "specialty": "pmr", **MORNINGS, "friday": "7-12"}
    )
    assert refused.status_code == 422 and "outside clinic hours" in text(refused)
    assert 'value="7-12"' in text(refused) and 'value="Dr. New"' in text(refused)
    with app.app_context():
        assert db.session.execute(select(models.Provider)).first() is None


def test_a_part_day_closure_removes_the_afternoon_and_shows_on_the_list(client, app, signed_in, make_provider):
    make_provider("pmr")
    signed_in(client, "admin")
    day = next_clinic_day(after_days=4)
    client.post("/staff/admin/closures", data={"day": day.isoformat(), "starts": "12:00", "name": "Staff training"})
    offered = starts(app, day)
    assert central(day, 10) in offered and central(day, 12) not in offered and central(day, 11, 30) not in offered
    assert "Staff training" in text(client.get("/staff/admin/closures"))


def test_an_admin_reorders_routing_rules_and_routing_follows(client, app, signed_in):
    signed_in(client, "admin")
    intake = Intake("surgical-consult", False, "trauma", False)
    with app.app_context():
        assert routing.decide(intake, History(), clinic.current_catalog(utc_now())).rule == "new-patient-evaluation"
    for _ in range(3):  # "surgical-consult" was fourth: now it comes first among the non-urgent ones
        client.post("/staff/admin/routing/surgical-consult/up")
    with app.app_context():
        assert routing.decide(intake, History(), clinic.current_catalog(utc_now())).rule == "surgical-consult"


def test_an_admin_changes_a_role_and_the_person_is_signed_out_at_once(app, signed_in, staff_user):
    admin, other = app.test_client(), app.test_client()
    signed_in(admin, "admin")
    person = signed_in(other, "scheduler")
    assert other.get("/staff/queue").status_code == 200
    admin.post(f"/staff/admin/staff/{person.id}", data={"role": "phone", "active": "y"})
    assert other.get("/staff/queue").headers["Location"].startswith("/staff/login")


def test_a_visit_type_length_must_be_in_quarter_hours(client, app, signed_in):
    signed_in(client, "admin")
    refused = client.post("/staff/admin/visit-types?code=therapy", data={"minutes": "50", "active": "y"})
    assert refused.status_code == 422 and "quarter hours" in text(refused)
    client.post(
        "/staff/admin/visit-types?code=therapy",
        data={"minutes": "60", "prep_notes": "Wear loose clothes.", "active": "y"},
    )
    with app.app_context():
        therapy = db.session.execute(select(models.VisitType).filter_by(code="therapy")).scalar_one()
        assert (therapy.minutes, therapy.prep_notes) == (60, "Wear loose clothes.")
