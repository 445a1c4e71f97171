"""The production topology of deploy/, started for real: Debian's nginx with the repository's
configuration, in front of gunicorn (4 sync workers, deploy/gunicorn.conf.py) on the test
database, counting rate limits in the machine's Redis.

It shows what the topology is for: clients that send their requests slowly no longer stop
/healthz or a booking (the same clients sent straight to gunicorn do), and the public write limit
holds for one address across all four workers (each worker counting on its own allowed four times
as many bookings).
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.servers import ServerDidNotStart
from tests.servers import gunicorn_server
from tests.topology.nginx import DEPLOY
from tests.topology.nginx import NGINX
from tests.topology.nginx import nginx_missing
from tests.topology.nginx import nginx_server

pytestmark = pytest.mark.slow

WORKERS = 4
REDIS_DB = 13  # the tests' own database of the machine's Redis; only their own keys are removed
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
WRITE_LIMIT = 10
BOOKINGS = 50
SLOW_HEADER_CLIENTS = 8
SLOW_BODY_CLIENTS = 4
SLOW_EVERY_SECONDS = 2.0  # one more header line (or a few bytes of body) from each slow client
SLOW_WINDOW_SECONDS = 6.0  # how long the service is measured while they hold their connections
PROMPT_SECONDS = 1.0  # "answers promptly": /healthz under slow clients ...
BOOKING_PROMPT_SECONDS = 2.0  # ... and a booking (a worker's first one, on a machine others share)
CLIENT_ADDRESS = "127.0.0.5"  # the bookings' own source address (all of 127/8 is this machine)
TIMEOUT_SECONDS = 20


def _redis_missing() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"Redis does not answer at {REDIS_URL} ({error})"
    return None


@pytest.fixture
def rate_limit_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the tests' Redis database, emptied afterwards."""
    missing = nginx_missing() or _redis_missing()
    if missing:
        pytest.skip(missing)
    prefix = f"topology-test-{secrets.token_hex(6)}"
    yield prefix
    store = redis.Redis.from_url(REDIS_URL)
    keys = list(store.scan_iter(match=f"*{prefix}*"))
    if keys:
        store.delete(*keys)


@dataclass
class Topology:
    url: str  # nginx's
    gunicorn_url: str
    folder: Path
    gunicorn_access_log: Path


@pytest.fixture
def topology(app: Flask, database_url: str, rate_limit_prefix: str, tmp_path: Path) -> Iterator[Topology]:
    access_log = tmp_path / "gunicorn-access.log"
    env = {
        "SCHEDULER_RATELIMIT_ENABLED": "true",
        "SCHEDULER_RATELIMIT_STORAGE_URI": f"{REDIS_URL}?socket_timeout=0.5&socket_connect_timeout=0.5",
        "SCHEDULER_RATELIMIT_KEY_PREFIX": rate_limit_prefix,
        "SCHEDULER_RATELIMIT_PUBLIC_WRITE": f"{WRITE_LIMIT} per minute",
        "SCHEDULER_PROXY_HOPS": "1",
    }
    # The settings of deploy/gunicorn.conf.py but for the address (the test's port, not the socket
    # systemd makes) and an access log that names the worker (pid) that answered.
    config = ["--config", str(DEPLOY / "gunicorn.conf.py")]
    logged = ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"]
    with gunicorn_server(database_url, workers=WORKERS, env=env, extra_args=[*config, *logged]) as gunicorn_url:
        port = urlsplit(gunicorn_url).port
        assert port
        with nginx_server(port, tmp_path / "nginx") as url:
            yield Topology(url, gunicorn_url, tmp_path / "nginx", access_log)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


def _request(
    base_url: str,
    method: str,
    path: str,
    *,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        address.hostname, address.port, timeout=timeout, source_address=(source, 0) if source else None
    )
    body = json.dumps(payload).encode() if payload is not None else None
    sent = {**({"Content-Type": "application/json"} if body else {}), **(headers or {})}
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read(), time.monotonic() - started)
    finally:
        connection.close()


def _free_hours() -> Iterator[datetime]:
    """Every hour an evaluation may start at, from the day tests usually book on."""
    for after_days in itertools.count(2, 7):
        for weekday in range(5):
            day = next_clinic_day(after_days, weekday=weekday)
            for hour in range(8, 16):
                yield central(day, hour)


