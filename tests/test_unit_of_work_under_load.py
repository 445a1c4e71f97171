"""Reads that end in a write keep working while others write: every write is one unit of work.

A request that reads and then writes (a staff sign-in reads the account, hashes the password and
then writes its counters and audit row; an audited FHIR read or staff visit page writes its audit
row after reading) used to fail on SQLite under load: its deferred read transaction could not
become a writer once another process had committed (SQLITE_BUSY at once, whatever the busy
timeout), so the request answered 500 or 503. The unit of work ends the read transaction and takes
the write lock with BEGIN IMMEDIATE, queueing behind the other writers instead.

These tests run the app under gunicorn (several processes, as in production) against the database
the suite runs on, keep clients booking steadily in the background, and count both the answers and
the rows written.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.slots import provider_resource
from scheduler.services.integrations import create_api_client
from scheduler.services.staff import create_account
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.servers import gunicorn_server

pytestmark = pytest.mark.slow

WORKERS = 4
BOOKERS = 4  # clients booking steadily in the background, one provider each
RACERS = 50
SIGN_INS = 20
ACCOUNTS = 5  # each signed in SIGN_INS / ACCOUNTS times: correct passwords never lock an account
READERS = 2  # FHIR clients, and as many staff members opening a visit page
CALLS_PER_READER = 15
PASSWORD = "correct horse battery staple"
# Generous: a client that waits this long is a bug worth a failure, not a hang of the suite.
TIMEOUT_SECONDS = 30
CLINIC_HOURS = range(8, 17)  # an evaluation is an hour: 08:00 to 16:00 starts fill 08:00-17:00


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self) -> str:
        return self.body.decode(errors="replace")

    def session_cookie(self) -> str | None:
        """The ``session=...`` pair the server set, to send back as a Cookie header. Kept by hand:
        the cookie is Secure, so a cookie jar would never send it back over plain http."""
        for header in self.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0].strip()
            if pair.startswith("session="):
                return pair
        return None


def _request(
    base_url: str, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request on its own connection (gunicorn's sync workers close each one after answering)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read())
    finally:
        connection.close()


def _post_json(base_url: str, path: str, payload: dict[str, Any]) -> Answer:
    return _request(
        base_url, "POST", path, body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )


def _patient(name: str) -> dict[str, Any]:
    # A different person for every booking: a refusal must only ever be about the provider's time,
    # never about this patient's own overlapping visit.
    return patient_json(given_name=name, family_name="Lee", email=f"{name.lower()}@example.com")


# ----- staff sign-in over HTTP, with CSRF on (as gunicorn runs the app) -------------------------------

CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _sign_in(base_url: str, username: str, password: str) -> tuple[Answer, Answer | None]:
    """A browser of its own signing in: GET the form (its CSRF token and the session cookie that
    token belongs to), then POST it. (form, sign-in); sign-in is None when the form failed."""
    form = _request(base_url, "GET", "/staff/login")
    found = CSRF_TOKEN.search(form.text())
    cookie = form.session_cookie()
    if form.status != 200 or not found or not cookie:
        return form, None
    fields = {"username": username, "password": password, "csrf_token": found.group(1) or found.group(2)}
    signed_in = _request(
        base_url,
        "POST",
        "/staff/login",
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    return form, signed_in


def _went_to_the_staff_home(answer: Answer | None) -> bool:
    """What a successful sign-in answers: a redirect to the staff home (a refused one shows the form again)."""
    if answer is None or answer.status != 302:
        return False
    return urlsplit(answer.headers.get("Location", "")).path == "/staff/"


def _staff_accounts(app: Flask, prefix: str, count: int) -> list[tuple[int, str]]:
    with app.app_context():
        made = [create_account(f"{prefix}{n}", f"Load Tester {n}", "scheduler", PASSWORD) for n in range(count)]
        return [(account.id, account.username) for account in made]


# ----- the background load: clients booking steadily -------------------------------------------------


def _clinic_days() -> Iterator[date]:
    """Every clinic day, from the one tests usually book on."""
    previous = None
    for after_days in itertools.count(2):
        day = next_clinic_day(after_days)
        if day != previous:
            yield day
        previous = day


def _free_hours() -> Iterator[datetime]:
    for day in _clinic_days():
        for hour in CLINIC_HOURS:
            yield central(day, hour)


class SteadyBookings:
    """BOOKERS threads, each booking its own provider's free hours one after another through
    ``POST /api/v1/appointments`` until the block ends. Every answer's status is kept."""

    def __init__(self, base_url: str, providers: list[int]) -> None:
        self._base_url = base_url
        self._stop = threading.Event()
        self._answered = threading.Condition()
        self.statuses: list[int] = []
        self.failures: list[str] = []  # the bodies of answers other than 201, for the failure message
        self._threads = [
            threading.Thread(target=self._book, args=(n, provider), name=f"booker-{n}", daemon=True)
            for n, provider in enumerate(providers)
        ]

    def __enter__(self) -> SteadyBookings:
        for thread in self._threads:
            thread.start()
        # The load under test starts only once every booker has been answered at least once, so the
        # bookings are flowing (not still connecting) while it runs.
        with self._answered:
            flowing = self._answered.wait_for(lambda: len(self.statuses) >= len(self._threads), TIMEOUT_SECONDS)
        if not flowing:
            self._stop.set()
            raise AssertionError(f"the background bookings never got going: {self.statuses}")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT_SECONDS)
        assert not any(thread.is_alive() for thread in self._threads), "a booker did not stop"

    def _book(self, n: int, provider: int) -> None:
        for k, start in enumerate(_free_hours()):
            if self._stop.is_set():
                return
            body = booking_json(start, provider_id=provider, patient=_patient(f"Booker{n}x{k}"))
            try:
                answer = _post_json(self._base_url, "/api/v1/appointments", body)
                status, problem = answer.status, answer.text()
            except OSError as error:  # kept as a failure rather than lost with the thread
                status, problem = 0, repr(error)
            with self._answered:
                self.statuses.append(status)
                if status != 201:
                    self.failures.append(f"{status}: {problem[:300]}")
                self._answered.notify_all()


