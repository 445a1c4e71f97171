"""Free times for a visit type: the read side of booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from scheduler.domain import catalog
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.slots import Slot
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
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
) -> Availability:
    """Every free start for ``visit_type_code`` over ``days`` days from ``first_day`` (Central dates).

    ``specialty_code`` overrides the visit type's own specialty (a follow-up goes to the team of
    the patient's last visit). Times sooner than the clinic's minimum notice are never offered.
    Raises InvalidInput for an unknown visit type.
    """
    now = now or utc_now()
    row = clinic.visit_type_row(visit_type_code)
    visit_type = row.to_domain()
    specialty = clinic.specialty_row(specialty_code).to_domain() if specialty_code else row.specialty.to_domain()
    window = clinic.day_window(first_day, days)
    providers = clinic.providers(specialty.code, window, provider_id)
    rooms = clinic.rooms(visit_type.room_kind)
    resources = [provider_resource(p.id) for p in providers] + [room_resource(r.id) for r in rooms]
    if patient_id is not None:
        resources.append(patient_resource(patient_id))
    busy = clinic.busy(resources, window)
    slots = free_slots(
        visit_type=visit_type,
        providers=providers,
        rooms=rooms,
        calendar=clinic.clinic_calendar(first_day, window.end.date()),
        first_day=first_day,
        days=days,
        busy=busy,
        not_before=clinic.earliest_bookable(now),
        patient_busy=busy.get(patient_resource(patient_id), []) if patient_id is not None else (),
    )
    return Availability(visit_type, specialty, slots, {p.id: p for p in providers}, {r.id: r for r in rooms})


def availability_freshness(now: datetime) -> tuple[object, ...]:
    """What, besides the question asked, an availability answer depends on: the booking cut-off
    (which moves a grid step at a time) and the database's revision counters."""
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
