"""Where a visit goes: the provider and room for a time, chosen inside a write transaction.

Shared by booking, holds and moves, so all three pick the same way and give the same reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.domain import catalog
from scheduler.domain.bookings import check_provider_free
from scheduler.domain.bookings import first_free_room
from scheduler.domain.clock import to_clinic
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import SlotTaken
from scheduler.domain.intervals import Interval
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.services import clinic
from scheduler.services.clinic import Catalog
from scheduler.store.driver import driver

SLOT_TAKEN_MESSAGE = "That time was just taken. Please choose another time."
PATIENT_BUSY_MESSAGE = "You already have a visit at that time. Choose another time, or call us to change it."


@dataclass(frozen=True)
class Place:
    provider: catalog.Provider
    room: catalog.Room | None


def choose_place(
    offer: Catalog,
    visit_type: catalog.VisitType,
    visit: Interval,
    specialty: str,
    *,
    provider_id: int | None = None,
    patient_id: int | None = None,
) -> Place:
    """A provider of ``specialty`` (``provider_id`` when given) free for ``visit``, and a free room
    of the kind the visit needs; the lighter day first, as availability ranks them.

    Raises InvalidInput for a provider who does not offer the visit, SlotTaken when nobody (or the
    patient, or every room) is free. Call inside the write transaction that will insert.
    """
    candidates = offer.providers_of(specialty, provider_id)
    if provider_id is not None and not candidates:
        raise InvalidInput(
            {"provider_id": "That provider does not offer this visit. Leave it out to get any provider."}
        )
    rooms = offer.rooms_of(visit_type.room_kind)
    keys = [provider_resource(p.id) for p in candidates] + [room_resource(r.id) for r in rooms]
    if patient_id is not None:
        keys.append(patient_resource(patient_id))
    busy = clinic.busy(keys, clinic.day_window(to_clinic(visit.start).date(), 1))
    if patient_id is not None and any(b.overlaps(visit) for b in busy.get(patient_resource(patient_id), [])):
        raise SlotTaken(PATIENT_BUSY_MESSAGE)
    candidates.sort(key=lambda p: (sum(i.minutes for i in busy.get(provider_resource(p.id), [])), p.id))
    refusal: SlotTaken | None = None
    for provider in candidates:
        try:
            check_provider_free(provider, visit, offer.calendar, busy.get(provider_resource(provider.id), []))
        except SlotTaken as taken:
            refusal = taken
            continue
        room = first_free_room(rooms, visit, {r.id: busy.get(room_resource(r.id), []) for r in rooms})
        if visit_type.room_kind and room is None:
            refusal = SlotTaken(f"No {visit_type.room_kind} room is free at that time. Please choose another time.")
            continue
        return Place(provider, room)
    raise refusal or SlotTaken(SLOT_TAKEN_MESSAGE)


def reservation_rows(
    place: Place,
    visit: Interval,
    *,
    appointment_id: int | None = None,
    hold_id: int | None = None,
    patient_id: int | None = None,
) -> list[dict[str, object]]:
    """The reservation rows that take ``visit`` for the place (and the patient, when known)."""
    keys = [provider_resource(place.provider.id)]
    if place.room is not None:
        keys.append(room_resource(place.room.id))
    if patient_id is not None:
        keys.append(patient_resource(patient_id))
    return [
        {
            "appointment_id": appointment_id,
            "hold_id": hold_id,
            "resource": key,
            "starts_at": visit.start,
            "ends_at": visit.end,
            "active": True,
        }
        for key in keys
    ]


def insert_reservations(rows: list[dict[str, object]]) -> None:
    """Write rows made by :func:`reservation_rows`. PostgreSQL's exclusion constraint refuses an
    overlap here (SQLSTATE 23P01: see :func:`scheduler.store.driver.is_overlap_violation`)."""
    driver().insert("reservation", rows)


def catalog_for_placing(now: datetime) -> Catalog:
    """First thing in a write transaction that places a visit or a hold: the current catalog, with
    expired holds purged so that they never refuse the time.

    One statement reads the catalog's revision and whether any hold has expired; the purge runs
    only when one has (the worker purges every minute, so mostly none has).
    """
    return open_placing(now)[0]


def open_placing(
    now: datetime, reads: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None
) -> tuple[Catalog, dict[str, Any]]:
    """:func:`catalog_for_placing`, and in the same statement (one round trip, where every
    booking runs it) the scalar SQL expressions of ``reads`` (name -> expression, with ``params``),
    returned by name."""
    reads = reads or {}
    catalog_revision, some_expired, *values = driver().rows(
        "SELECT (SELECT value FROM revision WHERE name = 'catalog'), "
        "EXISTS (SELECT 1 FROM hold WHERE expires_at <= :now)" + "".join(f", {sql}" for sql in reads.values()),
        {**(params or {}), "now": now},
    )[0]
    if some_expired:
        purge_expired_holds(now)
    return clinic.current_catalog(now, catalog_revision), dict(zip(reads, values, strict=True))


def purge_expired_holds(now: datetime) -> int:
    """Delete holds past their expiry (their reservations go with them, by cascade), so a time
    nobody came back for is free again. Runs inside booking transactions as well as the job: an
    expired hold must never refuse a booking, even if the job has not run yet."""
    return driver().run("DELETE FROM hold WHERE expires_at <= :now", {"now": now})