def _bookings(provider: int, count: int, name: str) -> list[dict[str, Any]]:
    starts = sorted(set(itertools.islice(_free_hours(), count * 2)))[:count]
    assert len(starts) == count
    return [
        booking_json(
            start, provider_id=provider, patient=patient_json(given_name=f"{name}{n}", email=f"{name}{n}@example.com")
        )
        for n, start in enumerate(starts)
    ]


# ----- slow clients ------------------------------------------------------------------------------------


class SlowClients:
    """Connections that send a request a little at a time and never finish it: SLOW_HEADER_CLIENTS
    send one more header line every SLOW_EVERY_SECONDS, SLOW_BODY_CLIENTS send whole headers for a
    2,000-byte body and then ten bytes of it at a time."""

    def __init__(self, base_url: str) -> None:
        address = urlsplit(base_url)
        self._address = (address.hostname, address.port)
        self._sockets: list[tuple[str, socket.socket]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, name="slow-clients", daemon=True)
        self.sends = 0

    def __enter__(self) -> SlowClients:
        for n in range(SLOW_HEADER_CLIENTS):
            client = socket.create_connection(self._address, timeout=5)
            client.sendall(f"GET /healthz?slow={n} HTTP/1.1\r\nHost: localhost\r\n".encode())
            self._sockets.append(("header", client))
        for _ in range(SLOW_BODY_CLIENTS):
            client = socket.create_connection(self._address, timeout=5)
            client.sendall(
                b"POST /api/v1/appointments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2000\r\n\r\n{"
            )
            self._sockets.append(("body", client))
        self._thread.start()
        return self

    def _dribble(self) -> None:
        line = 0
        while not self._stop.wait(SLOW_EVERY_SECONDS):
            line += 1
            for kind, client in self._sockets:
                chunk = f"X-Slow-{line}: {'a' * 10}\r\n".encode() if kind == "header" else b'"a": 1.0,'
                try:
                    client.sendall(chunk)
                    self.sends += 1
                except OSError:
                    pass  # closed by the server: counted by wait_dropped

    def stop_sending(self) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT_SECONDS)

    def wait_dropped(self, kind: str, timeout: float) -> int:
        """Wait until the server has closed every slow connection of ``kind`` ("header" or "body"),
        or timeout: how many it closed."""
        deadline = time.monotonic() + timeout
        dropped = 0
        for _, client in (pair for pair in self._sockets if pair[0] == kind):
            client.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                while client.recv(4096):
                    pass  # nginx may answer 408 before it closes
                dropped += 1
            except ConnectionResetError:
                dropped += 1
            except OSError:
                pass  # still open at the deadline
        return dropped

    def __exit__(self, *_exc: object) -> None:
        self.stop_sending()
        for _, client in self._sockets:
            client.close()


def _poll_health(base_url: str, seconds: float, timeout: float) -> list[Answer | None]:
    """GET /healthz every 0.2 s for ``seconds``; None for a request that got no answer in ``timeout``."""
    answers: list[Answer | None] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answers.append(_request(base_url, "GET", "/healthz", timeout=timeout))
        except (OSError, http.client.HTTPException):
            answers.append(None)
        time.sleep(0.2)
    return answers


