"""Requests to the clinic that land in a specialty's queue for a scheduler to place."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler import models
from scheduler.database import write_transaction
from scheduler.domain.clock import utc_now
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.extensions import db
from scheduler.services import clinic
from scheduler.services import routing
from scheduler.services.patients import PatientDetails
from scheduler.services.patients import find_or_add_patient
from scheduler.services.patients import find_patient
from scheduler.services.patients import history
from scheduler.services.references import new_reference


@dataclass(frozen=True)
class Submitted:
    request: models.VisitRequest
    decision: RoutingDecision


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
    if intake.requested != "unsure":
        clinic.visit_type_row(intake.requested, field="reason.requested")
    decision = routing.decide(intake, history(find_patient(patient)))
    with write_transaction():
        request = models.VisitRequest(
            reference=new_reference("REQ"),
            patient=find_or_add_patient(patient, now),
            channel=channel,
            requested=intake.requested,
            intake={**asdict(intake), "red_flags": sorted(intake.red_flags)},
            preferences=preferences,
            routed_visit_type=clinic.visit_type_row(decision.visit_type),
            routed_specialty=clinic.specialty_row(decision.specialty),
            preferred_provider_id=decision.preferred_provider_id,
            routing_rule=decision.rule,
            routing_reason=decision.reason,
            urgent=decision.urgent,
            status="open",
            created_at=now,
        )
        db.session.add(request)
    return Submitted(request, decision)
