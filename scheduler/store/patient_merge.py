"""Merging two patient records: the locks that keep a merge whole while others book, move or merge,
what each record holds, moving its rows to the kept record, and the links the audit trail keeps
between a merged record and the record it went into.

The audit trail is append-only (its rows cannot be rewritten to name the kept record), so a record's
trail reaches the trails of the records merged into it through their ``patient.merge`` rows: the
row's ``patient_id`` is the kept record and its ``record_id`` the record that went.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from scheduler.domain.bookings import RELEASED_STATUSES
from scheduler.domain.bookings import RequestStatus
from scheduler.domain.patient_file import ACTIVE_STATUSES
from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_merge import CLASH_MEANWHILE
from scheduler.domain.patient_merge import HeldTime
from scheduler.domain.patient_merge import MergeRefused
from scheduler.domain.patient_merge import MovedCounts
from scheduler.domain.patient_merge import RecordCounts
from scheduler.domain.slots import patient_resource
from scheduler.domain.waitlist import EntryStatus
from scheduler.store import models
from scheduler.store.audit import PatientSpan
from scheduler.store.driver import is_overlap_violation
from scheduler.store.engine import db

MERGE_ACTION = "patient.merge"
# A record merged into one that was later merged again: followed this many steps at most.
MAX_CHAIN = 20


def lock_records(patient_ids: Sequence[int]) -> None:
    """Lock the patients' rows, then their visits' rows, each in id order (PostgreSQL; on SQLite
    ``BEGIN IMMEDIATE`` already serialises every writer). Two merges of records they share queue
    instead of deadlocking; a booking for either patient (which updates the patient's row first)
    waits for the merge, or the merge for it; so does a move of either's visit (which locks the
    visit first) and a cancellation (which updates it).

    ``FOR NO KEY UPDATE``, the lock an UPDATE takes: it does not stop rows that merely refer to
    these (the waitlist worker offering a time to an entry it has locked) from being written, so
    a merge waiting on that entry never holds what the worker waits for."""
    p, a = models.Patient, models.Appointment
    ids = sorted(set(patient_ids))
    db.session.execute(select(p.id).where(p.id.in_(ids)).order_by(p.id).with_for_update(key_share=True)).all()
    db.session.execute(select(a.id).where(a.patient_id.in_(ids)).order_by(a.id).with_for_update(key_share=True)).all()


def held_times(patient_id: int) -> list[HeldTime]:
    """The patient's visits that still hold their time (all of them: none is left out by a limit)."""
    a = models.Appointment
    rows = db.session.execute(
        select(a.reference, a.starts_at, a.ends_at)
        .where(a.patient_id == patient_id, a.status.not_in([s.value for s in RELEASED_STATUSES]))
        .order_by(a.starts_at, a.id)
    )
    return [HeldTime(reference, starts, ends) for reference, starts, ends in rows]


