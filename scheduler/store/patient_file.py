"""The patient record's reads (visits, requests, messages, the trail) as domain values, and the
contact details staff change on it. Each read is bounded by the patient's own rows (indexed by
patient id) and a limit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import aliased

from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_file import MessageEntry
from scheduler.domain.patient_file import RequestEntry
from scheduler.domain.patient_file import TrailEntry
from scheduler.domain.patient_file import VisitEntry
from scheduler.domain.routing import Intake
from scheduler.store import models
from scheduler.store.audit import PatientSpan
from scheduler.store.audit import about_patient
from scheduler.store.engine import db

# Enough for any real patient's history; the page says when a list was cut.
VISITS_LIMIT = 200
REQUESTS_LIMIT = 100
MESSAGES_LIMIT = 100
TRAIL_LIMIT = 50


def needs(patient_id: int) -> ContactNeeds:
    p = models.Patient
    row = db.session.execute(select(p.interpreter_language, p.access_needs).where(p.id == patient_id)).first()
    return ContactNeeds(row[0] or "", row[1] or "") if row else ContactNeeds()


def visits(patient_id: int) -> list[VisitEntry]:
    a, r, vt, pr = models.Appointment, models.VisitRequest, models.VisitType, models.Provider
    rows = db.session.execute(
        select(
            a.id,
            a.reference,
            a.starts_at,
            a.ends_at,
            a.status,
            vt.name,
            pr.name,
            a.channel,
            a.urgent,
            a.intake,
            r.reference,
            r.intake,
        )  # fmt: skip
        .join(vt, vt.id == a.visit_type_id)
        .join(pr, pr.id == a.provider_id)
        .outerjoin(r, r.id == a.request_id)
        .where(a.patient_id == patient_id)
        .order_by(a.starts_at.desc(), a.id.desc())
        .limit(VISITS_LIMIT)
    )
    found = []
    for id_, ref, starts, ends, status, vt_name, provider, channel, urgent, intake, req_ref, req_intake in rows:
        # A visit placed from a request kept no answers of its own: the request's are the visit's.
        answers = (
            Intake.from_dict(json.loads(intake)) if intake else (Intake.from_dict(req_intake) if req_intake else None)
        )
        found.append(VisitEntry(id_, ref, starts, ends, str(status), vt_name, provider, channel, bool(urgent), answers,
                                req_ref))  # fmt: skip
    return found


def requests(patient_id: int) -> list[RequestEntry]:
    r, vt, s = models.VisitRequest, models.VisitType, models.Specialty
    rows = db.session.execute(
        select(
            r.id,
            r.reference,
            r.created_at,
            r.status,
            vt.name,
            s.name,
            r.channel,
            r.urgent,
            r.intake,
            r.preferences,
            r.decline_reason,
        )  # fmt: skip
        .join(vt, vt.id == r.routed_visit_type_id)
        .join(s, s.id == r.routed_specialty_id)
        .where(r.patient_id == patient_id)
        .order_by(r.created_at.desc(), r.id.desc())
        .limit(REQUESTS_LIMIT)
    )
    return [
        RequestEntry(
            id_,
            ref,
            created,
            str(status),
            vt_name,
            specialty,
            channel,
            bool(urgent),
            Intake.from_dict(intake or {}),
            dict(preferences or {}),
            decline,
        )  # fmt: skip
        for id_, ref, created, status, vt_name, specialty, channel, urgent, intake, preferences, decline in rows
    ]


def messages(patient_id: int) -> list[MessageEntry]:
    """Outbox rows about the patient's visits, requests and waitlist entries, newest first. One
    query per kind of subject, each through its indexed foreign key (an OR across the three
    would scan the whole outbox)."""
    m, a, r, w = models.OutboxMessage, models.Appointment, models.VisitRequest, models.WaitlistEntry
    found: dict[int, MessageEntry] = {}
    for subject, key in ((a, m.appointment_id), (r, m.request_id), (w, m.waitlist_entry_id)):
        rows = db.session.execute(
            select(
                m.id,
                m.kind,
                m.channel,
                m.status,
                m.send_after,
                m.sent_at,
                m.attempts,
                m.appointment_id,
                subject.reference,
            )  # fmt: skip
            .join(subject, subject.id == key)
            .where(subject.patient_id == patient_id)
            .order_by(m.send_after.desc(), m.id.desc())
            .limit(MESSAGES_LIMIT)
        )
        for id_, kind, channel, status, send_after, sent_at, attempts, appointment_id, about in rows:
            found[id_] = MessageEntry(id_, kind, channel, str(status), send_after, sent_at, attempts, appointment_id,
                                      about)  # fmt: skip
    newest = sorted(found.values(), key=lambda message: (message.send_after, message.id), reverse=True)
    return newest[:MESSAGES_LIMIT]


def _trail_query() -> Any:
    e, s = models.AuditEvent, aliased(models.StaffAccount)
    return select(
        e.id, e.at, e.action, e.actor_kind, e.actor_id, s.display_name, s.role, e.channel, e.record_type,
        e.record_id, e.detail,
    ).outerjoin(s, and_(e.actor_kind == "staff", s.id == e.actor_id))  # fmt: skip


def _trail_entry(row: Any) -> TrailEntry:
    id_, at, action, kind, actor_id, name, role, channel, record_type, record_id, detail = row
    return TrailEntry(id_, at, action, kind, actor_id, name, None if role is None else str(role), channel,
                      record_type, record_id, detail or "")  # fmt: skip


def trail(spans: Sequence[PatientSpan], *, limit: int = TRAIL_LIMIT) -> list[TrailEntry]:
    """The newest audit events about the patient: in ``spans``, their record's and those of the
    records merged into it (store.patient_merge.trail_spans; ``patient_id`` is indexed)."""
    e = models.AuditEvent
    rows = db.session.execute(
        _trail_query().where(about_patient(spans)).order_by(e.at.desc(), e.id.desc()).limit(limit)
    )
    return [_trail_entry(row) for row in rows]


def visit_events(spans: Sequence[PatientSpan], appointment_id: int, reference: str) -> list[TrailEntry]:
    """The audit events about one visit (staff actions name it by id, the API by reference), among
    the patient's (``spans``: a visit merged from another record keeps the events before the merge)."""
    e = models.AuditEvent
    rows = db.session.execute(
        _trail_query()
        .where(about_patient(spans), e.record_type == "appointment")
        .where(e.record_id.in_([str(appointment_id), reference]))
        .order_by(e.at, e.id)
    )
    return [_trail_entry(row) for row in rows]


