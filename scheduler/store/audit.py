"""The audit trail's rows: added to the caller's transaction, and searched for the trail's pages.

The table refuses UPDATE and DELETE (database triggers), so there is nothing here to change a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db


def add_event(
    action: str,
    *,
    actor_kind: str,
    actor_id: int | None,
    record_type: str,
    record_id: str | None,
    patient_id: int | None,
    channel: str,
    detail: str,
    at: datetime | None,
) -> models.AuditEvent:
    """Add one row to the session, unflushed: it is saved with the caller's other writes or not at
    all. ``at`` None: now (the column's default)."""
    event = models.AuditEvent(
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        record_type=record_type,
        record_id=record_id,
        patient_id=patient_id,
        channel=channel,
        detail=detail,
    )
    if at is not None:
        event.at = at
    db.session.add(event)
    return event


@dataclass(frozen=True)
class PatientSpan:
    """The events about ``patient_id`` whose ids lie between ``after_id`` and ``before_id`` (either
    end open when None): a record's own events, or those of a record merged into it, up to the
    merge (see store.patient_merge.trail_spans)."""

    patient_id: int
    after_id: int | None = None
    before_id: int | None = None


def about_patient(spans: Sequence[PatientSpan]) -> ColumnElement[bool]:
    """The condition for events in any of ``spans`` (each through the indexed ``patient_id``)."""
    e = models.AuditEvent
    conditions = []
    for span in spans:
        parts = [e.patient_id == span.patient_id]
        if span.after_id is not None:
            parts.append(e.id > span.after_id)
        if span.before_id is not None:
            parts.append(e.id < span.before_id)
        conditions.append(and_(*parts))
    return or_(*conditions) if conditions else e.id.is_(None)


@dataclass(frozen=True)
class EventsWhere:
    """Which events a search wants: about one patient (``spans``: their record's, and those of the
    records merged into it), and/or in ``[since, before)``."""

    patient_id: int | None = None
    since: datetime | None = None
    before: datetime | None = None
    spans: tuple[PatientSpan, ...] = ()


@dataclass(frozen=True)
class AuditRow:
    """An event as the trail's pages show it (the row itself), with its staff actor's username."""

    event: models.AuditEvent
    actor_username: str | None


def count_events(where: EventsWhere) -> int:
    return int(db.session.execute(select(func.count()).select_from(_query(where).subquery())).scalar_one())


def newest_events(where: EventsWhere, *, limit: int, offset: int) -> list[AuditRow]:
    e = models.AuditEvent
    found = db.session.execute(_query(where).order_by(e.at.desc(), e.id.desc()).limit(limit).offset(offset))
    return [AuditRow(event, username) for event, username in found]


def every_event(where: EventsWhere, *, batch: int) -> Iterator[AuditRow]:
    """Oldest first, fetched ``batch`` rows at a time (an export of the whole trail stays small in memory)."""
    e = models.AuditEvent
    query = _query(where).order_by(e.at, e.id).execution_options(yield_per=batch)
    for event, username in db.session.execute(query):
        yield AuditRow(event, username)


def _query(where: EventsWhere) -> Select[models.AuditEvent, str]:
    e = models.AuditEvent
    query = select(e, models.StaffAccount.username).outerjoin(
        models.StaffAccount, (e.actor_kind == "staff") & (e.actor_id == models.StaffAccount.id)
    )
    if where.spans:
        query = query.where(about_patient(where.spans))
    elif where.patient_id is not None:
        query = query.where(e.patient_id == where.patient_id)
    if where.since is not None:
        query = query.where(e.at >= where.since)
    if where.before is not None:
        query = query.where(e.at < where.before)
    return query
