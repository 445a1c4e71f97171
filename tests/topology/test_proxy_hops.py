"""PROXY_HOPS: behind nginx the app takes the client's address, scheme and host from exactly one
proxy's X-Forwarded-* headers; with no proxy configured those headers change nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask import jsonify
from flask import request
from flask import url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from scheduler import create_app
from scheduler.extensions import check_rate_limit_store
from scheduler.settings import Settings
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import make_app
from tests.conftest import next_clinic_day
from tests.servers import PROJECT_ROOT

FROM_NGINX = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "scheduler.example.org",
    "X-Forwarded-Port": "443",
}


def _with_probe(app: Flask) -> Flask:
    @app.get("/_probe")
    def probe():  # type: ignore[no-untyped-def]
        return jsonify(
            address=request.remote_addr,
            scheme=request.scheme,
            health=url_for("health.healthz", _external=True),
        )

    return app


@pytest.fixture
def app_with_hops(app_with):
    return lambda hops, **settings: _with_probe(app_with(PROXY_HOPS=hops, **settings))


def test_one_hop_takes_the_client_address_scheme_and_host_from_the_proxy(app_with_hops):
    answer = (
        app_with_hops(1).test_client().get("/_probe", headers=FROM_NGINX, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    )
    assert answer.json == {
        "address": "203.0.113.7",
        "scheme": "https",
        "health": "https://scheduler.example.org/healthz",
    }


def test_one_hop_believes_only_the_address_the_proxy_added(app_with_hops):
    # A client that sends its own X-Forwarded-For: a proxy that appends ($proxy_add_x_forwarded_for)
    # puts the real address last, and only the last one is believed.
    headers = {**FROM_NGINX, "X-Forwarded-For": "10.9.9.9, 198.51.100.4"}
    answer = app_with_hops(1).test_client().get("/_probe", headers=headers)
    assert answer.json["address"] == "198.51.100.4"


def test_without_a_proxy_forwarded_headers_are_ignored(app_with_hops):
    answer = (
        app_with_hops(0).test_client().get("/_probe", headers=FROM_NGINX, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    )
    assert answer.json == {"address": "192.0.2.1", "scheme": "http", "health": "http://localhost/healthz"}


def test_behind_one_proxy_limits_count_each_client_address_apart(app_with_hops, make_provider):
    make_provider("pmr")
    app = app_with_hops(1, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_WRITE="1 per minute")
    client, day = app.test_client(), next_clinic_day()

    def book(hour: int, address: str) -> int:
        headers = {**FROM_NGINX, "X-Forwarded-For": address}
        return client.post("/api/v1/appointments", json=booking_json(central(day, hour)), headers=headers).status_code

    assert [book(9, "203.0.113.7"), book(11, "203.0.113.7"), book(13, "203.0.113.8")] == [201, 429, 201]


def test_a_negative_number_of_hops_stops_the_app_at_start(database_url):
    with pytest.raises(ValueError, match="SCHEDULER_PROXY_HOPS"):
        make_app(database_url, PROXY_HOPS=-1)


def test_an_unreachable_rate_limit_store_is_named_without_its_password(app_with):
    app = app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://:hunter2@127.0.0.1:1/3")
    with pytest.raises(RuntimeError, match=r"SCHEDULER_RATELIMIT_STORAGE_URI=redis://127\.0\.0\.1:1/3 does not") as e:
        check_rate_limit_store(app)
    assert "hunter2" not in str(e.value)


def test_the_memory_store_and_switched_off_limits_need_no_check(app_with):
    check_rate_limit_store(app_with(RATELIMIT_ENABLED=True))
    check_rate_limit_store(app_with(RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/3"))


def test_the_example_environment_of_deploy_is_read_as_production_expects(monkeypatch):
    """deploy/scheduler.env.example, as systemd reads it: every value of the right type, one proxy
    believed, limits counted in Redis."""
    example = PROJECT_ROOT / "deploy" / "scheduler.env.example"
    for line in example.read_text(encoding="utf-8").splitlines():
        if line.startswith("SCHEDULER_"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value.strip('"'))
    monkeypatch.setenv("SCHEDULER_SECRET_KEY", "test-not-the-example")
    app = create_app()
    assert Settings(app.config).proxy_hops == 1
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://127.0.0.1:6379/")
    assert Settings(app.config).ratelimit_public_write == "30 per minute"
    assert isinstance(app.wsgi_app, ProxyFix)
