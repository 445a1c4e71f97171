"""Requests to the clinic that land in a specialty's queue for a scheduler to place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.catalog import UNSURE
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.messages import on_request_received
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.domain.urgent import clinic_now
from scheduler.services import clinic
from scheduler.services import outbox
from scheduler.services import routing
from scheduler.services.patients import find_patient
from scheduler.services.patients import history
from scheduler.services.patients import save_patient
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.services.urgent import call_back_target
from scheduler.store import models
from scheduler.store import requests as store_requests
from scheduler.store.unit_of_work import unit_of_work

URGENT_PHONE_NEEDED = "Give a phone number: your answers need an urgent visit, and we will call you back on it."


@dataclass(frozen=True)
class Submitted:
    request: models.VisitRequest
    decision: RoutingDecision
    catalog: Catalog


def submit_request(
    *,
    intake: Intake,
    patient: PatientDetails,
    preferences: dict[str, Any],
    channel: str,
    now: datetime | None = None,
) -> Submitted:
    """Route the request and queue it for the routed specialty; commits. An urgent request (red
    flags) is a call-back request: it needs the patient's phone, and carries the time by which
    the clinic calls back. Raises InvalidInput."""
    now = now or utc_now()
    with unit_of_work():
        offer = clinic.current_catalog(now)
        if intake.requested != UNSURE:
            offer.visit_type(intake.requested, field="reason.requested")
        found = find_patient(patient)
        decision = routing.decide(intake, history(found), offer)
        if decision.urgent and not patient.phone:
            raise InvalidInput({"patient.phone": URGENT_PHONE_NEEDED})
        saved = save_patient(patient, found, now)
        request = models.VisitRequest(
            reference=new_reference("REQ"),
            patient_id=saved.id,
            channel=channel,
            requested=intake.requested,
            intake=intake.as_dict(),
            preferences=preferences,
            routed_visit_type_id=offer.visit_type_ids[decision.visit_type],
            routed_specialty_id=offer.specialty_ids[decision.specialty],
            preferred_provider_id=decision.preferred_provider_id,
            routing_rule=decision.rule,
            routing_reason=decision.reason,
            urgent=decision.urgent,
            call_back_by=clinic_now(offer.calendar, now, call_back_target()).call_back_by if decision.urgent else None,
            status=RequestStatus.OPEN,
            created_at=now,
            manage_nonce=new_nonce(),
        )
        store_requests.add(request)
        outbox.queue(on_request_received(outbox.reach(saved), now), request_id=request.id)
    return Submitted(request, decision, offer)
