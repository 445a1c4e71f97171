"""Visits, holds and the reservations that take their time: read and written inside a unit of work.

The statements every booking runs are plain SQL through the driver (see :class:`Driver` for the
measured cost of each path); the rest uses the ORM. Whatever is read comes back as domain values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.catalog import Room
from scheduler.domain.errors import SLOT_TAKEN_MESSAGE
from scheduler.domain.errors import SlotTaken
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import OutboxStatus
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.domain.visits import ProviderRef
from scheduler.domain.visits import ReservedTime
from scheduler.domain.visits import Visit
from scheduler.store import models
from scheduler.store.driver import driver
from scheduler.store.driver import is_overlap_violation
from scheduler.store.engine import db
from scheduler.store.patients import MATCHING_PATIENT_ID
from scheduler.store.patients import matching_params
from scheduler.store.patients import new_patient_row
from scheduler.store.waitlist import record_expiring_holds

# ----- what every placing transaction reads first ----------------------------------------------------


@dataclass(frozen=True)
class PlacingRead:
    """The first read of a transaction that places a visit or a hold. For a booking, also the
    patient on file matching the details (None: a new patient) and the ids its new rows take."""

    catalog_revision: int
    patient_id: int | None = None
    new_patient_id: int | None = None
    new_appointment_id: int | None = None


def open_placing(now: datetime, booking_for: PatientDetails | None = None) -> PlacingRead:
    """One statement (one round trip, where every booking runs it): the catalog's revision,
    whether any hold has expired (then purged, so that it never refuses the time), and with
    ``booking_for`` the patient on file and the new rows' ids (written together by
    :func:`insert_booking`). Call first inside the unit of work."""
    sql = driver()
    reads = (
        "SELECT (SELECT value FROM revision WHERE name = 'catalog'), "
        "EXISTS (SELECT 1 FROM hold WHERE expires_at <= :now)"
    )
    params: dict[str, Any] = {"now": now}
    if booking_for is not None:
        reads += f", {MATCHING_PATIENT_ID}, {sql.next_id('patient')}, {sql.next_id('appointment')}"
        params.update(matching_params(booking_for))
    catalog_revision, some_expired, *found = sql.rows(reads, params)[0]
    if some_expired:
        purge_expired_holds(now)
    return PlacingRead(catalog_revision, *found)


def purge_expired_holds(now: datetime) -> int:
    """Delete holds past their expiry (their reservations go with them, by cascade), so a time
    nobody came back for is free again; how many went. Runs inside booking transactions as well
    as the worker's job: an expired hold must never refuse a booking, even if the job has not run yet."""
    # The times they kept are free again: the waitlist is offered them (store.waitlist).
    record_expiring_holds(now)
    return driver().run("DELETE FROM hold WHERE expires_at <= :now", {"now": now})


# ----- reservations ------------------------------------------------------------------------------------


def _reservation_rows(
    times: Sequence[ReservedTime], *, appointment_id: int | None = None, hold_id: int | None = None
) -> list[dict[str, Any]]:
    """The one shape of a reservation row, for a visit's or a hold's times."""
    return [
        {
            "appointment_id": appointment_id,
            "hold_id": hold_id,
            "resource": taken.resource,
            "starts_at": taken.start,
            "ends_at": taken.end,
            "active": True,
        }
        for taken in times
    ]


def reserve(times: Sequence[ReservedTime], *, appointment_id: int | None = None, hold_id: int | None = None) -> None:
    """Take ``times`` for a visit or a hold. Raises SlotTaken when PostgreSQL's exclusion
    constraint refuses an overlap (a race lost to a transaction that committed first)."""
    with overlap_refused():
        driver().insert("reservation", _reservation_rows(times, appointment_id=appointment_id, hold_id=hold_id))


def drop_reservations(appointment_id: int) -> None:
    """Remove a visit's reservations (before it takes new ones: its own time must not stand in its way)."""
    db.session.execute(
        delete(models.Reservation)
        .where(models.Reservation.appointment_id == appointment_id)
        .execution_options(synchronize_session=False)
    )


