"""The clinic's defaults and the demo data, written idempotently (only what is missing is added,
so an admin's later changes are never overwritten by a re-run)."""

from __future__ import annotations

import random
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import holidays

from scheduler.domain import catalog
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clinic_details import PLACEHOLDER as PLACEHOLDER_DETAILS
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.intervals import Interval
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import DEFAULT_RULES
from scheduler.domain.slots import free_slots
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource
from scheduler.services import clinic
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.store import catalog_admin as store_catalog_admin
from scheduler.store import clinic_details as store_clinic_details
from scheduler.store import seed as store
from scheduler.store import staff as store_staff
from scheduler.store.seed import DemoVisit
from scheduler.store.seed import NewProvider
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

_K = catalog.ProviderKind
# (name, specialty, kind, weekdays, blocks): varied weekly patterns, all inside clinic hours. Each
# does what their kind usually does (catalog.DEFAULT_PERFORMS); admins change it on their page.
DEMO_PROVIDERS: tuple[tuple[str, str, catalog.ProviderKind, tuple[int, ...], tuple[tuple[time, time], ...]], ...] = (
    ("Dr. Maya Lindqvist", "pmr", _K.PHYSIATRIST, (0, 1, 2, 3, 4), _SPLIT),
    ("Dr. Samuel Okafor", "pmr", _K.PHYSIATRIST, (1, 3), _ALL_DAY),
    ("Grace Thorsen, PT", "pmr", _K.PHYSICAL_THERAPIST, (0, 1, 2, 3, 4), _ALL_DAY),
    ("Daniel Reyes, OT", "pmr", _K.OCCUPATIONAL_THERAPIST, (0, 2, 4), _MORNINGS),
    ("Dr. Priya Raman", "radiology-pain", _K.PAIN_PHYSICIAN, (0, 1, 2, 3, 4), _SPLIT),
    ("Dr. Erik Halvorsen", "radiology-pain", _K.PAIN_PHYSICIAN, (1, 2, 3), _ALL_DAY),
    ("Dr. Hannah Cole", "radiology-pain", _K.PAIN_PHYSICIAN, (0, 3, 4), _ALL_DAY),
    ("Dr. Tomas Vega", "radiology-pain", _K.PAIN_PHYSICIAN, (2, 4), _MORNINGS),
    ("Jordan Baptiste, RT(R)", "radiology-pain", _K.IMAGING_TECHNOLOGIST, (0, 1, 2, 3, 4), _ALL_DAY),
    ("Mei Tanaka, RT(CT)", "radiology-pain", _K.IMAGING_TECHNOLOGIST, (0, 1, 2, 3, 4), _SPLIT),
    ("Dr. Alicia Brandt", "ortho", _K.SPINE_SURGEON, (0, 2), _ALL_DAY),
    ("Dr. Kwame Mensah", "ortho", _K.SPINE_SURGEON, (1, 3), _SPLIT),
    ("Dr. Ingrid Solberg", "ortho", _K.SPINE_SURGEON, (4,), _MORNINGS),
    ("Dr. Lena Park", "endo", _K.ENDOCRINOLOGIST, (1, 3), _ALL_DAY),
    ("Dr. Marcus Hale", "endo", _K.ENDOCRINOLOGIST, (0, 4), _MORNINGS),
)
# Weekly hours two demo physicians keep for urgent patients (inside their hours; released to
# everyone a day before, the default), so the phone console and the queue have somewhere to put them.
DEMO_URGENT_BLOCKS: dict[str, tuple[catalog.WorkBlock, ...]] = {
    "Dr. Maya Lindqvist": (catalog.WorkBlock(1, time(13), time(14)), catalog.WorkBlock(3, time(13), time(14))),
    "Dr. Priya Raman": (catalog.WorkBlock(0, time(11), time(12)), catalog.WorkBlock(2, time(11), time(12))),
}


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
    """Specialties, visit types, routing rules, this year's and the next two years' holidays, and
    the clinic's details (placeholders, marked as such) when it has none."""
    now = now or utc_now()
    with unit_of_work():
        store_clinic_details.add_unless_present(PLACEHOLDER_DETAILS)
        specialty_ids = store.add_missing_specialties(catalog.DEFAULT_SPECIALTIES)
        store.add_missing_visit_types(catalog.DEFAULT_VISIT_TYPES, specialty_ids)
        store.add_rules_unless_any(DEFAULT_RULES)
        year = clinic_today(now).year
        ensure_holiday_closures(range(year, year + 3))


