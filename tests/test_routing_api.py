"""Each of the seven routing rules, through POST /api/v1/requests, with its reason and queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy import update

from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json


def request_visit(client, requested, **reason):
    body = {
        "patient": patient_json(),
        "reason": {"requested": requested, "cause": "trauma", "seen_before": False, "referred": False, **reason},
        "preferences": {"days": ["tuesday"], "parts_of_day": ["morning"]},
    }
    response = client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize("reason", [{"cause": "infection"}, {"red_flags": ["cannot-bear-weight"]}])
def test_rule_1_infection_or_red_flag_is_an_urgent_evaluation_with_a_call_now_notice(client, reason):
    body = request_visit(client, "injection", seen_before=True, **reason)
    assert body["routed_to"]["visit_type"] == "evaluation" and body["routed_to"]["urgent"] is True
    assert "507-538-1280" in body["call_now"] and "emergency" in body["call_now"]


def test_rule_2_a_new_patient_begins_with_an_evaluation(client):
    routed = request_visit(client, "injection")["routed_to"]
    assert routed["specialty"] == {"code": "pmr", "name": "Physical Medicine & Rehabilitation"}
    assert (
        routed["reason"] == "New patients begin with a comprehensive evaluation in Physical Medicine & Rehabilitation."
    )


def test_rule_3_a_neurotomy_without_a_prior_injection_is_an_injection(client):
    routed = request_visit(client, "neurotomy", seen_before=True)["routed_to"]
    assert (routed["visit_type"], routed["rule"]) == ("injection", "injection-before-neurotomy")


def test_rule_4_a_surgical_consult_goes_to_orthopedic_surgery(client):
    routed = request_visit(client, "surgical-consult", seen_before=True)["routed_to"]
    assert routed["specialty"]["code"] == "ortho" and "nonoperative" in routed["reason"]


def test_rule_5_a_bone_health_consult_goes_to_endocrinology(client):
    assert request_visit(client, "bone-health", seen_before=True)["routed_to"]["specialty"]["code"] == "endo"


def test_rule_6_a_follow_up_goes_to_the_team_and_provider_of_the_last_visit(client, app, make_provider):
    make_provider("pmr")
    booked = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(), 9))).json
    radiologist = make_provider("radiology-pain", name="Dr. Priya Raman")
    with app.app_context():
        # The clinic's record: that visit took place, with the radiologist (as if moved by staff).
        db.session.execute(
            update(models.Appointment)
            .where(models.Appointment.reference == booked["reference"])
            .values(status="fulfilled", provider_id=radiologist)
        )
        db.session.commit()
    routed = request_visit(client, "follow-up", seen_before=True)["routed_to"]
    assert routed["specialty"]["code"] == "radiology-pain"
    assert routed["preferred_provider_id"] == radiologist


def test_rule_7_otherwise_the_visit_types_own_specialty(client):
    routed = request_visit(client, "ct", seen_before=True)["routed_to"]
    assert (routed["visit_type"], routed["specialty"]["code"], routed["rule"]) == (
        "ct",
        "radiology-pain",
        "visit-type-specialty",
    )


def test_a_request_lands_in_the_routed_specialtys_queue_with_its_reason(client, app):
    body = request_visit(client, "surgical-consult", seen_before=True)
    with app.app_context():
        queued = db.session.execute(select(models.VisitRequest).filter_by(reference=body["reference"])).scalar_one()
        assert queued.routed_specialty.code == "ortho" and queued.status == "open"
        assert queued.routing_reason == body["routed_to"]["reason"]
        assert queued.preferences["days"] == ["tuesday"] and queued.channel == "api"


def test_a_rule_changed_as_data_changes_the_route_without_code(client, app):
    with app.app_context():
        db.session.execute(update(models.RoutingRule).filter_by(name="new-patient-evaluation").values(enabled=False))
        db.session.commit()
    assert request_visit(client, "injection")["routed_to"]["visit_type"] == "injection"