def test_slow_clients_no_longer_stop_healthz_or_a_booking(topology: Topology, make_provider: Any) -> None:
    provider = make_provider("pmr", name="Dr. Slow Lane")
    [booking, later_booking] = _bookings(provider, 2, "Prompt")
    assert _request(topology.url, "GET", "/healthz").status == 200
    _static_files_come_from_nginx(topology)

    with SlowClients(topology.url) as slow:
        connected = time.monotonic()
        time.sleep(SLOW_EVERY_SECONDS + 0.5)  # every slow client has sent at least one more line
        health = _poll_health(topology.url, SLOW_WINDOW_SECONDS / 2, timeout=TIMEOUT_SECONDS)
        booked = _request(topology.url, "POST", "/api/v1/appointments", payload=booking)
        health += _poll_health(topology.url, SLOW_WINDOW_SECONDS / 2, timeout=TIMEOUT_SECONDS)
        sends_meanwhile = slow.sends
        # A client still sending header lines is cut off all the same: the whole header must
        # arrive within client_header_timeout (10 s). (A body only has to keep moving.)
        dropped = slow.wait_dropped("header", 15)
        dropped_after = time.monotonic() - connected

    latencies = sorted(answer.seconds for answer in health if answer)
    print(
        f"\nthrough nginx, {SLOW_HEADER_CLIENTS + SLOW_BODY_CLIENTS} slow clients connected: /healthz x{len(health)} "
        f"median {latencies[len(latencies) // 2] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
        f"booking {booked.status} in {booked.seconds * 1000:.0f} ms; nginx closed the {dropped} slow-header "
        f"connections after {dropped_after:.1f} s"
    )
    assert all(answer and answer.status == 200 for answer in health), [a and a.status for a in health]
    assert latencies[-1] < PROMPT_SECONDS, latencies
    assert booked.status == 201, booked.body[:300]
    assert booked.seconds < BOOKING_PROMPT_SECONDS
    # The slow clients really were connected and sending all along (not refused at once).
    clients = SLOW_HEADER_CLIENTS + SLOW_BODY_CLIENTS
    assert sends_meanwhile >= clients * int(SLOW_WINDOW_SECONDS / SLOW_EVERY_SECONDS), sends_meanwhile
    assert dropped == SLOW_HEADER_CLIENTS, f"nginx closed only {dropped} of {SLOW_HEADER_CLIENTS} endless headers"

    # The same slow clients sent straight to gunicorn hold every sync worker: /healthz gets no
    # answer. This is what nginx is in front for (and shows the test above can fail).
    with SlowClients(topology.gunicorn_url):
        time.sleep(0.5)
        direct = _poll_health(topology.gunicorn_url, 1.0, timeout=2.0)
    print(f"straight to gunicorn: {sum(1 for a in direct if a is None)} of {len(direct)} /healthz got no answer in 2 s")
    assert direct and all(answer is None for answer in direct), [a and a.status for a in direct]
    # Once they are gone gunicorn answers again, and bookings go through nginx as before.
    assert _request(topology.gunicorn_url, "GET", "/healthz").status == 200
    after = _request(topology.url, "POST", "/api/v1/appointments", payload=later_booking)
    assert after.status == 201, after.body[:300]


def _static_files_come_from_nginx(topology: Topology) -> None:
    answer = _request(topology.url, "GET", "/static/css/public.css")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/css")
    assert answer.body == (DEPLOY.parent / "scheduler" / "static" / "css" / "public.css").read_bytes()
    assert answer.headers["Cache-Control"] == "no-cache"
    assert "Content-Security-Policy" not in answer.headers  # every answer of the app has one
    assert "/static/" not in topology.gunicorn_access_log.read_text()


# ----- one address, many bookings -------------------------------------------------------------------


def _count_bookings() -> int:
    return db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one()


def test_the_public_write_limit_holds_for_one_address_across_four_workers(
    app: Flask, topology: Topology, rate_limit_prefix: str, make_provider: Any
) -> None:
    provider = make_provider("pmr", name="Dr. Many Hands")
    bodies = _bookings(provider, BOOKINGS, "Flood")
    start_together = threading.Barrier(BOOKINGS)

    def book(n: int) -> Answer:
        # Half of them claim another address: nginx replaces X-Forwarded-For, so it changes nothing.
        headers = {"X-Forwarded-For": f"198.51.100.{n}"} if n % 2 else {}
        try:
            start_together.wait(TIMEOUT_SECONDS)
        except threading.BrokenBarrierError:
            pass
        return _request(
            topology.url, "POST", "/api/v1/appointments", payload=bodies[n], headers=headers, source=CLIENT_ADDRESS
        )

    with ThreadPoolExecutor(max_workers=BOOKINGS) as pool:
        answers = list(pool.map(book, range(BOOKINGS)))

    # The app's refusals carry its X-RateLimit-* headers and JSON; nginx's (its coarser flood
    # guard, scheduler_post: bursts of 30) do not.
    by_app = [a for a in answers if a.status == 429 and a.headers.get("X-RateLimit-Limit")]
    by_nginx = [a for a in answers if a.status == 429 and not a.headers.get("X-RateLimit-Limit")]
    statuses = Counter(a.status for a in answers)
    print(
        f"\n{BOOKINGS} bookings from {CLIENT_ADDRESS} at once, limit {WRITE_LIMIT} a minute: {dict(statuses)} "
        f"(429: {len(by_app)} by the app, {len(by_nginx)} by nginx)"
    )
    assert set(statuses) <= {201, 429}, [(a.status, a.body[:200]) for a in answers if a.status not in (201, 429)]
    assert statuses[201] == WRITE_LIMIT
    assert by_app, "no booking past the limit reached the app: the test shows nothing about the workers"
    assert {json.loads(a.body)["error"] for a in by_app} == {"rate_limited"}
    with app.app_context():
        assert _count_bookings() == WRITE_LIMIT

    # Every request that reached the app was counted in one shared counter, under the client's own
    # address (ProxyFix, one hop: neither nginx's 127.0.0.1 nor the addresses the client claimed) ...
    store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    keys = list(store.scan_iter(match=f"*{rate_limit_prefix}*"))
    assert keys and all(CLIENT_ADDRESS in key for key in keys), keys
    counted = sum(int(store.get(key) or 0) for key in keys)
    assert counted == WRITE_LIMIT + len(by_app), (keys, counted)
    # ... by more than one of the workers.
    served = re.findall(r"^<(\d+)> POST /api/v1/appointments (\d+)$", topology.gunicorn_access_log.read_text(), re.M)
    workers = Counter(pid for pid, _ in served)
    print(f"bookings answered by gunicorn worker: {dict(workers)}")
    assert len(served) == WRITE_LIMIT + len(by_app)
    assert len(workers) >= 2, workers

    # nginx's access log keeps neither the client's claims nor a patient's manage token.
    token, reference = [
        (json.loads(a.body)["manage_token"], json.loads(a.body)["reference"]) for a in answers if a.status == 201
    ][0]
    manage = _request(topology.url, "GET", f"/manage/{reference}/{token}", source=CLIENT_ADDRESS)
    assert manage.status == 200
    time.sleep(0.2)  # nginx writes the line once the answer is sent
    logged = (topology.folder / "access.log").read_text()
    assert token not in logged
    assert f"GET /manage/{reference}/-" in logged


