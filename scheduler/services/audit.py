"""The audit trail: who did or saw what, when. Rows are only ever added (the database refuses
UPDATE and DELETE on ``audit_event``).

:func:`record` joins the caller's transaction and never commits: an action and its audit row are
saved together or not at all. ``detail`` is a short note for people reading the trail, never PHI
(no names, birth dates, phone numbers, email addresses, passwords or unknown usernames).

Refusals of callers nobody has identified (a FHIR call without a valid token, a failed staff
sign-in) go through :func:`refused` instead: counted per client and minute, with one audit row for
the first of each minute, so a flood of them cannot fill the trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from scheduler.domain.client_address import client_key
from scheduler.domain.client_address import minute_of
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import utc_now
from scheduler.store import audit as store_audit
from scheduler.store import models
from scheduler.store import patient_merge as store_merge
from scheduler.store import refusals as store_refusals
from scheduler.store.audit import AuditRow as AuditRow  # the rows a search gives the trail's pages
from scheduler.store.unit_of_work import unit_of_work

ACTOR_KINDS = ("staff", "patient", "system", "api")
CHANNELS = ("web", "phone", "api", "system")
DETAIL_MAX = 200


def record(
    action: str,
    *,
    actor_kind: str,
    actor_id: int | None,
    record_type: str,
    record_id: int | str | None,
    patient_id: int | None = None,
    channel: str,
    detail: str = "",
    at: datetime | None = None,
) -> models.AuditEvent:
    """Add one audit row to the session: saved by the caller's unit of work with its other writes."""
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {actor_kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return store_audit.add_event(
        action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        patient_id=patient_id,
        channel=channel,
        detail=detail[:DETAIL_MAX],
        at=at,
    )


def save(action: str, **fields: Any) -> None:
    """:func:`record` for an action that changes nothing else (a record viewed, a list exported):
    in a unit of work of its own, or the caller's when one is open."""
    save_for_patients(action, [fields.pop("patient_id", None)], **fields)


def save_for_patients(action: str, patient_ids: Sequence[int | None], **fields: Any) -> None:
    """:func:`save` of one row per patient (``None``: a row about no patient), together."""
    with unit_of_work():
        for patient_id in patient_ids:
            record(action, patient_id=patient_id, **fields)


def refused(
    action: str,
    *,
    client: str | None,
    subject: str = "",
    actor_kind: str,
    actor_id: int | None,
    record_type: str,
    record_id: int | str | None,
    channel: str,
    detail: str = "",
    now: datetime | None = None,
) -> int:
    """A refusal of a caller nobody has identified, from the client address ``client``.

    Counted in the refusal tally's row for (this UTC minute, client, ``action``, ``subject``); the
    first refusal of that row also writes an audit row (naming the client), the others only count.
    So one address makes at most one audit row per minute and subject, however fast it calls, and
    the tally says how many refusals each stands for. In a unit of work of its own, or the
    caller's. Returns the row's count so far (1: this refusal wrote the audit row)."""
    now = now or utc_now()
    client = client_key(client)
    with unit_of_work():
        count = store_refusals.count(minute=minute_of(now), client=client, action=action, subject=subject, now=now)
        if count == 1:
            note = f"from {client}, first this minute"
            record(
                action,
                actor_kind=actor_kind,
                actor_id=actor_id,
                record_type=record_type,
                record_id=record_id,
                channel=channel,
                detail=f"{detail[: DETAIL_MAX - len(note) - 2]}; {note}" if detail else note,
                at=now,
            )
    return count


def refusals_counted(action: str, *, subject: str | None = None) -> int:
    """How many refusals of ``action`` (about ``subject``, when given) the tally stands for."""
    return store_refusals.total(action, subject=subject)


@dataclass(frozen=True)
class AuditFilter:
    """A search of the trail: one patient, and/or Central calendar dates (both ends included)."""

    patient_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None

    def events_where(self) -> store_audit.EventsWhere:
        # Midnight Central after the last day, computed on the calendar so DST days keep 23/25 hours.
        return store_audit.EventsWhere(
            patient_id=self.patient_id,
            # The records merged into this one are this patient's too (store.patient_merge).
            spans=store_merge.trail_spans(self.patient_id) if self.patient_id is not None else (),
            since=clinic_instant(self.first_day, time(0)) if self.first_day is not None else None,
            before=clinic_instant(self.last_day + timedelta(days=1), time(0)) if self.last_day is not None else None,
        )


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(where: AuditFilter, *, page: int = 1, per_page: int = 50) -> AuditPage:
    """Newest first. ``page`` past the end gives an empty page, not an error."""
    page = max(page, 1)
    events = where.events_where()
    total = store_audit.count_events(events)
    rows = store_audit.newest_events(events, limit=per_page, offset=(page - 1) * per_page)
    return AuditPage(rows, total, page, per_page)


def every(where: AuditFilter, *, batch: int = 1000) -> Iterator[AuditRow]:
    """All matching rows, oldest first, fetched in batches (for the CSV export)."""
    return store_audit.every_event(where.events_where(), batch=batch)
