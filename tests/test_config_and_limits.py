"""Configuration from the environment, and the public API's rate limits with their off switch."""

from __future__ import annotations

import pytest

from scheduler import create_app
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import make_app
from tests.conftest import next_clinic_day


def test_settings_come_from_scheduler_prefixed_environment_variables(monkeypatch, database_url):
    monkeypatch.setenv("SCHEDULER_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("SCHEDULER_MIN_NOTICE_MINUTES", "120")
    monkeypatch.setenv("SCHEDULER_CLINIC_PHONE", "507-538-1280")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["MIN_NOTICE_MINUTES"] == 120


def test_the_development_secret_is_refused_outside_development(monkeypatch):
    monkeypatch.delenv("SCHEDULER_SECRET_KEY", raising=False)
    monkeypatch.delenv("SCHEDULER_ALLOW_DEV_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="SCHEDULER_SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite:////tmp/never-created.sqlite3"})


@pytest.fixture
def limited_app(app, database_url):
    """The same clean database, served with limits on and a small write allowance."""
    limited = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_WRITE="2 per minute",
        RATELIMIT_PUBLIC_READ="3 per minute",
    )
    yield limited
    from scheduler.store.engine import db

    with limited.app_context():
        db.engine.dispose()


def test_public_writes_past_the_limit_get_a_clear_429_and_health_checks_are_never_limited(limited_app, make_provider):
    make_provider("pmr")
    client = limited_app.test_client()
    day = next_clinic_day()
    statuses = [
        client.post("/api/v1/appointments", json=booking_json(central(day, h))).status_code for h in (9, 11, 13)
    ]
    assert statuses == [201, 201, 429]
    refused = client.post("/api/v1/appointments", json=booking_json(central(day, 15)))
    assert refused.json == {
        "error": "rate_limited",
        "message": "Too many requests. Please wait a minute and try again.",
    }
    assert "Retry-After" in refused.headers
    reads = [client.get("/api/v1/visit-types").status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429]
    assert all(client.get("/healthz").status_code == 200 for _ in range(10))


def test_the_documented_switch_turns_the_limits_off_for_load_tests(client, make_provider):
    make_provider("pmr")
    assert all(client.get("/api/v1/visit-types").status_code == 200 for _ in range(700))
