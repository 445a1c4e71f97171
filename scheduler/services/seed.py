"""The clinic's defaults and the demo data, written idempotently (only what is missing is added,
so an admin's later changes are never overwritten by a re-run)."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import holidays
from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain import catalog
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.intervals import Interval
from scheduler.domain.routing import DEFAULT_RULES
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.services import clinic
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work

# The clinic closes on these, on their observed dates (Saturday -> Friday, Sunday -> Monday).
DEFAULT_HOLIDAYS = frozenset(
    {"New Year's Day", "Memorial Day", "Independence Day", "Labor Day", "Thanksgiving Day", "Christmas Day"}
)

DEMO_ROOMS = (
    ("Fluoroscopy Suite 1", catalog.RoomKind.FLUOROSCOPY),
    ("Fluoroscopy Suite 2", catalog.RoomKind.FLUOROSCOPY),
    ("X-ray Room", catalog.RoomKind.XRAY),
    ("CT Scanner", catalog.RoomKind.CT),
)

_ALL_DAY = ((time(8), time(17)),)
_MORNINGS = ((time(8), time(12)),)
_SPLIT = ((time(8), time(12)), (time(13), time(17)))

# (name, specialty, weekdays, blocks): varied weekly patterns, all inside clinic hours.
DEMO_PROVIDERS: tuple[tuple[str, str, tuple[int, ...], tuple[tuple[time, time], ...]], ...] = (
    ("Dr. Maya Lindqvist", "pmr", (0, 1, 2, 3, 4), _SPLIT),
    ("Dr. Samuel Okafor", "pmr", (1, 3), _ALL_DAY),
    ("Grace Thorsen, PT", "pmr", (0, 1, 2, 3, 4), _ALL_DAY),
    ("Daniel Reyes, OT", "pmr", (0, 2, 4), _MORNINGS),
    ("Dr. Priya Raman", "radiology-pain", (0, 1, 2, 3, 4), _SPLIT),
    ("Dr. Erik Halvorsen", "radiology-pain", (1, 2, 3), _ALL_DAY),
    ("Dr. Hannah Cole", "radiology-pain", (0, 3, 4), _ALL_DAY),
    ("Dr. Tomas Vega", "radiology-pain", (2, 4), _MORNINGS),
    ("Dr. Alicia Brandt", "ortho", (0, 2), _ALL_DAY),
    ("Dr. Kwame Mensah", "ortho", (1, 3), _SPLIT),
    ("Dr. Ingrid Solberg", "ortho", (4,), _MORNINGS),
    ("Dr. Lena Park", "endo", (1, 3), _ALL_DAY),
    ("Dr. Marcus Hale", "endo", (0, 4), _MORNINGS),
)

_GIVEN = (
    "Ava",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Frank",
    "Greta",
    "Henry",
    "Iris",
    "James",
    "Karin",
    "Leo",
    "Mona",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Victor",
)
_FAMILY = (
    "Anderson",
    "Berg",
    "Carlson",
    "Dahl",
    "Eriksen",
    "Fischer",
    "Gomez",
    "Hansen",
    "Iverson",
    "Johnson",
    "Klein",
    "Larson",
    "Moen",
    "Nguyen",
    "Olson",
    "Peterson",
    "Quist",
    "Rasmussen",
    "Schmidt",
    "Thompson",
)


def seed_catalog(now: datetime | None = None) -> None:
    """Specialties, visit types, routing rules and this year's and the next two years' holidays."""
    now = now or utc_now()
    with unit_of_work():
        specialties = _ensure_specialties()
        _ensure_visit_types(specialties)
        _ensure_rules()
        year = clinic_today(now).year
        ensure_holiday_closures(range(year, year + 3))


def seed_demo(now: datetime | None = None) -> dict[str, int]:
    """The catalog plus rooms, 13 providers and, when there are none yet, a few weeks of visits."""
    now = now or utc_now()
    seed_catalog(now)
    with unit_of_work():
        specialties = {s.code: s for s in db.session.execute(select(models.Specialty)).scalars()}
        for name, kind in DEMO_ROOMS:
            if db.session.execute(select(models.Room).where(models.Room.name == name)).scalar_one_or_none() is None:
                db.session.add(models.Room(name=name, kind=kind.value))
        for name, specialty, weekdays, blocks in DEMO_PROVIDERS:
            if db.session.execute(select(models.Provider).where(models.Provider.name == name)).scalar_one_or_none():
                continue
            provider = models.Provider(name=name, specialty=specialties[specialty])
            provider.hours = [models.ProviderHours(weekday=d, starts=s, ends=e) for d in weekdays for s, e in blocks]
            db.session.add(provider)
    created = 0
    if not db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one():
        created = _demo_appointments(now)
    return {"appointments_created": created, "staff_created": _demo_staff()}


# Demo sign-ins, one per role, for `make run` (printed by it). A demo database only: production
# accounts are made one per person with `flask create-staff`.
DEMO_STAFF = (("demo-admin", "Demo Admin", "admin"), ("demo-scheduler", "Demo Scheduler", "scheduler"),
              ("demo-phone", "Demo Phone", "phone"))  # fmt: skip
DEMO_PASSWORD = "demo-password-2026"


def _demo_staff() -> int:
    from scheduler.services.staff import create_account

    created = 0
    for username, name, role in DEMO_STAFF:
        if db.session.execute(select(models.StaffAccount.id).filter_by(username=username)).first() is None:
            create_account(username, name, role, DEMO_PASSWORD)
            created += 1
    return created


def _ensure_specialties() -> dict[str, models.Specialty]:
    existing = {s.code: s for s in db.session.execute(select(models.Specialty)).scalars()}
    for position, specialty in enumerate(catalog.DEFAULT_SPECIALTIES):
        if specialty.code not in existing:
            existing[specialty.code] = models.Specialty(code=specialty.code, name=specialty.name, position=position)
            db.session.add(existing[specialty.code])
    db.session.flush()
    return existing


def _ensure_visit_types(specialties: dict[str, models.Specialty]) -> None:
    existing = set(db.session.execute(select(models.VisitType.code)).scalars())
    for position, vt in enumerate(catalog.DEFAULT_VISIT_TYPES):
        if vt.code in existing:
            continue
        db.session.add(
            models.VisitType(
                code=vt.code,
                name=vt.name,
                specialty=specialties[vt.specialty],
                minutes=vt.minutes,
                room_kind=vt.room_kind,
                booking_mode=vt.mode.value,
                prep_notes=vt.prep_notes,
                position=position,
            )
        )


def _ensure_rules() -> None:
    if db.session.execute(select(func.count()).select_from(models.RoutingRule)).scalar_one():
        return  # the clinic's rules are its own once written: never merge defaults into them
    for position, rule in enumerate(DEFAULT_RULES, start=1):
        db.session.add(
            models.RoutingRule(
                name=rule.name,
                position=position,
                route_to=rule.route_to,
                reason=rule.reason,
                urgent=rule.urgent,
                enabled=rule.enabled,
                conditions=[_plain(asdict(c)) for c in rule.conditions],
            )
        )


def _plain(value: object) -> object:
    """Tuples to lists, so the stored JSON reads back as it was written."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def default_holidays(years: range) -> list[tuple[date, str]]:
    """The default holiday closures on their observed weekdays."""
    found = holidays.US(years=list(years), observed=True)
    return sorted(
        (day, name)
        for day, name in found.items()
        if name.removesuffix(" (observed)") in DEFAULT_HOLIDAYS and day.weekday() < 5 and day.year in years
    )


