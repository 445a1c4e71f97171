"""No cache may keep an answer that carries a patient's details or a token: every answer says
no-store, whatever its type (JSON, FHIR, CSV, HTML); only our static files may be cached."""

from __future__ import annotations

from scheduler.services.integrations import create_api_client
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day


def test_answers_with_patient_details_or_tokens_are_never_stored_and_static_files_may_be(
    client, app, make_provider, signed_in
):
    provider = make_provider("pmr")
    day = next_clinic_day()
    booked = client.post("/api/v1/appointments", json=booking_json(central(day, 9)))
    assert booked.status_code == 201 and "manage_token" in booked.json
    reference, token = booked.json["reference"], booked.json["manage_token"]
    shown = client.get(f"/api/v1/appointments/{reference}", headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        api_token = create_api_client("EHR", ("read",)).token
    fhir = client.get(f"/fhir/Appointment/{reference}", headers={"Authorization": f"Bearer {api_token}"})
    signed_in(client, "admin")
    day_list = client.get(f"/staff/day-list/{provider}.csv?day={day.isoformat()}")
    audit_csv = client.get("/staff/audit.csv")
    for answer in (booked, shown, fhir, day_list, audit_csv):
        assert answer.status_code in (200, 201), answer.request.path
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path
    assert "Ann" in day_list.get_data(as_text=True)  # the CSV does carry a patient's name
    with client.get("/static/css/staff.css") as style:  # a file response: closed after reading
        assert style.status_code == 200 and "no-store" not in style.headers.get("Cache-Control", "")
