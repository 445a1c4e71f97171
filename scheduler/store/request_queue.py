"""Visit requests as schedulers work their specialty's queue: listed, placed or declined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import String
from sqlalchemy import case
from sqlalchemy import cast as cast_
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import AppointmentStatus
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


# ----- the call-back worklist ---------------------------------------------------------------------

# The audit actions that make up a request's contact log (see domain.call_back): each entry is an
# audit row, so the log is append-only and says who and when by construction.
CONTACT = "request.contact"
CONFIRM_TASK = "request.confirm-call"


def open_page(specialty_code: str, offset: int, limit: int) -> list[models.VisitRequest]:
    """``limit`` of a specialty's open requests from ``offset``, in queue order (urgent first,
    then oldest), with their patients loaded."""
    r = models.VisitRequest
    return list(
        db.session.execute(
            select(r)
            .options(selectinload(r.patient))
            .join(models.Specialty, r.routed_specialty_id == models.Specialty.id)
            .where(models.Specialty.code == specialty_code, r.status == RequestStatus.OPEN)
            .order_by(r.urgent.desc(), r.created_at, r.id)
            .offset(offset)
            .limit(limit)
        ).scalars()
    )


def open_counts() -> dict[str, tuple[int, int]]:
    """Open requests per specialty code: (all of them, the urgent ones). Specialties with none
    are absent."""
    r = models.VisitRequest
    rows = db.session.execute(
        select(models.Specialty.code, func.count(), func.sum(case((r.urgent, 1), else_=0)))
        .join(models.Specialty, r.routed_specialty_id == models.Specialty.id)
        .where(r.status == RequestStatus.OPEN)
        .group_by(models.Specialty.code)
    ).all()
    return {code: (int(total), int(urgent or 0)) for code, total, urgent in rows}


@dataclass(frozen=True)
class PlacedVisit:
    """A request placed with a "call to confirm" task, and the visit it became."""

    request: models.VisitRequest
    appointment_id: int
    starts_at: datetime


def placed_with_confirm_task(specialty_code: str | None, now: datetime) -> list[PlacedVisit]:
    """Requests (of a specialty; None: all) placed with a "call to confirm" task whose visit is
    still booked and not yet begun, soonest visit first: whether each task is still open is read
    from their logs (see domain.call_back.confirmation_pending)."""
    r, a, e = models.VisitRequest, models.Appointment, models.AuditEvent
    # Found through the patient's events (audit_event is indexed by patient_id, not by action or
    # record), one look-up per future visit placed from a request.
    task = (
        select(e.id)
        .where(
            e.patient_id == r.patient_id,
            e.action == CONFIRM_TASK,
            e.record_type == "visit_request",
            e.record_id == cast_(r.id, String),
        )
        .exists()
    )
    query = (
        select(r, a.id, a.starts_at)
        .options(selectinload(r.patient))
        .join(a, a.request_id == r.id)
        .where(
            r.status == RequestStatus.PLACED,
            a.status == AppointmentStatus.BOOKED,
            a.starts_at > now,
            task,
        )
        .order_by(a.starts_at, r.id)
    )
    if specialty_code is not None:
        query = query.join(models.Specialty, r.routed_specialty_id == models.Specialty.id).where(
            models.Specialty.code == specialty_code
        )
    return [PlacedVisit(row, appointment_id, starts_at) for row, appointment_id, starts_at in db.session.execute(query)]


@dataclass(frozen=True)
class LogRow:
    request_id: int
    at: datetime
    action: str
    detail: str
    who: str


def contact_logs(requests: dict[int, int]) -> list[LogRow]:
    """The contact-log rows of these requests (id -> its patient's id), oldest first, with the
    name of who wrote each. Read through the patients' events (the trail's index)."""
    if not requests:
        return []
    e, s = models.AuditEvent, models.StaffAccount
    request_ids = list(requests)
    rows = db.session.execute(
        select(e.record_id, e.at, e.action, e.detail, s.display_name)
        .outerjoin(s, s.id == e.actor_id)
        .where(
            e.patient_id.in_(set(requests.values())),
            e.record_type == "visit_request",
            e.action.in_((CONTACT, CONFIRM_TASK)),
            e.record_id.in_([str(i) for i in request_ids]),
        )
        .order_by(e.at, e.id)
    ).all()
    return [
        LogRow(int(rid), at, action, detail, name or "Not recorded")
        for rid, at, action, detail, name in rows
        if rid is not None
    ]


def queued_channels(appointment_id: int, kind: str, version: int | None = None) -> set[str]:
    """The channels the visit's ``kind`` messages (of its ``version``, when given) are queued or
    sent on, read in the caller's transaction: what the patient will really be told."""
    o = models.OutboxMessage
    query = select(o.channel).where(o.appointment_id == appointment_id, o.kind == kind)
    if version is not None:
        query = query.where(o.version == version)
    return set(db.session.execute(query).scalars())
