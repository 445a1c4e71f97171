"""Urgent capacity as data: on a physician's admin page, the weekly times kept for urgent patients
and how long before they start they are released to everyone. Only physicians keep them, only
inside their hours; a refusal says what to fix and keeps what was typed."""

from __future__ import annotations

import re
from datetime import time
from datetime import timedelta

from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.services.availability import find_availability
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.public.conftest import page_text
from tests.staff.conftest import audit_events

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
ALL_DAY = {day: "8:00-17:00" for day in DAYS}
NO_URGENT = {f"urgent_{day}": "" for day in DAYS}


def provider_post(name: str, kind: str, visit_types: tuple[str, ...], **fields: str) -> dict[str, object]:
    return {"name": name, "specialty": "pmr", "kind": kind, "visit_types": list(visit_types), "active": "y",
            **ALL_DAY, **NO_URGENT, "urgent_release_hours": "24", **fields}  # fmt: skip


def urgent_blocks(app, provider_id: int) -> list[tuple[int, time, time]]:
    with app.app_context():
        provider = db.session.get(models.Provider, provider_id)
        return [(b.weekday, b.starts, b.ends) for b in provider.urgent_blocks]


def test_an_admin_keeps_an_hour_for_urgent_patients_which_only_urgent_placement_is_offered(
    app, client, signed_in, make_provider
):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation", "follow-up"))
    day = next_clinic_day(after_days=4)
    weekday = DAYS[day.weekday()]
    signed_in(client, "admin")
    page = page_text(client.get(f"/staff/admin/providers/{lin}"))
    assert "Kept for urgent patients" in page and 'name="urgent_release_hours"' in page and 'value="24"' in page

    saved = client.post(
        f"/staff/admin/providers/{lin}",
        data=provider_post("Dr. Lin", "physiatrist", ("evaluation", "follow-up"),
                           **{f"urgent_{weekday}": "13:00-14:00", "urgent_release_hours": "12"}),
    )  # fmt: skip
    assert saved.status_code == 302, page_text(saved)
    assert urgent_blocks(app, lin) == [(day.weekday(), time(13), time(14))]
    with app.app_context():
        assert db.session.get(models.Provider, lin).urgent_release_hours == 12
        routine = {(s.start, s.provider_id) for s in find_availability("evaluation", day, 1).slots}
        urgent = {(s.start, s.provider_id) for s in find_availability("evaluation", day, 1, urgent=True).slots}
    one_pm = central(day, 13)
    assert (one_pm, lin) not in routine and (central(day, 14), lin) in routine
    assert (one_pm, lin) in urgent
    detail = audit_events(app, "provider.update")[-1].detail
    assert detail.endswith(f"kept for urgent {weekday.title()[:3]} 13:00-14:00, released 12 h before")

    shown = page_text(client.get(f"/staff/admin/providers/{lin}"))
    assert f'id="urgent_{weekday}" name="urgent_{weekday}" type="text" value="13:00-14:00"' in shown
    assert 'value="12"' in shown
    listed = page_text(client.get("/staff/admin"))
    assert f"Urgent: {weekday.title()[:3]} 13:00-14:00" in listed

    # Emptied again: nothing kept, and the trail says so.
    client.post(f"/staff/admin/providers/{lin}", data=provider_post("Dr. Lin", "physiatrist", ("evaluation",)))
    assert urgent_blocks(app, lin) == []
    assert audit_events(app, "provider.update")[-1].detail.endswith("; no times kept for urgent patients")


def test_a_therapist_cannot_keep_urgent_times_and_the_form_keeps_what_was_typed(app, client, signed_in, make_provider):
    grace = make_provider("pmr", name="Grace Thorsen, PT", kind="physical-therapist", visit_types=("therapy",))
    signed_in(client, "scheduler")
    refused = client.post(
        f"/staff/admin/providers/{grace}",
        data=provider_post("Grace Thorsen, PT", "physical-therapist", ("therapy",), urgent_tuesday="13:00-14:00"),
    )
    page = page_text(refused)
    assert refused.status_code == 422
    assert "Only physicians keep times for urgent patients" in page
    assert 'name="urgent_tuesday" type="text" value="13:00-14:00"' in page
    assert urgent_blocks(app, grace) == []
    assert audit_events(app, "provider.update") == []