# ----- the rest of deploy/ ---------------------------------------------------------------------------


def test_a_url_too_long_is_a_fhir_414_whether_the_app_or_nginx_refuses_it(topology: Topology) -> None:
    """Up to nginx's 8 KB the app answers (its limit is 4 KB, with the error code system); past
    them nginx does, with an OperationOutcome too, never its own HTML page."""
    for length, by_the_app in ((5_000, True), (9_000, False)):
        answer = _request(topology.url, "GET", "/fhir/Slot?service-type=" + "a" * length)
        assert answer.status == 414, (length, answer.body[:200])
        assert answer.headers["Content-Type"].startswith("application/fhir+json"), length
        outcome = json.loads(answer.body)
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["severity"] == "error"
        assert ("coding" in outcome["issue"][0]["details"]) is by_the_app


def test_gunicorn_refuses_to_start_when_the_rate_limit_store_does_not_answer(app: Flask, database_url: str) -> None:
    env = {"SCHEDULER_RATELIMIT_ENABLED": "true", "SCHEDULER_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
    config = ["--config", str(DEPLOY / "gunicorn.conf.py")]
    with pytest.raises(ServerDidNotStart) as refused:
        with gunicorn_server(database_url, workers=1, env=env, extra_args=config, start_timeout=15):
            pass
    message = str(refused.value)
    assert "(exit code 3)" in message  # gunicorn's "Worker failed to boot": the master stopped too
    assert "SCHEDULER_RATELIMIT_STORAGE_URI=redis://127.0.0.1:1/0 does not answer" in message


def test_the_production_site_file_is_valid_nginx(tmp_path: Path) -> None:
    """deploy/nginx/scheduler.conf as installed (TLS, unix socket, default server), checked by
    ``nginx -t`` with a throw-away certificate in place of the clinic's."""
    missing = nginx_missing() or (None if shutil.which("openssl") else "openssl is not installed")
    if missing:
        pytest.skip(missing)
    (tmp_path / "snippets").mkdir()
    for name in ("scheduler-zones.conf", "scheduler-proxy.conf"):
        shutil.copy(DEPLOY / "nginx" / name, tmp_path / "snippets" / name)
    site = (DEPLOY / "nginx" / "scheduler.conf").read_text(encoding="utf-8")
    certificates = "/etc/letsencrypt/live/scheduler.example.org/"
    assert certificates in site and "/var/log/nginx/" in site
    site = site.replace(certificates, f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "scheduler.conf").write_text(site, encoding="utf-8")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=scheduler.example.org",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp {\n    include /etc/nginx/mime.types;\n    include scheduler.conf;\n}\n", encoding="utf-8"
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log"),
         "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