def _count(*conditions: Any, model: Any = models.AuditEvent) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


# ----- the tests --------------------------------------------------------------------------------------


def test_every_staff_sign_in_succeeds_while_clients_book_and_fifty_race_for_one_slot_under_gunicorn(
    app: Flask, database_url: str, make_provider: Any
) -> None:
    raced = make_provider("pmr", name="Dr. Maya Lindqvist")
    booked_steadily = [make_provider("pmr", name=f"Dr. Steady {n}") for n in range(BOOKERS)]
    raced_start = central(next_clinic_day(), 9)
    race_bodies = [
        booking_json(raced_start, provider_id=raced, patient=_patient(f"Racer{n:02d}")) for n in range(RACERS)
    ]
    accounts = _staff_accounts(app, "signin", ACCOUNTS)
    start_together = threading.Barrier(RACERS)

    def race(body: dict[str, Any]) -> Answer:
        try:
            start_together.wait(TIMEOUT_SECONDS)
        except threading.BrokenBarrierError:
            pass  # another racer failed; this one still asks, and its answer is counted
        return _post_json(base_url, "/api/v1/appointments", body)

    # Asserted inside the server's block: on failure its log (with any 500's traceback) is shown.
    with gunicorn_server(database_url, workers=WORKERS) as base_url:
        with SteadyBookings(base_url, booked_steadily) as bookings:
            with ThreadPoolExecutor(max_workers=RACERS + SIGN_INS) as pool:
                sign_ins = [
                    pool.submit(_sign_in, base_url, accounts[n % ACCOUNTS][1], PASSWORD) for n in range(SIGN_INS)
                ]
                racers = [pool.submit(race, body) for body in race_bodies]
                signed_in = [future.result() for future in sign_ins]
                raced_answers = [future.result() for future in racers]

        everything = [
            *(("sign-in form", form) for form, _ in signed_in),
            *(("sign-in", post) for _, post in signed_in if post is not None),
            *(("race", answer) for answer in raced_answers),
        ]
        crashes = Counter(f"{label} {answer.status}" for label, answer in everything if answer.status >= 500)
        assert not crashes, f"server errors: {dict(crashes)}"
        # Each booker had its own provider and free hours, and each booking a new patient: all were booked.
        assert set(bookings.statuses) == {201}, bookings.failures[:3]

        refused = [
            (form.status, post.status if post else None, (post or form).text()[:300])
            for form, post in signed_in
            if not _went_to_the_staff_home(post)
        ]
        assert not refused, f"{len(refused)} of {SIGN_INS} sign-ins failed: {refused[:3]}"

        statuses = Counter(answer.status for answer in raced_answers)
        assert statuses == {201: 1, 409: RACERS - 1}, statuses
        assert {json.loads(a.body)["error"] for a in raced_answers if a.status == 409} == {"slot_taken"}

    with app.app_context():
        r = models.Reservation
        assert _count(r.resource == provider_resource(raced), r.active, r.starts_at == raced_start, model=r) == 1
        assert _count(r.resource == provider_resource(raced), model=r) == 1  # the losers left no rows behind
        e = models.AuditEvent
        account_ids = [account_id for account_id, _ in accounts]
        assert _count(e.action == "staff.login", e.actor_id.in_(account_ids)) == SIGN_INS
        assert _count(e.action.like("staff.login_%")) == 0  # no sign-in was counted as failed or refused


