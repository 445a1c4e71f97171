"""Free times for a visit type: the read side of booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from scheduler.domain import catalog
from scheduler.domain.bookings import last_bookable_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import days_from
from scheduler.domain.clock import utc_now
from scheduler.domain.offer import Catalog
from scheduler.domain.slots import Slot
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.domain.urgent import keep_for_urgent
from scheduler.services import clinic


@dataclass(frozen=True)
class Availability:
    visit_type: catalog.VisitType
    specialty: catalog.Specialty
    slots: list[Slot]
    providers: dict[int, catalog.Provider]
    rooms: dict[int, catalog.Room]


def find_availability(
    visit_type_code: str,
    first_day: date,
    days: int,
    *,
    provider_id: int | None = None,
    specialty_code: str | None = None,
    patient_id: int | None = None,
    now: datetime | None = None,
    catalog_revision: int | None = None,
    urgent: bool = False,
    offer: Catalog | None = None,
) -> Availability:
    """Every free start for ``visit_type_code`` over ``days`` days from ``first_day`` (Central dates).

    ``specialty_code`` overrides the visit type's own specialty (a follow-up goes to the team of
    the patient's last visit). Only providers who perform the visit type are offered. Times sooner
    than the clinic's minimum notice, or after the booking horizon, are never offered. Raises
    InvalidInput for an unknown visit type, or a ``provider_id`` who does not perform it.

    ``urgent``: for staff placing an urgent patient: physicians only, and the times they keep for
    urgent patients are free for it. Otherwise those times are offered only once released.
    ``offer``: the catalog to read instead of the current one (a schedule change not yet made).
    """
    now = now or utc_now()
    working = None
    if offer is None:
        offer = clinic.current_catalog(now, catalog_revision)
        working = clinic.working_time(offer)
    visit_type = offer.visit_type(visit_type_code)
    specialty = offer.specialties[specialty_code or visit_type.specialty]
    window = clinic.day_window(first_day, days)
    providers = offer.capable_providers(visit_type.code, specialty.code, provider_id, urgent=urgent)
    rooms = offer.rooms_of(visit_type.room_kind)
    resources = [provider_resource(p.id) for p in providers] + [room_resource(r.id) for r in rooms]
    if patient_id is not None:
        resources.append(patient_resource(patient_id))
    busy = clinic.busy(resources, window)
    if not urgent:
        keep_for_urgent(busy, providers, days_from(first_day, days), now)
    slots = free_slots(
        visit_type=visit_type,
        providers=providers,
        rooms=rooms,
        calendar=offer.calendar,
        first_day=first_day,
        days=days,
        busy=busy,
        not_before=clinic.earliest_bookable(now),
        patient_busy=busy.get(patient_resource(patient_id), []) if patient_id is not None else (),
        working=working,
    )
    last_day = last_bookable_day(now)
    if days_from(first_day, days)[-1:] > [last_day]:  # nothing is offered that could not be booked
        slots = [s for s in slots if clinic_today(s.start) <= last_day]
    return Availability(visit_type, specialty, slots, {p.id: p for p in providers}, {r.id: r for r in rooms})


def availability_freshness(now: datetime) -> tuple[datetime, int, int]:
    """What, besides the question asked, an availability answer depends on: the booking cut-off
    (which moves a grid step at a time) and the (bookings, catalog) revision counters."""
    return (clinic.earliest_bookable(now), *clinic.revisions())


def next_free_slot(
    visit_type_code: str, after: datetime, *, specialty_code: str | None = None, horizon_days: int = 62
) -> Slot | None:
    """The first time the clinic can offer from ``after`` on, looking ahead a week at a time."""
    first = max(clinic_today(after), clinic_today(utc_now()))
    for week in range(0, horizon_days, 7):
        found = find_availability(
            visit_type_code, date.fromordinal(first.toordinal() + week), 7, specialty_code=specialty_code
        ).slots
        later = [s for s in found if s.start >= after]
        if later:
            return later[0]
    return None
