"""GET /api/v1/availability: only times the clinic really offers, with Central offsets."""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest

from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day


def slots(client, visit_type="evaluation", day=None, days=1, **params):
    day = day or next_clinic_day()
    response = client.get(
        "/api/v1/availability", query_string={"visit_type": visit_type, "from": day.isoformat(), "days": days, **params}
    )
    assert response.status_code == 200, response.json
    assert response.json["timezone"] == "America/Chicago"
    return response.json["slots"]


def test_times_carry_their_central_offset_and_a_booked_time_disappears(client, make_provider):
    provider = make_provider("pmr", blocks=((time(8), time(12)),))
    day = next_clinic_day()
    before = slots(client, day=day)
    assert [s["start"] for s in before][:2] == [
        central(day, 8).astimezone(CLINIC_TZ).isoformat(),
        central(day, 8, 15).astimezone(CLINIC_TZ).isoformat(),
    ]
    assert len(before) == 13 and {s["provider"]["id"] for s in before} == {provider}
    assert client.post("/api/v1/appointments", json=booking_json(central(day, 9))).status_code == 201
    after = {datetime.fromisoformat(s["start"]) for s in slots(client, day=day)}
    # 8:15 .. 9:45 starts would overlap 9:00-10:00.
    assert all(not (central(day, 8) < start < central(day, 10)) for start in after)
    assert central(day, 8) in after and central(day, 10) in after


def test_a_room_visit_names_a_free_room_and_vanishes_when_the_rooms_are_taken(client, make_provider, make_room):
    make_provider("radiology-pain")
    room = make_room("fluoroscopy", name="Fluoroscopy Suite 1")
    offered = slots(client, "injection")
    assert offered and all(s["room"] == {"id": room, "name": "Fluoroscopy Suite 1"} for s in offered)
    assert slots(client, "ct") == []  # no CT scanner in this clinic


def test_ties_go_to_the_provider_with_the_lighter_day(client, make_provider):
    busy = make_provider("pmr", name="Dr. Busy")
    light = make_provider("pmr", name="Dr. Light")
    day = next_clinic_day()
    booked = client.post("/api/v1/appointments", json=booking_json(central(day, 14), provider_id=busy))
    assert booked.status_code == 201
    first_two = slots(client, day=day)[:2]
    assert [s["provider"]["id"] for s in first_two] == [light, busy]


def test_weekends_and_provider_days_off_offer_nothing(client, make_provider):
    make_provider("pmr", weekdays=(1, 3))  # Tuesdays and Thursdays
    monday = next_clinic_day(weekday=0)
    week = slots(client, day=monday, days=7)
    assert {datetime.fromisoformat(s["start"]).weekday() for s in week} <= {1, 3}


def test_the_provider_filter_limits_the_answer(client, make_provider):
    one = make_provider("pmr")
    make_provider("pmr")
    assert {s["provider"]["id"] for s in slots(client, provider=one)} == {one}


def test_times_sooner_than_the_minimum_notice_are_not_offered(client, make_provider):
    make_provider("pmr")
    now = utc_now()
    offered = slots(client, day=clinic_today(now), days=7)
    assert all(datetime.fromisoformat(s["start"]) >= now + timedelta(minutes=60) for s in offered)


def test_visit_types_lists_the_clinics_catalog_with_modes(client):
    listed = {v["code"]: v for v in client.get("/api/v1/visit-types").json["visit_types"]}
    assert listed["evaluation"]["booking_mode"] == "book" and listed["evaluation"]["minutes"] == 60
    assert listed["neurotomy"]["booking_mode"] == "request" and listed["neurotomy"]["room_kind"] == "fluoroscopy"
    assert "driver" in listed["injection"]["prep_notes"]
    assert len(listed) == 9


def test_cached_answers_change_the_moment_the_database_changes_by_any_path(client, app, make_provider):
    """The availability cache is keyed by revision counters that database triggers bump, so even a
    change made behind the app's back (another process, an admin in psql) is seen at once."""
    from sqlalchemy import update

    from scheduler.store import models
    from scheduler.store.engine import db

    provider = make_provider("pmr", blocks=((time(8), time(12)),))
    day = next_clinic_day()
    assert len(slots(client, day=day)) == 13
    assert len(slots(client, day=day)) == 13  # served from the cache
    assert client.post("/api/v1/appointments", json=booking_json(central(day, 8))).status_code == 201
    assert len(slots(client, day=day)) == 9  # 8:00 .. 8:45 starts are gone
    with app.app_context():
        db.session.execute(
            update(models.ProviderHours).where(models.ProviderHours.provider_id == provider).values(ends=time(10))
        )
        db.session.commit()
    assert len(slots(client, day=day)) == 1  # only 9:00-10:00 is left


