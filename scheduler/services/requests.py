"""Requests to the clinic that land in a specialty's queue for a scheduler to place."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.catalog import UNSURE
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import on_request_received
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.services import clinic
from scheduler.services import outbox
from scheduler.services import routing
from scheduler.services.patients import find_patient
from scheduler.services.patients import history
from scheduler.services.patients import save_patient
from scheduler.services.references import new_reference
from scheduler.store import models
from scheduler.store import requests as store_requests
from scheduler.store.unit_of_work import unit_of_work


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
    """Route the request and queue it for the routed specialty; commits. Raises InvalidInput."""
    now = now or utc_now()
    with unit_of_work():
        offer = clinic.current_catalog(now)
        if intake.requested != UNSURE:
            offer.visit_type(intake.requested, field="reason.requested")
        found = find_patient(patient)
        decision = routing.decide(intake, history(found), offer)
        saved = save_patient(patient, found, now)
        request = models.VisitRequest(
            reference=new_reference("REQ"),
            patient_id=saved.id,
            channel=channel,
            requested=intake.requested,
            intake={**asdict(intake), "red_flags": sorted(intake.red_flags)},
            preferences=preferences,
            routed_visit_type_id=offer.visit_type_ids[decision.visit_type],
            routed_specialty_id=offer.specialty_ids[decision.specialty],
            preferred_provider_id=decision.preferred_provider_id,
            routing_rule=decision.rule,
            routing_reason=decision.reason,
            urgent=decision.urgent,
            status=RequestStatus.OPEN,
            created_at=now,
        )
        store_requests.add(request)
        outbox.queue(on_request_received(saved.reach(), now), request_id=request.id)
    return Submitted(request, decision, offer)
