"""Domain values and rows turned into the API's JSON shapes (see schemas.py for the contract)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from scheduler import models
from scheduler.domain import catalog
from scheduler.domain.clock import iso_central
from scheduler.domain.routing import RoutingDecision
from scheduler.services import clinic
from scheduler.services.availability import Availability

TIMEZONE = "America/Chicago"


def specialty(value: catalog.Specialty) -> dict[str, Any]:
    return {"code": value.code, "name": value.name}


def visit_type(value: catalog.VisitType, specialty_value: catalog.Specialty) -> dict[str, Any]:
    return {
        "code": value.code,
        "name": value.name,
        "specialty": specialty(specialty_value),
        "minutes": value.minutes,
        "booking_mode": value.mode.value,
        "room_kind": value.room_kind,
        "prep_notes": value.prep_notes,
    }


def visit_type_row(row: models.VisitType) -> dict[str, Any]:
    return visit_type(row.to_domain(), row.specialty.to_domain())


def availability(result: Availability) -> dict[str, Any]:
    providers = {pid: {"id": pid, "name": p.name} for pid, p in result.providers.items()}
    rooms = {rid: {"id": rid, "name": r.name} for rid, r in result.rooms.items()}
    return {
        "timezone": TIMEZONE,
        "visit_type": visit_type(result.visit_type, result.specialty),
        "specialty": specialty(result.specialty),
        "slots": [
            {
                "start": iso_central(s.start),
                "end": iso_central(s.end),
                "provider": providers[s.provider_id],
                "room": rooms.get(s.room_id) if s.room_id is not None else None,
            }
            for s in result.slots
        ],
    }


def appointment(row: models.Appointment) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "status": row.status,
        "start": iso_central(row.starts_at),
        "end": iso_central(row.ends_at),
        "timezone": TIMEZONE,
        "visit_type": visit_type_row(row.visit_type),
        "provider": {"id": row.provider.id, "name": row.provider.name},
        "room": {"id": row.room.id, "name": row.room.name} if row.room else None,
        "location": current_app.config["CLINIC_LOCATION"],
    }


def routed_to(decision: RoutingDecision) -> dict[str, Any]:
    return {
        "specialty": specialty(clinic.specialty_row(decision.specialty).to_domain()),
        "visit_type": decision.visit_type,
        "rule": decision.rule,
        "reason": decision.reason,
        "urgent": decision.urgent,
        "preferred_provider_id": decision.preferred_provider_id,
    }


def call_now(decision: RoutingDecision) -> str | None:
    if not decision.urgent:
        return None
    phone = current_app.config["CLINIC_PHONE"]
    return f"Call the clinic now at {phone}. If your symptoms are severe, go to an emergency department or call 911."