def test_a_providers_time_off_and_an_admin_part_day_closure_remove_their_times(client, app, make_provider):
    from scheduler.store import models
    from scheduler.store.engine import db

    provider = make_provider("pmr")
    day = next_clinic_day()
    later = next_clinic_day(after_days=(day - clinic_today(utc_now())).days + 1)  # the clinic day after
    with app.app_context():
        db.session.add(models.TimeOff(provider_id=provider, starts_at=central(day, 8), ends_at=central(day, 12)))
        db.session.add(models.Closure(day=later, starts=time(12), ends=None, name="Staff training"))
        db.session.commit()
    first_day = {datetime.fromisoformat(s["start"]) for s in slots(client, day=day)}
    assert min(first_day) == central(day, 12)  # nothing before the time off ends
    second_day = {datetime.fromisoformat(s["start"]) for s in slots(client, day=later)}
    assert max(second_day) == central(later, 11)  # a 60-minute visit must end by the noon closure
    refused = client.post("/api/v1/appointments", json=booking_json(central(later, 13)))
    assert refused.status_code == 422 and refused.json["error"] == "clinic_closed"
    assert "closes at noon for Staff training" in refused.json["message"]


@pytest.mark.parametrize("cache_size", [0, 512], ids=["cache off", "cache on"])
def test_answers_stay_exact_when_the_catalog_changes_behind_the_app_with_or_without_the_cache(
    app_with, make_provider, cache_size
):
    """A question this process has not answered under the revisions it saw last reads the
    revisions with the reservations; a catalog changed meanwhile (here in SQL, as another process
    would) is noticed from them and the answer worked out again under the new catalog."""
    from sqlalchemy import update

    from scheduler.store import models
    from scheduler.store.engine import db

    provider = make_provider("pmr", blocks=((time(8), time(12)),))
    other = app_with(CACHE_SIZE=cache_size, RATELIMIT_ENABLED=False)
    client = other.test_client()
    day = next_clinic_day()
    assert len(slots(client, day=day)) == 13
    with other.app_context():
        db.session.execute(
            update(models.ProviderHours).where(models.ProviderHours.provider_id == provider).values(ends=time(10))
        )
        db.session.commit()
    assert len(slots(client, day=day)) == 5  # 8:00 .. 9:00 under the new hours
    assert len(slots(client, day=day + timedelta(days=7), days=1)) == 5  # a new question, same catalog
    assert client.post("/api/v1/appointments", json=booking_json(central(day, 8))).status_code == 201
    assert len(slots(client, day=day)) == 1


@pytest.mark.parametrize("cache_size", [0, 512], ids=["cache off", "cache on"])
def test_an_availability_answer_costs_one_statement_once_the_process_has_read_the_revisions(
    app_with, make_provider, cache_size, monkeypatch
):
    """The revision counters and the window's reservations are read together (one round trip),
    and an answer kept in the cache costs only the revisions. Counted at the store's driver,
    which runs every statement the availability read makes."""
    from scheduler.store import driver

    make_provider("pmr", blocks=((time(8), time(12)),))
    other = app_with(CACHE_SIZE=cache_size, RATELIMIT_ENABLED=False)
    client = other.test_client()
    day = next_clinic_day()
    slots(client, day=day)  # the process reads the revisions and the catalog once
    statements: list[str] = []
    run = driver.Driver._execute

    def counted(self: driver.Driver, sql: str, params: dict[str, object]) -> None:
        statements.append(sql)
        run(self, sql, params)

    monkeypatch.setattr(driver.Driver, "_execute", counted)
    for ask in range(3):
        assert len(slots(client, day=day + timedelta(days=7 * ask), days=7)) > 0
    assert len(statements) == 3, statements
    statements.clear()
    assert len(slots(client, day=day, days=7)) > 0  # asked before
    assert len(statements) == 1
    assert ("UNION ALL" in statements[0]) == (cache_size == 0), statements