def test_audited_fhir_reads_and_staff_visit_pages_all_answer_and_are_recorded_while_clients_book(
    app: Flask, database_url: str, make_provider: Any
) -> None:
    viewed_provider = make_provider("pmr", name="Dr. Ines Okafor")
    booked_steadily = [make_provider("pmr", name=f"Dr. Steady {n}") for n in range(BOOKERS)]
    [(viewer_id, viewer)] = _staff_accounts(app, "viewer", 1)
    with app.app_context():
        new = create_api_client("Load test EHR", ("read",))
        token, api_client_id = new.token, new.client.id

    def read_fhir() -> list[Answer]:
        path, headers = f"/fhir/Appointment/{reference}", {"Authorization": f"Bearer {token}"}
        return [_request(base_url, "GET", path, headers=headers) for _ in range(CALLS_PER_READER)]

    def open_visit() -> list[Answer]:
        path = f"/staff/visits/{appointment_id}"
        return [_request(base_url, "GET", path, headers={"Cookie": cookie}) for _ in range(CALLS_PER_READER)]

    with gunicorn_server(database_url, workers=WORKERS) as base_url:
        # The visit that is read and opened, and the staff member's session, made before the load.
        visit = _post_json(
            base_url,
            "/api/v1/appointments",
            booking_json(central(next_clinic_day(), 10), provider_id=viewed_provider, patient=_patient("Viewed")),
        )
        assert visit.status == 201, visit.text()
        reference = json.loads(visit.body)["reference"]
        with app.app_context():
            appointment_id = db.session.execute(
                select(models.Appointment.id).where(models.Appointment.reference == reference)
            ).scalar_one()
        _, signed_in = _sign_in(base_url, viewer, PASSWORD)
        assert _went_to_the_staff_home(signed_in), signed_in and signed_in.text()[:300]
        assert signed_in is not None
        cookie = signed_in.session_cookie()
        assert cookie, "the sign-in set no session cookie"

        with SteadyBookings(base_url, booked_steadily) as bookings:
            with ThreadPoolExecutor(max_workers=2 * READERS) as pool:
                fhir_calls = [pool.submit(read_fhir) for _ in range(READERS)]
                visit_calls = [pool.submit(open_visit) for _ in range(READERS)]
                fhir_answers = [answer for future in fhir_calls for answer in future.result()]
                visit_answers = [answer for future in visit_calls for answer in future.result()]

        assert set(bookings.statuses) == {201}, bookings.failures[:3]
        # Never 503 ("the call could not be recorded": the answer withheld because its audit row failed).
        fhir_problems = [f"{a.status}: {a.text()[:300]}" for a in fhir_answers if a.status != 200]
        assert not fhir_problems, f"{len(fhir_problems)} of {len(fhir_answers)} FHIR reads: {fhir_problems[:3]}"
        assert {json.loads(a.body)["id"] for a in fhir_answers} == {reference}
        visit_problems = [f"{a.status}: {a.text()[:300]}" for a in visit_answers if a.status != 200]
        assert not visit_problems, f"{len(visit_problems)} of {len(visit_answers)} visit pages: {visit_problems[:3]}"

    with app.app_context():
        e = models.AuditEvent
        fhir_rows = (e.action == "fhir.read", e.actor_kind == "api", e.actor_id == api_client_id)
        assert _count(*fhir_rows) == len(fhir_answers) == READERS * CALLS_PER_READER
        assert _count(*fhir_rows, e.record_id == reference) == len(fhir_answers)
        view_rows = (e.action == "appointment.view", e.actor_kind == "staff", e.actor_id == viewer_id)
        assert _count(*view_rows, e.record_id == str(appointment_id)) == len(visit_answers)
        assert _count(*view_rows) == READERS * CALLS_PER_READER
