"""The outbox's rows: as the message worker claims and settles them (the claim, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; the texting pace's lock and counts; the outcomes), and as staff list them
and send a dead one again. Every function runs inside the caller's unit of work (or, for the reads,
its read transaction); none commits.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import cast

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.messages import Channel
from scheduler.domain.messages import OutboxStatus
from scheduler.domain.waitlist import EntryStatus
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# Serialises the pace check of the workers' claims on PostgreSQL (an arbitrary constant of ours).
# Two workers each claiming one text to the same number could otherwise both see "nothing sent
# today" and both send; under this lock the second one sees the first one's claim. Only claims
# that took a text wait for it, so email throughput is untouched. SQLite's BEGIN IMMEDIATE
# already serialises every claim.
SMS_PACE_LOCK = 0x5C4ED_0015


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _table() -> Table:
    return cast(Table, models.OutboxMessage.__table__)


def lock_due(now: datetime, limit: int, channels: Iterable[str]) -> list[tuple[int, str]]:
    """``(id, channel)`` of up to ``limit`` due rows, in the order they are to go: queued and due,
    or sending with an expired lease (a dead worker's). On PostgreSQL they stay locked until the
    unit of work ends, and rows another worker has locked are skipped, not waited for."""
    t = _table()
    due = (
        select(t.c.id, t.c.channel)
        .where(
            t.c.channel.in_(list(channels)),
            or_(
                (t.c.status == OutboxStatus.QUEUED) & (t.c.send_after <= now),
                (t.c.status == OutboxStatus.SENDING) & (t.c.locked_until < now),
            ),
        )
        .order_by(t.c.send_after, t.c.id)
        .limit(limit)
    )
    if _postgresql():
        due = due.with_for_update(skip_locked=True)
    return [(row_id, channel) for row_id, channel in db.session.execute(due)]


def mark_sending(ids: list[int], locked_until: datetime) -> None:
    """Claim these rows: being sent, under a lease until ``locked_until``, one attempt more."""
    if not ids:
        return
    t = _table()
    # Core, not the ORM: nothing in the session needs to learn about these rows.
    db.session.execute(
        update(t)
        .where(t.c.id.in_(ids))
        .values(status=OutboxStatus.SENDING, locked_until=locked_until, attempts=t.c.attempts + 1)
    )


def queue_again(allowed_at: Mapping[int, datetime]) -> None:
    """Put these rows back in the queue, each to go at its time (no attempt used up). A text
    re-claimed after a dead worker's lease ran out was ``sending``: it is queued again too."""
    if not allowed_at:
        return
    t = _table()
    later: dict[str, Any] = {"status": OutboxStatus.QUEUED, "locked_until": None, "send_after": bindparam("allowed_at")}
    db.session.execute(
        update(t).where(t.c.id == bindparam("outbox_id")).values(later),
        [{"outbox_id": row_id, "allowed_at": at} for row_id, at in allowed_at.items()],
    )


def lock_text_pace() -> None:
    """Wait for the pace lock (:data:`SMS_PACE_LOCK`), held until the unit of work ends.
    Nothing to do on SQLite, whose writers are serialised already."""
    if _postgresql():
        db.session.execute(select(func.pg_advisory_xact_lock(SMS_PACE_LOCK)))


def messages(ids: Iterable[int]) -> list[models.OutboxMessage]:
    """The rows, in the order they are to go. ORM rows, since composing a message
    (:mod:`scheduler.services.notices`) reads them and the records behind them in the session."""
    m = models.OutboxMessage
    query = select(m).where(m.id.in_(list(ids))).order_by(m.send_after, m.id)
    return list(db.session.execute(query).scalars().all())


def texts_counting_to_pace(
    phones: set[str], *, since: datetime, now: datetime, excluding: Iterable[int]
) -> list[tuple[str, datetime | None]]:
    """``(phone, sent_at)`` of the texts to ``phones`` that count against their pace, except the
    rows ``excluding``: sent since ``since``, and claimed by a worker whose lease still runs
    (``sent_at`` None: being sent)."""
    m = models.OutboxMessage
    earlier = _with_phone(
        m.sent_at,
        m.channel == Channel.SMS.value,
        m.id.notin_(list(excluding)),
        or_(
            (m.status == OutboxStatus.SENT) & (m.sent_at > since),
            (m.status == OutboxStatus.SENDING) & (m.locked_until >= now),
        ),
        phones=phones,
    )
    return [(phone, sent_at) for phone, sent_at in db.session.execute(earlier)]


def _with_phone(column: Any, *where: Any, phones: set[str] | None = None) -> Any:
    """``(phone, column)`` of the outbox rows matching ``where``, whether they are about an
    appointment or a request; with ``phones``, only rows to those numbers, found from the patient
    (by the phone index) rather than by scanning the outbox."""
    m, p = models.OutboxMessage, models.Patient
    queries = []
    subjects: tuple[tuple[Any, Any], ...] = (
        (models.Appointment, m.appointment_id),
        (models.VisitRequest, m.request_id),
        (models.WaitlistEntry, m.waitlist_entry_id),
    )
    for subject, key in subjects:
        query = (
            select(p.phone, column)
            .select_from(m)
            .join(subject, subject.id == key)
            .join(p, p.id == subject.patient_id)
            .where(p.phone.is_not(None), *where)
        )
        if phones is not None:
            query = query.where(p.phone.in_(phones))
        queries.append(query)
    return union_all(*queries)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row: ``name`` (sent, withdrawn, held, retry or dead, as the
    worker counts them) and what its row says from now on. Made by the functions below."""

    name: str
    values: tuple[tuple[str, object], ...]
    gives_back_attempt: bool = False


def _outcome(name: str, status: OutboxStatus, gives_back_attempt: bool = False, **values: object) -> Outcome:
    return Outcome(name, tuple(sorted({"status": status, "locked_until": None, **values}.items())), gives_back_attempt)


def sent(at: datetime, provider_message_id: str) -> Outcome:
    return _outcome("sent", OutboxStatus.SENT, sent_at=at, provider_message_id=provider_message_id)


def withdrawn() -> Outcome:
    return _outcome("withdrawn", OutboxStatus.WITHDRAWN)


def dead(reason: str) -> Outcome:
    return _outcome("dead", OutboxStatus.DEAD, last_error=reason)


def retry(reason: str, at: datetime) -> Outcome:
    return _outcome("retry", OutboxStatus.QUEUED, last_error=reason, send_after=at)


def held(until: datetime) -> Outcome:
    """Back in the queue until ``until``, giving back the claim's attempt: waiting is no failure."""
    return _outcome("held", OutboxStatus.QUEUED, gives_back_attempt=True, send_after=until)


def record(outcomes: Mapping[int, Outcome]) -> None:
    """Write every outcome, one executemany per kind of outcome, each only where its row is still
    ``sending`` (a row whose lease ran out and that another worker took over is that worker's to
    record)."""
    groups: dict[tuple[str, bool, tuple[str, ...]], list[dict[str, object]]] = defaultdict(list)
    for message_id, outcome in outcomes.items():
        columns = tuple(column for column, _ in outcome.values)
        groups[(outcome.name, outcome.gives_back_attempt, columns)].append(
            {"outbox_id": message_id, **{f"new_{column}": value for column, value in outcome.values}}
        )
    t = _table()
    for (_, gives_back_attempt, columns), rows in groups.items():
        values: dict[str, Any] = {c: bindparam(f"new_{c}", type_=t.c[c].type) for c in columns}
        if gives_back_attempt:
            values["attempts"] = t.c.attempts - 1
        statement = update(t).where(t.c.id == bindparam("outbox_id"), t.c.status == OutboxStatus.SENDING).values(values)
        db.session.execute(statement, rows)


def record_durably(outcomes: Mapping[int, Outcome], *, patience: timedelta) -> int:
    """:func:`record` in a unit of work of its own, tried again while the database cannot take it
    (a restart, a dropped connection, a lock held too long) for up to ``patience``; how many tries
    it took. The messages have gone out by now: an outcome not recorded would leave them
    ``sending`` until their lease ran out, and then they would go out a second time. Raises the
    last error once ``patience`` is spent."""
    deadline = time.monotonic() + patience.total_seconds()
    delay, tries = 0.25, 0
    while True:
        tries += 1
        try:
            with unit_of_work():
                record(outcomes)
            return tries
        except (OperationalError, InterfaceError) as error:
            db.session.remove()  # the connection may be dead: the next try takes a fresh one
            if time.monotonic() + delay > deadline:
                raise
            # The error's type only: its text could quote the values being written.
            log.warning("recording %d outbox outcomes failed (%s); trying again", len(outcomes), type(error).__name__)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@dataclass(frozen=True)
class MessageRow:
    """A message as staff see it listed: what it is about by id only, so no PHI."""

    id: int
    status: OutboxStatus
    kind: str
    channel: str
    appointment_id: int | None
    request_id: int | None
    version: int
    send_after: datetime
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    waitlist_entry_id: int | None = None


@dataclass(frozen=True)
class MessageSubject:
    """What a listed message is about, by reference (no PHI), with what the staff pages need to
    link to it: the visit's id; the request's patient, specialty and whether it still waits in the
    queue; the waitlist entry's specialty and whether it still waits."""

    reference: str
    record_id: int
    patient_id: int
    specialty: str | None = None
    waiting: bool = False


def _message_rows() -> Any:
    m = models.OutboxMessage
    return select(
        m.id,
        m.status,
        m.kind,
        m.channel,
        m.appointment_id,
        m.request_id,
        m.version,
        m.send_after,
        m.attempts,
        m.last_error,
        m.sent_at,
        m.waitlist_entry_id,
    )


def count_by_status() -> dict[OutboxStatus, int]:
    """How many messages are in each status that has any."""
    m = models.OutboxMessage
    return {status: count for status, count in db.session.execute(select(m.status, func.count()).group_by(m.status))}


def page_of_messages(
    *, status: str | None, kind: str | None, channel: str | None, limit: int, offset: int
) -> tuple[int, list[MessageRow]]:
    """How many messages match (each filter that is set), and ``limit`` of them from ``offset``:
    grouped by status in the order of :class:`OutboxStatus`, the latest ``send_after`` first
    within a status."""
    m = models.OutboxMessage
    where = []
    if status:
        where.append(m.status == status)
    if kind:
        where.append(m.kind == kind)
    if channel:
        where.append(m.channel == channel)
    total = db.session.execute(select(func.count()).select_from(m).where(*where)).scalar_one()
    positions = {member.value: position for position, member in enumerate(OutboxStatus)}
    status_order = case(positions, value=m.status, else_=99)
    rows = db.session.execute(
        _message_rows()
        .where(*where)
        .order_by(status_order, m.send_after.desc(), m.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, [MessageRow(*row) for row in rows]


def subjects_of(messages: Iterable[MessageRow]) -> dict[tuple[str, int], MessageSubject]:
    """What each of ``messages`` is about, keyed ("appointment" | "request" | "waitlist", id):
    three small indexed reads for a page of messages, whatever its length."""
    ids: dict[str, set[int]] = {"appointment": set(), "request": set(), "waitlist": set()}
    for m in messages:
        for kind, value in (("appointment", m.appointment_id), ("request", m.request_id),
                            ("waitlist", m.waitlist_entry_id)):  # fmt: skip
            if value is not None:
                ids[kind].add(value)
    found: dict[tuple[str, int], MessageSubject] = {}
    a, r, w, s, v = models.Appointment, models.VisitRequest, models.WaitlistEntry, models.Specialty, models.VisitType
    if ids["appointment"]:
        for id_, reference, patient_id in db.session.execute(
            select(a.id, a.reference, a.patient_id).where(a.id.in_(ids["appointment"]))
        ):
            found[("appointment", id_)] = MessageSubject(reference, id_, patient_id)
    if ids["request"]:
        for id_, reference, patient_id, code, status in db.session.execute(
            select(r.id, r.reference, r.patient_id, s.code, r.status)
            .join(s, s.id == r.routed_specialty_id)
            .where(r.id.in_(ids["request"]))
        ):
            found[("request", id_)] = MessageSubject(reference, id_, patient_id, code, status == RequestStatus.OPEN)
    if ids["waitlist"]:
        for id_, reference, patient_id, code, entry_status in db.session.execute(
            select(w.id, w.reference, w.patient_id, s.code, w.status)
            .join(v, v.id == w.visit_type_id)
            .join(s, s.id == v.specialty_id)
            .where(w.id.in_(ids["waitlist"]))
        ):
            waiting = entry_status == EntryStatus.WAITING
            found[("waitlist", id_)] = MessageSubject(reference, id_, patient_id, code, waiting)
    return found


def message_row(message_id: int) -> MessageRow | None:
    row = db.session.execute(_message_rows().where(models.OutboxMessage.id == message_id)).one_or_none()
    return None if row is None else MessageRow(*row)


def patient_of(message_id: int) -> int | None:
    """The patient an outbox message was for (through its visit, its request or its waitlist
    entry), if it still exists: one query."""
    m = models.OutboxMessage
    found = db.session.execute(
        select(models.Appointment.patient_id, models.VisitRequest.patient_id, models.WaitlistEntry.patient_id)
        .select_from(m)
        .outerjoin(models.Appointment, models.Appointment.id == m.appointment_id)
        .outerjoin(models.VisitRequest, models.VisitRequest.id == m.request_id)
        .outerjoin(models.WaitlistEntry, models.WaitlistEntry.id == m.waitlist_entry_id)
        .where(m.id == message_id)
    ).first()
    if found is None:
        return None
    return next((patient_id for patient_id in found if patient_id is not None), None)


def queue_dead_again(message_id: int, now: datetime) -> bool:
    """Queue a dead message to go at ``now`` with its attempts reset; False if it is not dead (any
    more). The status check is in the UPDATE itself, so of two callers at once only one queues it."""
    t = _table()
    changed = db.session.execute(
        update(t)
        .where(t.c.id == message_id, t.c.status == OutboxStatus.DEAD)
        .values(status=OutboxStatus.QUEUED, attempts=0, send_after=now, locked_until=None)
    )
    return cast(CursorResult[Any], changed).rowcount == 1


def message_log(
    *, appointment_id: int | None = None, request_id: int | None = None, version: int | None = None
) -> list[tuple[str, str, datetime]]:
    """``(kind, channel, send_after)`` of the messages about one visit (of one ``version``, when
    given) or one request that are queued, being sent or sent: what may still be promised."""
    m = models.OutboxMessage
    about = m.appointment_id == appointment_id if appointment_id is not None else m.request_id == request_id
    query = select(m.kind, m.channel, m.send_after).where(
        about, m.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT])
    )
    if version is not None:
        query = query.where(m.version == version)
    return [(kind, channel, send_after) for kind, channel, send_after in db.session.execute(query)]