@contextmanager
def overlap_refused() -> Iterator[None]:
    """Turn PostgreSQL's refusal of an overlapping reservation (SQLSTATE 23P01) into SlotTaken."""
    try:
        yield
    except IntegrityError as error:
        if is_overlap_violation(error):
            raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
        raise


# ----- visits ----------------------------------------------------------------------------------------


def insert_booking(visit: Visit, *, new_patient_at: datetime | None, messages: Sequence[dict[str, Any]]) -> None:
    """Write a booked visit in one statement (the hot path of every booking): its patient when
    new (``new_patient_at``: when they were added), the appointment, its reservations and its
    outbox ``messages``. Its ids are those :func:`open_placing` read. Raises SlotTaken on a lost race."""
    patient = visit.patient
    new_patients = []
    if new_patient_at is not None:
        new_patients = [{"id": patient.id, **new_patient_row(patient, new_patient_at)}]
    appointment = {
        "id": visit.id,
        "reference": visit.reference,
        "patient_id": patient.id,
        "visit_type_id": visit.visit_type_id,
        "provider_id": visit.provider.id,
        "room_id": visit.room_id,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "status": visit.status.value,
        "channel": visit.channel,
        "request_id": visit.request_id,
        "manage_nonce": visit.manage_nonce,
        "version": visit.version,
        "created_at": visit.created_at,
        "updated_at": visit.updated_at,
        "urgent": visit.urgent,
        "intake": intake_text(visit.intake),
    }
    with overlap_refused():
        driver().insert_all(
            [
                ("patient", new_patients),
                ("appointment", [appointment]),
                ("reservation", _reservation_rows(visit.reservations, appointment_id=visit.id)),
                ("outbox_message", list(messages)),
            ]
        )


def visit(appointment_id: int, *, lock: bool = False) -> Visit | None:
    """The visit, whole (patient, provider, room, reservations), as saved in this transaction.
    ``lock``: its row is locked until the transaction ends (PostgreSQL), for a change that writes
    reservations from what it read (a move): a merge of its patient waits, or is waited for, and
    the patient read is the one on file."""
    return _visit_where(models.Appointment.id == appointment_id, lock=lock)


def _visit_where(condition: Any, *, lock: bool = False) -> Visit | None:
    query = (
        select(models.Appointment)
        .options(selectinload(models.Appointment.reservations))
        .where(condition)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=models.Appointment, key_share=True)  # not the type, provider, room joined
    row = db.session.execute(query).scalar_one_or_none()
    return None if row is None else as_visit(row)


def as_visit(row: models.Appointment) -> Visit:
    patient, provider, room = row.patient, row.provider, row.room
    return Visit(
        id=row.id,
        reference=row.reference,
        status=AppointmentStatus(row.status),
        channel=row.channel,
        visit_type_id=row.visit_type_id,
        visit_type_code=row.visit_type.code,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        patient=PatientRecord(
            patient.id,
            patient.given_name,
            patient.family_name,
            patient.birth_date,
            patient.phone,
            patient.email,
            patient.sms_consent,
        ),  # fmt: skip
        provider=ProviderRef(provider.id, provider.name, provider.specialty.code, provider.kind),
        room=Room(room.id, room.name, room.kind) if room else None,
        reservations=tuple(
            ReservedTime(r.resource, r.starts_at, r.ends_at, r.active)
            for r in sorted(row.reservations, key=lambda r: r.id)
        ),
        version=row.version,
        manage_nonce=row.manage_nonce,
        request_id=row.request_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        urgent=row.urgent,
        intake=row.answers,
    )


def intake_text(intake: Intake | None) -> str | None:
    """How a visit's intake answers are stored: JSON text (read back by Appointment.answers)."""
    return None if intake is None else json.dumps(intake.as_dict(), separators=(",", ":"))


