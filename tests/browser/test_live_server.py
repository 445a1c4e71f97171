"""The browser talks to the test's own app: same object, same database, CSRF on, rate limits off."""

from __future__ import annotations

from tests.conftest import next_clinic_day


def test_the_browser_sees_what_the_test_just_wrote(page, app, make_provider):
    provider = make_provider("pmr", name="Dr. Seen By The Browser")
    day = next_clinic_day()
    response = page.goto(f"/api/v1/availability?visit_type=evaluation&from={day.isoformat()}&days=1")
    assert response.status == 200
    assert {slot["provider"]["id"] for slot in response.json()["slots"]} == {provider}


def test_browser_tests_run_with_csrf_on_and_rate_limits_off(page, app, live_server, base_url):
    assert live_server == base_url
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert not app.config["RATELIMIT_ENABLED"]
    assert page.goto("/healthz").status == 200
