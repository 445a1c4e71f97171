"""POST /api/v1/appointments with an Idempotency-Key: a retry gets the first answer, not a 409."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain.clock import utc_now
from scheduler.services import idempotency
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def count(app, table) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_retry_with_the_same_key_gets_the_first_answer_with_the_same_reference_and_token(app, client, make_provider):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(3), 10))
    first = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "retry-1"})
    assert again.status_code == 201, again.json
    assert again.json == first.json
    assert again.json["manage_token"] == first.json["manage_token"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert count(app, models.Appointment) == 1
    # Without the key, the same booking is the clean 409 it always was.
    assert client.post("/api/v1/appointments", json=body).status_code == 409


def test_the_same_key_with_another_body_is_refused_and_books_nothing(app, client, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(3), 10)
    assert (
        client.post("/api/v1/appointments", json=booking_json(start), headers={"Idempotency-Key": "k"}).status_code
        == 201
    )
    other = booking_json(start + timedelta(hours=2), patient=patient_json(given_name="Bo"))
    refused = client.post("/api/v1/appointments", json=other, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 422 and refused.json["error"] == "idempotency_key_reused", refused.json
    assert count(app, models.Appointment) == 1


def test_a_key_counts_per_client_address_and_expires_after_a_day(app, client, make_provider):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(3), 10))
    assert client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    elsewhere = client.post(
        "/api/v1/appointments", json=body, headers={"Idempotency-Key": "k"}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert elsewhere.status_code == 409  # not the first client's answer (its manage token)
    with app.app_context():
        (stored,) = db.session.execute(select(models.IdempotencyRecord)).scalars()
        assert "k" != stored.key_hash and len(stored.key_hash) == 64
        a_day_later = utc_now() + timedelta(hours=24, seconds=1)
        given = idempotency.answer_once(
            "other", client_address="127.0.0.1", request_body=b"{}", answer=lambda: idempotency.Answer(201, "{}"),
            now=a_day_later,
        )  # fmt: skip
        assert not given.replayed
        db.session.remove()
    assert count(app, models.IdempotencyRecord) == 1  # the day-old answer (with its token) is gone


def test_a_refused_booking_keeps_no_key_so_a_retry_is_tried_afresh(app, client, make_provider):
    body = booking_json(central(next_clinic_day(3), 10))
    # Nobody works then yet: refused (409).
    assert client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "k"}).status_code == 409
    assert count(app, models.IdempotencyRecord) == 0
    make_provider("pmr")
    assert client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "k"}).status_code == 201


def test_an_unusable_key_is_refused_on_its_header(app, client, make_provider):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(3), 10))
    for key in ("", "x" * 256, "with space"):
        refused = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": key})
        assert refused.status_code == 422 and "Idempotency-Key" in refused.json["fields"], key
    assert count(app, models.Appointment) == 0


def test_concurrent_retries_with_one_key_make_one_booking_and_both_get_its_answer(app, make_provider):
    make_provider("pmr")
    body = booking_json(central(next_clinic_day(3), 10))
    answers = []
    start_together = threading.Barrier(4)

    def post() -> None:
        client = app.test_client()
        start_together.wait(10)
        answers.append(client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201] * 4, [a.json for a in answers]
    assert len({a.json["reference"] for a in answers}) == 1
    assert len({a.json["manage_token"] for a in answers}) == 1
    assert count(app, models.Appointment) == 1
