"""Writing the clinic's defaults and the demo data: only what is missing is added (see
scheduler.services.seed), so every function here first looks for what is there."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select

from scheduler.domain import catalog
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import RoutingRule
from scheduler.domain.visits import ReservedTime
from scheduler.store import models
from scheduler.store.bookings import reserve
from scheduler.store.engine import db
from scheduler.store.patients import insert_patient

# ----- the catalog's defaults ----------------------------------------------------------------------


def add_missing_specialties(specialties: Sequence[catalog.Specialty]) -> dict[str, int]:
    """Add the specialties not there yet (each at its place in ``specialties``); every
    specialty's id by code."""
    existing = {s.code: s for s in db.session.execute(select(models.Specialty)).scalars()}
    for position, specialty in enumerate(specialties):
        if specialty.code not in existing:
            existing[specialty.code] = models.Specialty(code=specialty.code, name=specialty.name, position=position)
            db.session.add(existing[specialty.code])
    db.session.flush()
    return {code: row.id for code, row in existing.items()}


def add_missing_visit_types(visit_types: Sequence[catalog.VisitType], specialty_ids: dict[str, int]) -> None:
    """Add the visit types not there yet (each at its place in ``visit_types``)."""
    existing = set(db.session.execute(select(models.VisitType.code)).scalars())
    for position, vt in enumerate(visit_types):
        if vt.code in existing:
            continue
        db.session.add(
            models.VisitType(
                code=vt.code,
                name=vt.name,
                specialty_id=specialty_ids[vt.specialty],
                minutes=vt.minutes,
                room_kind=vt.room_kind,
                booking_mode=vt.mode.value,
                prep_notes=vt.prep_notes,
                position=position,
                waitlist_notice_minutes=None
                if vt.waitlist_notice is None
                else int(vt.waitlist_notice.total_seconds()) // 60,
                waitlist_batch_size=vt.waitlist_batch,
                waitlist_hold_minutes=vt.waitlist_hold_minutes,
            )
        )


def add_rules_unless_any(rules: Sequence[RoutingRule]) -> None:
    """Write ``rules`` in their order, unless the clinic has routing rules already."""
    if db.session.execute(select(func.count()).select_from(models.RoutingRule)).scalar_one():
        return  # the clinic's rules are its own once written: never merge defaults into them
    for position, rule in enumerate(rules, start=1):
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


def whole_day_closure_on(day: date) -> bool:
    """Whether some closure of ``day`` starts with the clinic day (whatever its name)."""
    found = db.session.execute(
        select(models.Closure.id).where(models.Closure.day == day, models.Closure.starts.is_(None))
    ).first()
    return found is not None


# ----- demo rooms and providers --------------------------------------------------------------------


def add_missing_rooms(rooms: Iterable[tuple[str, str]]) -> None:
    """Add each (name, kind) room unless there is a room of that name."""
    for name, kind in rooms:
        if db.session.execute(select(models.Room).where(models.Room.name == name)).scalar_one_or_none() is None:
            db.session.add(models.Room(name=name, kind=kind))


@dataclass(frozen=True)
class NewProvider:
    name: str
    specialty: str  # its code
    pattern: tuple[catalog.WorkBlock, ...]
    kind: str
    performs: frozenset[str]  # visit type codes
    urgent_blocks: tuple[catalog.WorkBlock, ...] = ()  # kept for urgent patients (physicians only)


def add_missing_providers(providers: Iterable[NewProvider]) -> None:
    """Add each provider, with their weekly hours, the visit types they perform and the times they
    keep for urgent patients, unless there is a provider of that name."""
    specialty_ids = {s.code: s.id for s in db.session.execute(select(models.Specialty)).scalars()}
    visit_types = {v.code: v for v in db.session.execute(select(models.VisitType)).scalars()}
    for new in providers:
        if db.session.execute(select(models.Provider).where(models.Provider.name == new.name)).scalar_one_or_none():
            continue
        provider = models.Provider(name=new.name, specialty_id=specialty_ids[new.specialty], kind=new.kind)
        provider.hours = [models.ProviderHours(weekday=b.weekday, starts=b.starts, ends=b.ends) for b in new.pattern]
        provider.visit_types = [visit_types[code] for code in sorted(new.performs) if code in visit_types]
        provider.urgent_blocks = [
            models.UrgentBlock(weekday=b.weekday, starts=b.starts, ends=b.ends) for b in new.urgent_blocks
        ]
        db.session.add(provider)


# ----- demo patients and visits --------------------------------------------------------------------


def any_appointments() -> bool:
    return bool(db.session.execute(select(func.count()).select_from(models.Appointment)).scalar_one())


def add_patients(patients: Sequence[PatientDetails], now: datetime) -> list[int]:
    """Add the patients as every booking adds a new one; their ids, in order."""
    return [insert_patient(p, now).id for p in patients]


@dataclass(frozen=True)
class DemoVisit:
    """A demo visit and the resources (provider, room, patient keys) its time takes."""

    reference: str
    patient_id: int
    visit_type_id: int
    provider_id: int
    room_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    channel: str
    manage_nonce: str
    resources: tuple[str, ...]


def add_visits(visits: Iterable[DemoVisit]) -> None:
    for visit in visits:
        row = models.Appointment(
            reference=visit.reference,
            patient_id=visit.patient_id,
            visit_type_id=visit.visit_type_id,
            provider_id=visit.provider_id,
            room_id=visit.room_id,
            starts_at=visit.starts_at,
            ends_at=visit.ends_at,
            status=visit.status,
            channel=visit.channel,
            manage_nonce=visit.manage_nonce,
        )
        db.session.add(row)
        db.session.flush()
        # The one way reservations are written, as every booking writes them.
        reserve([ReservedTime(key, visit.starts_at, visit.ends_at) for key in visit.resources], appointment_id=row.id)
