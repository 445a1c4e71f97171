"""Booking through the public API: the happy path and the refusals every client must handle."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def test_a_new_patient_books_an_evaluation_and_can_view_and_cancel_it(client, make_provider):
    provider = make_provider("pmr", name="Dr. Maya Lindqvist")
    day = next_clinic_day()
    response = client.post("/api/v1/appointments", json=booking_json(central(day, 9)))
    assert response.status_code == 201, response.json
    booked = response.json
    assert booked["status"] == "booked"
    assert booked["start"] == central(day, 9).astimezone(booked_tz(booked)).isoformat()
    assert booked["provider"] == {
        "id": provider,
        "name": "Dr. Maya Lindqvist",
        "kind": "physiatrist",
        "kind_label": "Physiatrist",
    }
    assert response.headers["Location"].endswith(booked["reference"])

    auth = {"Authorization": f"Bearer {booked['manage_token']}"}
    shown = client.get(f"/api/v1/appointments/{booked['reference']}", headers=auth)
    assert shown.status_code == 200 and shown.json["reference"] == booked["reference"]

    cancelled = client.post(
        f"/api/v1/appointments/{booked['reference']}/cancel", headers=auth, json={"reason": "better"}
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    # The time is free again: another patient can book it.
    again = client.post(
        "/api/v1/appointments",
        json=booking_json(
            central(day, 9), patient=patient_json(given_name="Bo", email="bo@example.com", phone="507-555-0199")
        ),
    )
    assert again.status_code == 201


def booked_tz(body):
    from datetime import datetime

    return datetime.fromisoformat(body["start"]).tzinfo


def test_a_wrong_manage_token_is_a_plain_not_found(client, make_provider):
    make_provider("pmr")
    booked = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(), 10))).json
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        response = client.get(f"/api/v1/appointments/{booked['reference']}", headers=headers)
        assert response.status_code == 404 and response.json["error"] == "not_found"
    unknown = client.get(
        "/api/v1/appointments/SIJ-AAAA-AAAA", headers={"Authorization": f"Bearer {booked['manage_token']}"}
    )
    assert unknown.status_code == 404
    assert (
        unknown.json["message"]
        == client.get(f"/api/v1/appointments/{booked['reference']}", headers={"Authorization": "Bearer x"}).json[
            "message"
        ]
    )


def test_the_same_slot_twice_is_a_conflict_and_leaves_one_reservation(client, app, make_provider):
    make_provider("pmr")
    start = central(next_clinic_day(), 11)
    first = client.post("/api/v1/appointments", json=booking_json(start))
    second = client.post(
        "/api/v1/appointments",
        json=booking_json(start, patient=patient_json(given_name="Cy", email="cy@example.com", phone="507-555-0102")),
    )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json["error"] == "slot_taken"
    with app.app_context():
        count = db.session.execute(
            select(func.count()).select_from(models.Reservation).where(models.Reservation.resource.like("provider:%"))
        ).scalar_one()
    assert count == 1