def appointment_by_reference(reference: str) -> models.Appointment | None:
    """The appointment row (for the pages that show it), by its reference."""
    return db.session.execute(
        select(models.Appointment).where(models.Appointment.reference == reference[:20])
    ).scalar_one_or_none()


def move_visit(appointment_id: int, start: datetime, end: datetime, provider_id: int, room_id: int | None) -> None:
    """Give the visit its new time, provider and room (its reservations are the caller's); its
    version moves on, so its messages and calendar entries are new ones."""
    db.session.execute(
        update(models.Appointment)
        .where(models.Appointment.id == appointment_id)
        .values(
            starts_at=start,
            ends_at=end,
            provider_id=provider_id,
            room_id=room_id,
            version=models.Appointment.version + 1,
        )
        .execution_options(synchronize_session=False)
    )


def cancel_visit(appointment_id: int, reason: str | None) -> None:
    """Mark the visit cancelled and give its time back (its reservations stay, inactive, as a record)."""
    db.session.execute(
        update(models.Appointment)
        .where(models.Appointment.id == appointment_id)
        .values(status=AppointmentStatus.CANCELLED, cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(models.Reservation)
        .where(models.Reservation.appointment_id == appointment_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


# ----- holds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldSlot:
    id: int
    visit_type_id: int
    provider_id: int
    starts_at: datetime
    created_at: datetime


def insert_hold(
    *,
    token: str,
    visit_type_id: int,
    provider_id: int,
    room_id: int | None,
    start: datetime,
    end: datetime,
    expires_at: datetime,
    channel: str,
    now: datetime,
    client_key: str | None = None,
) -> int:
    """A new hold's row (its reservations are written by :func:`reserve`); its id. ``client_key``:
    who asked (hashed), for the limit on live holds per client."""
    return db.session.execute(
        insert(models.Hold)
        .values(
            token=token,
            visit_type_id=visit_type_id,
            provider_id=provider_id,
            room_id=room_id,
            starts_at=start,
            ends_at=end,
            expires_at=expires_at,
            channel=channel,
            created_at=now,
            client_key=client_key,
        )
        .returning(models.Hold.id)
    ).scalar_one()


def unexpired_hold(token: str, now: datetime) -> HeldSlot | None:
    h = models.Hold
    found = db.session.execute(
        select(h.id, h.visit_type_id, h.provider_id, h.starts_at, h.created_at).where(
            h.token == token[:64], h.expires_at > now
        )
    ).first()
    return HeldSlot(*found) if found else None


def drop_hold(*, hold_id: int | None = None, token: str | None = None) -> None:
    """Delete a hold (its reservations go with it, by cascade), by id or by its token."""
    h = models.Hold
    condition = h.id == hold_id if hold_id is not None else h.token == (token or "")[:64]
    db.session.execute(delete(h).where(condition).execution_options(synchronize_session=False))


# ----- the visit's messages --------------------------------------------------------------------------


def queue_messages(rows: Sequence[dict[str, Any]]) -> None:
    """Write outbox rows (made by ``services.outbox.rows``) in one statement."""
    driver().insert("outbox_message", rows)


def withdraw_reminders(appointment_id: int) -> None:
    """Pending reminders of a visit that was cancelled or moved: never sent."""
    db.session.execute(
        update(models.OutboxMessage)
        .where(
            models.OutboxMessage.appointment_id == appointment_id,
            models.OutboxMessage.kind == MessageKind.REMINDER.value,
            models.OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.WITHDRAWN)
    )


def set_status(appointment_id: int, status: AppointmentStatus) -> None:
    """Give the visit a new status (checked in, completed, a no-show, or one of these undone); its
    version moves on, as with any change its calendar entries should pick up."""
    db.session.execute(
        update(models.Appointment)
        .where(models.Appointment.id == appointment_id)
        .values(status=status, version=models.Appointment.version + 1)
    )