def request_channel(request_id: int) -> tuple[str, str] | None:
    """(reference, channel) of a request."""
    r = models.VisitRequest
    row = db.session.execute(select(r.reference, r.channel).where(r.id == request_id)).first()
    return (row[0], row[1]) if row else None


def save_contact(
    patient_id: int, *, phone: str | None, email: str | None, sms_consent: bool, needs: ContactNeeds, now: Any
) -> None:
    """Replace the patient's contact details; consent newly given is stamped with ``now``."""
    p = models.Patient
    current = db.session.execute(select(p.sms_consent).where(p.id == patient_id)).scalar_one()
    values: dict[str, Any] = {
        "phone": phone,
        "email": email,
        "sms_consent": sms_consent,
        "interpreter_language": needs.interpreter_language,
        "access_needs": needs.access_needs,
    }
    if sms_consent and not current:
        values["sms_consent_at"] = now
    db.session.execute(update(p).where(p.id == patient_id).values(**values))


def names_of(patient_ids: Sequence[int]) -> dict[int, str]:
    """ "Lee, Ann" by patient id, for lists that name patients (the audit trail)."""
    if not patient_ids:
        return {}
    p = models.Patient
    rows = db.session.execute(select(p.id, p.family_name, p.given_name).where(p.id.in_(list(patient_ids))))
    return {id_: f"{family}, {given}" for id_, family, given in rows}