def seed_demo(now: datetime | None = None) -> dict[str, int]:
    """The catalog plus rooms, 15 providers and, when there are none yet, a few weeks of visits."""
    now = now or utc_now()
    seed_catalog(now)
    with unit_of_work():
        store.add_missing_rooms((name, kind.value) for name, kind in DEMO_ROOMS)
        store.add_missing_providers(
            NewProvider(
                name,
                specialty,
                tuple(catalog.WorkBlock(d, s, e) for d in weekdays for s, e in blocks),
                kind,
                catalog.DEFAULT_PERFORMS[kind],
                DEMO_URGENT_BLOCKS.get(name, ()),
            )
            for name, specialty, kind, weekdays, blocks in DEMO_PROVIDERS
        )
    created = 0
    if not store.any_appointments():
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
        if not store_staff.username_taken(username):
            create_account(username, name, role, DEMO_PASSWORD)
            created += 1
    return created


def default_holidays(years: range) -> list[tuple[date, str]]:
    """The default holiday closures on their observed weekdays."""
    found = holidays.country_holidays("US", years=list(years), observed=True)
    return sorted(
        (day, name)
        for day, name in found.items()
        if name.removesuffix(" (observed)") in DEFAULT_HOLIDAYS and day.weekday() < 5 and day.year in years
    )


def ensure_holiday_closures(years: range) -> int:
    """Add the default holiday closures of ``years`` where the day has no whole-day closure yet
    (an admin's own closure of that day stands); how many were added. Inside a unit of work."""
    added = 0
    for day, name in default_holidays(years):
        if not store.whole_day_closure_on(day):
            store_catalog_admin.add_closure(day, None, None, name, source="holiday")
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
    by_specialty = {
        "pmr": ["evaluation", "therapy", "therapy", "follow-up"],
        "radiology-pain": ["injection", "xray", "ct", "injection", "neurotomy"],
        "ortho": ["surgical-consult", "surgical-consult", "follow-up"],
        "endo": ["bone-health", "bone-health", "follow-up"],
    }
    rooms = list(offer.rooms.values())
    visits: list[DemoVisit] = []
    with unit_of_work():
        patient_ids = store.add_patients(
            [
                PatientDetails(
                    given_name=rng.choice(_GIVEN),
                    family_name=rng.choice(_FAMILY),
                    birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365)),
                    phone=f"+1507555{rng.randrange(0, 10000):04d}",
                    email=None,
                    sms_consent=False,
                )
                for _ in range(120)
            ],
            now,
        )
        taken: dict[str, list[Interval]] = {}
        for specialty, codes in by_specialty.items():
            for provider in offer.providers_of(specialty):
                # Each provider sees only visits they perform (the PT no evaluations), as ever.
                theirs = [code for code in codes if provider.does(code)]
                if not theirs:
                    continue
                for offset in range(days):
                    day = first + timedelta(days=offset)
                    vt_id = offer.visit_type_ids[rng.choice(theirs)]
                    slots = free_slots(
                        visit_type=offer.visit_types_by_id[vt_id],
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
                        patient_id = rng.choice(patient_ids)
                        pkey = patient_resource(patient_id)
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
                        visits.append(
                            DemoVisit(
                                reference=new_reference("SIJ"),
                                patient_id=patient_id,
                                visit_type_id=vt_id,
                                provider_id=provider.id,
                                room_id=slot.room_id,
                                starts_at=slot.start,
                                ends_at=slot.end,
                                status=status,
                                channel=rng.choice(["web", "phone"]),
                                manage_nonce=new_nonce(),
                                resources=(*keys, pkey),
                            )
                        )
        store.add_visits(visits)
    return len(visits)
