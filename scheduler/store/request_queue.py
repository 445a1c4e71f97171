"""Visit requests as schedulers work their specialty's queue: listed, placed or declined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.store import models
from scheduler.store.engine import db


@dataclass(frozen=True)
class RequestOnFile:
    """A request as placing or declining it needs: its patient, and where routing sent it."""

    id: int
    reference: str
    status: RequestStatus
    patient: PatientRecord
    visit_type_code: str
    specialty_code: str
    preferred_provider_id: int | None
    intake: Intake
    urgent: bool


def open_requests(specialty_code: str) -> list[models.VisitRequest]:
    """A specialty's open requests, urgent first, then oldest first: rows for the queue page, with
    their patients, visit types and specialties loaded."""
    r = models.VisitRequest
    return list(
        db.session.execute(
            select(r)
            .options(selectinload(r.patient))
            .join(models.Specialty, r.routed_specialty_id == models.Specialty.id)
            .where(models.Specialty.code == specialty_code, r.status == RequestStatus.OPEN)
            .order_by(r.urgent.desc(), r.created_at, r.id)
        ).scalars()
    )


def request_on_file(request_id: int) -> RequestOnFile | None:
    row = db.session.get(models.VisitRequest, request_id)
    if row is None:
        return None
    patient = row.patient
    return RequestOnFile(
        id=row.id,
        reference=row.reference,
        status=RequestStatus(row.status),
        patient=PatientRecord(
            patient.id,
            patient.given_name,
            patient.family_name,
            patient.birth_date,
            patient.phone,
            patient.email,
            patient.sms_consent,
        ),  # fmt: skip
        visit_type_code=row.routed_visit_type.code,
        specialty_code=row.routed_specialty.code,
        preferred_provider_id=row.preferred_provider_id,
        intake=Intake.from_dict(row.intake or {}),
        urgent=row.urgent,
    )


def close_open_request(request_id: int, status: RequestStatus, *, decline_reason: str | None = None) -> bool:
    """Move the request from open to ``status`` (with why, when declined); False when it was no
    longer open (another scheduler placed or declined it a moment ago, or the patient withdrew
    it). Call inside a unit of work."""
    r = models.VisitRequest
    result = db.session.execute(
        update(r)
        .where(r.id == request_id, r.status == RequestStatus.OPEN)
        .values(status=status, decline_reason=decline_reason)
    )
    return cast(CursorResult[Any], result).rowcount == 1