def counts(patient_id: int, now: datetime) -> RecordCounts:
    """What the record holds, in one statement (each count through its indexed patient or subject key)."""
    a, r, w, m = models.Appointment, models.VisitRequest, models.WaitlistEntry, models.OutboxMessage

    def count(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    visits = select(a.id).where(a.patient_id == patient_id)
    requests = select(r.id).where(r.patient_id == patient_id)
    entries = select(w.id).where(w.patient_id == patient_id)
    row = db.session.execute(
        select(
            count(a, a.patient_id == patient_id),
            count(a, a.patient_id == patient_id, a.status.in_([s.value for s in ACTIVE_STATUSES]), a.ends_at > now),
            count(r, r.patient_id == patient_id),
            count(r, r.patient_id == patient_id, r.status == RequestStatus.OPEN.value),
            count(w, w.patient_id == patient_id, w.status == EntryStatus.WAITING.value),
            # An outbox row is about exactly one thing, so the three counts add up without overlap.
            count(m, m.appointment_id.in_(visits)),
            count(m, m.request_id.in_(requests)),
            count(m, m.waitlist_entry_id.in_(entries)),
        )
    ).one()
    n_visits, upcoming, n_requests, open_requests, waiting, *messages = (int(n) for n in row)
    return RecordCounts(n_visits, upcoming, n_requests, open_requests, waiting, sum(messages))


def _changed(statement: Any) -> int:
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def move_rows(from_id: int, to_id: int) -> MovedCounts:
    """Give every row of patient ``from_id`` to ``to_id``: visits (and the reservations that keep the
    patient from being booked twice at once), requests, waitlist entries and the offers made to
    them. Messages are about a visit, a request or an entry, so they follow. Raises MergeRefused
    when PostgreSQL's exclusion constraint refuses a visit's time for the kept patient."""
    a, r, w, rec, res = (models.Appointment, models.VisitRequest, models.WaitlistEntry, models.WaitlistRecipient,
                         models.Reservation)  # fmt: skip
    try:
        # Inactive reservations (of cancelled visits) too: no row is left naming a patient who is gone.
        _changed(update(res).where(res.resource == patient_resource(from_id)).values(resource=patient_resource(to_id)))
    except IntegrityError as error:
        if is_overlap_violation(error):
            raise MergeRefused(CLASH_MEANWHILE) from None
        raise
    moved = MovedCounts(
        visits=_changed(update(a).where(a.patient_id == from_id).values(patient_id=to_id)),
        requests=_changed(update(r).where(r.patient_id == from_id).values(patient_id=to_id)),
        waitlist=_changed(update(w).where(w.patient_id == from_id).values(patient_id=to_id)),
    )
    _changed(update(rec).where(rec.patient_id == from_id).values(patient_id=to_id))
    return moved


def remove_record(patient_id: int) -> None:
    """Delete a patient's row (after :func:`move_rows`: nothing refers to it any more)."""
    db.session.execute(
        delete(models.Patient).where(models.Patient.id == patient_id).execution_options(synchronize_session=False)
    )


def keep_details(patient_id: int, *, needs: ContactNeeds, mrn: str | None) -> None:
    """Set the kept record's needs and medical record number (after the other record is gone, so
    that its number is free to take)."""
    p = models.Patient
    db.session.execute(
        update(p)
        .where(p.id == patient_id)
        .values(interpreter_language=needs.interpreter_language, access_needs=needs.access_needs, mrn=mrn)
        .execution_options(synchronize_session=False)
    )


# ----- the links in the audit trail --------------------------------------------------------------


def merged_into(patient_id: int) -> int | None:
    """The record that ``patient_id`` was merged into, following later merges to the last record
    (None: never merged). For a record that is gone: read on its old address only, as the merge
    rows are found by ``record_id``, which has no index."""
    e = models.AuditEvent
    current, seen = patient_id, {patient_id}
    for _ in range(MAX_CHAIN):
        found = db.session.execute(
            select(e.patient_id)
            .where(e.action == MERGE_ACTION, e.record_type == "patient", e.record_id == str(current))
            .order_by(e.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if found is None or found in seen:
            break
        current = found
        seen.add(found)
    return current if current != patient_id else None


def trail_spans(patient_id: int) -> tuple[PatientSpan, ...]:
    """Where the events about ``patient_id``'s record are: its own, and, up to each merge, those of
    the records merged into it (and into them, and so on), found through the merge rows' indexed
    ``patient_id``.

    SQLite gives a new row one past the largest id, so the id of a merged record that was the
    newest can be given again to the next new patient: there, a record's own events start after
    the last merge that took its id away (PostgreSQL's sequences never give an id twice)."""
    reused = db.session.get_bind().dialect.name == "sqlite"
    spans: list[PatientSpan] = []
    todo: list[tuple[int, int | None]] = [(patient_id, None)]
    while todo and len(spans) < MAX_CHAIN:
        record, before = todo.pop()
        spans.append(PatientSpan(record, _merged_away(record, before) if reused else None, before))
        todo.extend(_merged_into_it(record, before))
    return tuple(spans)


def _merged_into_it(patient_id: int, before: int | None) -> list[tuple[int, int]]:
    """(record, merge row id) of the records merged into ``patient_id`` (before ``before``)."""
    e = models.AuditEvent
    query = select(e.record_id, e.id).where(
        e.patient_id == patient_id, e.action == MERGE_ACTION, e.record_type == "patient"
    )
    if before is not None:
        query = query.where(e.id < before)
    return [(int(record), id_) for record, id_ in db.session.execute(query) if record and record.isdigit()]


def _merged_away(patient_id: int, before: int | None) -> int | None:
    """The id of the last merge row (before ``before``) that took ``patient_id``'s record away."""
    e = models.AuditEvent
    query = select(func.max(e.id)).where(
        e.action == MERGE_ACTION, e.record_type == "patient", e.record_id == str(patient_id)
    )
    if before is not None:
        query = query.where(e.id < before)
    found = db.session.execute(query).scalar_one_or_none()
    return None if found is None else int(found)