def test_a_kept_time_outside_the_physicians_hours_that_day_is_refused_saying_which(
    app, client, signed_in, make_provider
):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation",))
    signed_in(client, "admin")
    refused = client.post(
        f"/staff/admin/providers/{lin}",
        data=provider_post("Dr. Lin", "physiatrist", ("evaluation",), wednesday="8:00-12:00",
                           urgent_wednesday="13:00-14:00"),
    )  # fmt: skip
    page = page_text(refused)
    assert refused.status_code == 422
    says = "Wednesday 13:00-14:00 is kept for urgent patients but is not inside their Wednesday hours (08:00-12:00)"
    assert says in page
    assert 'value="13:00-14:00"' in page and 'name="wednesday" type="text" value="8:00-12:00"' in page
    assert urgent_blocks(app, lin) == []
    # A badly written kept time, or a release outside 0-168 hours, is refused on its field.
    wrong = client.post(
        f"/staff/admin/providers/{lin}",
        data=provider_post("Dr. Lin", "physiatrist", ("evaluation",), urgent_monday="1pm", urgent_release_hours="200"),
    )
    page = page_text(wrong)
    assert wrong.status_code == 422
    assert "Write each block like 8:00-12:00" in page and "Enter a number of hours from 0 to 168" in page
    assert 'value="1pm"' in page and 'value="200"' in page


def test_changing_hours_so_a_kept_time_falls_outside_is_refused_until_it_is_moved(
    app, client, signed_in, make_provider
):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation",))
    signed_in(client, "admin")
    kept = provider_post("Dr. Lin", "physiatrist", ("evaluation",), urgent_friday="15:00-16:00")
    assert client.post(f"/staff/admin/providers/{lin}", data=kept).status_code == 302
    mornings = {**kept, "friday": "8:00-12:00"}
    refused = client.post(f"/staff/admin/providers/{lin}", data=mornings)
    assert refused.status_code == 422 and "Friday 15:00-16:00 is kept for urgent patients" in page_text(refused)
    moved = client.post(f"/staff/admin/providers/{lin}", data={**mornings, "urgent_friday": "11:00-12:00"})
    assert moved.status_code == 303  # new hours: a schedule change, applied (nothing booked to strand)
    assert urgent_blocks(app, lin) == [(4, time(11), time(12))]


def test_a_post_without_the_urgent_fieldset_leaves_the_kept_times_alone(app, client, signed_in, make_provider):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation",))
    signed_in(client, "admin")
    kept = provider_post("Dr. Lin", "physiatrist", ("evaluation",), urgent_monday="9:00-10:00")
    client.post(f"/staff/admin/providers/{lin}", data=kept)
    older_page = {k: v for k, v in kept.items() if not k.startswith("urgent_")}
    assert client.post(f"/staff/admin/providers/{lin}", data=older_page).status_code == 302
    assert urgent_blocks(app, lin) == [(0, time(9), time(10))]
    with app.app_context():
        assert db.session.get(models.Provider, lin).urgent_release_hours == 24


def test_the_seeded_demo_physicians_keep_an_hour_inside_their_hours_and_nobody_else_does(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        providers = db.session.execute(select(models.Provider)).scalars().all()
        keeping = {p.name: p for p in providers if p.urgent_blocks}
        assert {"Dr. Maya Lindqvist", "Dr. Priya Raman"} <= set(keeping)
        for provider in keeping.values():
            assert provider.kind in {"physiatrist", "pain-physician", "spine-surgeon", "endocrinologist", "physician"}
            for block in provider.urgent_blocks:
                assert any(
                    h.weekday == block.weekday and h.starts <= block.starts and block.ends <= h.ends
                    for h in provider.hours
                ), (provider.name, block.weekday)
        before = sorted((p.name, b.weekday, b.starts) for p in keeping.values() for b in p.urgent_blocks)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        again = sorted(
            (p.name, b.weekday, b.starts)
            for p in db.session.execute(select(models.Provider)).scalars()
            for b in p.urgent_blocks
        )
    assert again == before  # seeding again adds nothing


def test_urgent_times_are_released_to_everyone_at_the_cut_off_the_admin_set(app, client, signed_in, make_provider):
    lin = make_provider("pmr", name="Dr. Lin", kind="physiatrist", visit_types=("evaluation",))
    day = next_clinic_day(after_days=3)
    hours_ahead = int((central(day, 13) - utc_now()) / timedelta(hours=1)) + 1  # already past the cut-off
    signed_in(client, "admin")
    client.post(
        f"/staff/admin/providers/{lin}",
        data=provider_post("Dr. Lin", "physiatrist", ("evaluation",), **{f"urgent_{DAYS[day.weekday()]}": "13:00-14:00",
                           "urgent_release_hours": str(min(hours_ahead, 168))}),
    )  # fmt: skip
    with app.app_context():
        routine = {(s.start, s.provider_id) for s in find_availability("evaluation", day, 1).slots}
    assert (central(day, 13), lin) in routine
    assert re.search(r"released \d+ h before", audit_events(app, "provider.update")[-1].detail)
