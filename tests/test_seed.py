"""Demo data and the clinic's default closures."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlalchemy import select

from scheduler.services.seed import default_holidays
from scheduler.store import models
from scheduler.store.engine import db

SEEDED = (
    models.Provider,
    models.Room,
    models.Appointment,
    models.Reservation,
    models.Closure,
    models.VisitType,
    models.RoutingRule,
)


def counts():
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in SEEDED}


def test_seed_demo_builds_the_clinic_once_and_is_safe_to_run_again(app, runner):
    assert "appointments added" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        first = counts()
        kinds = sorted(db.session.execute(select(models.Room.kind)).scalars())
    assert first["Provider"] == 15 and first["VisitType"] == 9 and first["RoutingRule"] == 7
    assert kinds == ["ct", "fluoroscopy", "fluoroscopy", "xray"]
    assert first["Appointment"] > 100
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        again = counts()
    assert again == first
    assert "skipped" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def test_default_closures_fall_on_their_observed_weekdays():
    found = dict(default_holidays(range(2026, 2028)))
    assert found[date(2026, 7, 3)] == "Independence Day (observed)"  # July 4th 2026 is a Saturday
    assert found[date(2027, 7, 5)] == "Independence Day (observed)"  # a Sunday
    assert found[date(2027, 12, 24)] == "Christmas Day (observed)"
    assert found[date(2026, 11, 26)] == "Thanksgiving Day"
    assert found[date(2026, 9, 7)] == "Labor Day" and found[date(2027, 5, 31)] == "Memorial Day"
    assert date(2026, 1, 19) not in found  # federal holidays the clinic keeps open
    assert all(day.weekday() < 5 for day in found)
    assert len([d for d in found if d.year == 2027]) == 7  # six holidays plus 2028's New Year observed on Dec 31
