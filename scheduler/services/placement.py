"""Where a visit goes: the provider and room for a time, chosen inside a write transaction.

Shared by booking, holds and moves, so all three pick the same way and give the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.domain import catalog
from scheduler.domain.bookings import check_provider_free
from scheduler.domain.bookings import first_free_room
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import SLOT_TAKEN_MESSAGE
from scheduler.domain.errors import SlotTaken
from scheduler.domain.intervals import Interval
from scheduler.domain.offer import Catalog
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.domain.urgent import keep_for_urgent
from scheduler.domain.visits import ReservedTime
from scheduler.domain.visits import times_taken
from scheduler.services import clinic
from scheduler.store import bookings as store_bookings

PATIENT_BUSY_MESSAGE = "You already have a visit at that time. Choose another time, or call us to change it."


@dataclass(frozen=True)
class Place:
    provider: catalog.Provider
    room: catalog.Room | None

    def times(self, visit: Interval, patient_id: int | None = None) -> tuple[ReservedTime, ...]:
        """The time the visit takes here: the provider's, the room's and the patient's (when known)."""
        return times_taken(
            visit, provider_id=self.provider.id, room_id=self.room.id if self.room else None, patient_id=patient_id
        )


def choose_place(
    offer: Catalog,
    visit_type: catalog.VisitType,
    visit: Interval,
    specialty: str,
    *,
    provider_id: int | None = None,
    patient_id: int | None = None,
    preferred_provider_id: int | None = None,
    urgent: bool = False,
    now: datetime | None = None,
) -> Place:
    """A provider of ``specialty`` who performs the visit (``provider_id`` when given) free for
    ``visit``, and a free room of the kind the visit needs. ``preferred_provider_id`` (a
    follow-up's provider of the last visit) is tried first when capable; then the lighter day
    first, as availability ranks them.

    Raises InvalidInput for a provider who does not perform the visit, SlotTaken when nobody (or
    the patient, or every room) is free. Call inside the write transaction that will insert.
    ``urgent``: an urgent patient, placed by staff: physicians only, who may use the times they
    keep for urgent patients; otherwise those times are refused until released.
    """
    candidates = offer.capable_providers(visit_type.code, specialty, provider_id, urgent=urgent)
    rooms = offer.rooms_of(visit_type.room_kind)
    keys = [provider_resource(p.id) for p in candidates] + [room_resource(r.id) for r in rooms]
    if patient_id is not None:
        keys.append(patient_resource(patient_id))
    day = to_clinic(visit.start).date()
    busy = clinic.busy(keys, clinic.day_window(day, 1))
    if not urgent:
        keep_for_urgent(busy, candidates, [day], now or utc_now())
    if patient_id is not None and any(b.overlaps(visit) for b in busy.get(patient_resource(patient_id), [])):
        raise SlotTaken(PATIENT_BUSY_MESSAGE)
    candidates.sort(key=lambda p: (p.id != preferred_provider_id, _booked_minutes(busy, p.id), p.id))
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


def _booked_minutes(busy: dict[str, list[Interval]], provider_id: int) -> int:
    return sum(i.minutes for i in busy.get(provider_resource(provider_id), []))


def catalog_for_placing(now: datetime) -> Catalog:
    """First thing in a unit of work that places a visit or a hold: the current catalog, with
    expired holds purged so that they never refuse the time (see ``store.bookings.open_placing``)."""
    return clinic.current_catalog(now, store_bookings.open_placing(now).catalog_revision)
