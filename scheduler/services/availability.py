"""Free times for a visit type: the read side of booking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain import catalog
from scheduler.domain.bookings import last_bookable_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import days_from
from scheduler.domain.clock import utc_now
from scheduler.domain.intervals import Interval
from scheduler.domain.offer import Catalog
from scheduler.domain.slots import Slot
from scheduler.domain.slots import WorkingTime
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.domain.urgent import keep_for_urgent
from scheduler.services import clinic
from scheduler.services.memo import RevisionCache
from scheduler.services.memo import app_cache


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
    asked = _Question(
        visit_type_code, first_day, days, provider_id, specialty_code, patient_id, now or utc_now(), urgent
    )
    plan = _plan(asked, offer, catalog_revision)
    return _answer(plan, clinic.busy(plan.resources, plan.window))


def availability_answer(
    visit_type_code: str, first_day: date, days: int, provider_id: int | None, *, render: Callable[[Availability], str]
) -> str:
    """``render`` of :func:`find_availability` for the question, as the public API asks it: from
    this process's cache of answers when it holds one for the database's current revisions.

    One round trip to the database either way. A question this process has an answer to under
    the revisions it read last is checked against the current revisions (and answered from the
    cache if they are unchanged); any other question, likely new, reads the revisions together
    with the reservations it needs, rather than one after the other.
    """
    now = utc_now()
    answers: RevisionCache[str] = app_cache("availability")
    asked = (visit_type_code, first_day, days, provider_id, clinic.earliest_bookable(now))
    question = _Question(visit_type_code, first_day, days, provider_id, None, None, now, False)
    seen = clinic.revisions_seen()
    if seen is not None and answers.holds((*asked, *seen)):
        revisions = clinic.revisions()
        return answers.get_or_compute(
            (*asked, *revisions), lambda: render(_answer(*_planned_and_busy(question, revisions[1])))
        )
    plan = _plan(question, None, seen[1] if seen else None)
    revisions, busy = clinic.revisions_and_busy(plan.resources, plan.window)
    if revisions[1] != plan.catalog_revision:  # the catalog changed since: plan again under it
        plan, busy = _planned_and_busy(question, revisions[1])
    return answers.keep((*asked, *revisions), render(_answer(plan, busy)))


@dataclass(frozen=True)
class _Question:
    visit_type_code: str
    first_day: date
    days: int
    provider_id: int | None
    specialty_code: str | None
    patient_id: int | None
    now: datetime
    urgent: bool


@dataclass(frozen=True)
class _Plan:
    """What a question needs before the reservations are read: the catalog's answer to it."""

    asked: _Question
    offer: Catalog
    catalog_revision: int | None
    working: WorkingTime | None
    visit_type: catalog.VisitType
    specialty: catalog.Specialty
    providers: list[catalog.Provider]
    rooms: list[catalog.Room]
    window: Interval
    resources: list[str]


def _plan(asked: _Question, offer: Catalog | None, catalog_revision: int | None) -> _Plan:
    working = None
    if offer is None:
        if catalog_revision is None:
            catalog_revision = clinic.revisions()[1]
        offer = clinic.current_catalog(asked.now, catalog_revision)
        working = clinic.working_time(offer)
    visit_type = offer.visit_type(asked.visit_type_code)
    specialty = offer.specialties[asked.specialty_code or visit_type.specialty]
    providers = offer.capable_providers(visit_type.code, specialty.code, asked.provider_id, urgent=asked.urgent)
    rooms = offer.rooms_of(visit_type.room_kind)
    resources = [provider_resource(p.id) for p in providers] + [room_resource(r.id) for r in rooms]
    if asked.patient_id is not None:
        resources.append(patient_resource(asked.patient_id))
    window = clinic.day_window(asked.first_day, asked.days)
    return _Plan(asked, offer, catalog_revision, working, visit_type, specialty, providers, rooms, window, resources)


def _planned_and_busy(asked: _Question, catalog_revision: int) -> tuple[_Plan, dict[str, list[Interval]]]:
    plan = _plan(asked, None, catalog_revision)
    return plan, clinic.busy(plan.resources, plan.window)


def _answer(plan: _Plan, busy: dict[str, list[Interval]]) -> Availability:
    asked = plan.asked
    if not asked.urgent:
        keep_for_urgent(busy, plan.providers, days_from(asked.first_day, asked.days), asked.now)
    slots = free_slots(
        visit_type=plan.visit_type,
        providers=plan.providers,
        rooms=plan.rooms,
        calendar=plan.offer.calendar,
        first_day=asked.first_day,
        days=asked.days,
        busy=busy,
        not_before=clinic.earliest_bookable(asked.now),
        patient_busy=busy.get(patient_resource(asked.patient_id), []) if asked.patient_id is not None else (),
        working=plan.working,
    )
    last_day = last_bookable_day(asked.now)
    if asked.first_day + timedelta(days=asked.days - 1) > last_day:  # nothing offered that could not be booked
        slots = [s for s in slots if clinic_today(s.start) <= last_day]
    return Availability(
        plan.visit_type, plan.specialty, slots, {p.id: p for p in plan.providers}, {r.id: r for r in plan.rooms}
    )


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