def ensure_holiday_closures(years: range) -> int:
    added = 0
    for day, name in default_holidays(years):
        exists = db.session.execute(
            select(models.Closure.id).where(models.Closure.day == day, models.Closure.starts.is_(None))
        ).first()
        if not exists:
            db.session.add(models.Closure(day=day, name=name, source="holiday"))
            added += 1
    return added


def _demo_appointments(now: datetime) -> int:
    """About two weeks of past visits and three weeks ahead, filling roughly a third of each day."""
    rng = random.Random(2026)
    today = clinic_today(now)
    first = today - timedelta(days=14)
    days = 35
    window = clinic.day_window(first, days)
    offer = clinic.current_catalog(now)
    visit_types = {v.code: v for v in db.session.execute(select(models.VisitType)).scalars()}
    by_specialty = {
        "pmr": ["evaluation", "therapy", "therapy", "follow-up"],
        "radiology-pain": ["injection", "xray", "ct", "injection", "neurotomy"],
        "ortho": ["surgical-consult"],
        "endo": ["bone-health"],
    }
    rooms = [r.to_domain() for r in db.session.execute(select(models.Room)).scalars()]
    created = 0
    with unit_of_work():
        patients = [
            models.Patient(
                given_name=rng.choice(_GIVEN),
                family_name=rng.choice(_FAMILY),
                birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365)),
                phone=f"+1507555{rng.randrange(0, 10000):04d}",
                email=None,
                sms_consent=False,
            )
            for _ in range(120)
        ]
        db.session.add_all(patients)
        db.session.flush()
        taken: dict[str, list[Interval]] = {}
        for specialty, codes in by_specialty.items():
            for provider in offer.providers_of(specialty):
                for offset in range(days):
                    day = first + timedelta(days=offset)
                    vt_row = visit_types[rng.choice(codes)]
                    vt = vt_row.to_domain()
                    slots = free_slots(
                        visit_type=vt,
                        providers=[provider],
                        rooms=rooms,
                        calendar=offer.calendar,
                        first_day=day,
                        days=1,
                        busy=taken,
                        not_before=window.start,
                    )
                    for slot in rng.sample(slots, k=len(slots) // 6):
                        keys = [provider_resource(provider.id)] + (
                            [room_resource(slot.room_id)] if slot.room_id else []
                        )
                        visit = Interval(slot.start, slot.end)
                        patient = rng.choice(patients)
                        pkey = patient_resource(patient.id)
                        if any(visit.overlaps(b) for key in [*keys, pkey] for b in taken.get(key, [])):
                            continue
                        for key in [*keys, pkey]:
                            taken.setdefault(key, []).append(visit)
                        past = slot.end <= now
                        status = (
                            rng.choice([AppointmentStatus.FULFILLED] * 9 + [AppointmentStatus.NOSHOW])
                            if past
                            else AppointmentStatus.BOOKED
                        )
                        appointment = models.Appointment(
                            reference=new_reference("SIJ"),
                            patient=patient,
                            visit_type=vt_row,
                            provider_id=provider.id,
                            room_id=slot.room_id,
                            starts_at=slot.start,
                            ends_at=slot.end,
                            status=status.value,
                            channel=rng.choice(["web", "phone"]),
                            manage_nonce=new_nonce(),
                            reservations=[
                                models.Reservation(resource=key, starts_at=slot.start, ends_at=slot.end, active=True)
                                for key in [*keys, pkey]
                            ],
                        )
                        db.session.add(appointment)
                        created += 1
    return created
