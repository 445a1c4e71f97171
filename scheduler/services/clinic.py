"""The clinic's catalog and calendars, loaded from the database as domain values.

The catalog (specialties, visit types, routing rules, providers with their hours and time off,
rooms, closures) changes rarely and is read by every request, so it is loaded once per catalog
revision: database triggers bump that counter with any change, by any process, so a snapshot is
exact for as long as its revision is current.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler.domain import catalog
from scheduler.domain import routing
from scheduler.domain.clock import ceil_to_grid
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.errors import InvalidInput
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.intervals import Interval
from scheduler.services.memo import app_cache
from scheduler.store import models
from scheduler.store.driver import driver
from scheduler.store.engine import db

# No visit spans more than one clinic day, so a reservation overlapping a window starts at most
# this long before it. Bounding the start both ways keeps the (resource, starts_at) index range
# small however many years of history the table holds.
LONGEST_RESERVATION = timedelta(days=1)


def clinic_hours() -> ClinicHours:
    return ClinicHours()


@dataclass(frozen=True)
class Catalog:
    """What the clinic offers, as of one catalog revision. Time off and closures are those from
    yesterday on: nothing earlier can affect a time that may still be booked."""

    specialties: dict[str, catalog.Specialty]
    specialty_ids: dict[str, int]
    visit_types: dict[str, catalog.VisitType]  # active ones, by code
    visit_type_ids: dict[str, int]
    visit_types_by_id: dict[int, catalog.VisitType]  # all, for presenting older appointments
    rules: tuple[routing.RoutingRule, ...]
    providers: dict[int, catalog.Provider]  # active ones
    provider_names: dict[int, str]  # all
    rooms: dict[int, catalog.Room]  # all
    active_room_ids: frozenset[int]
    calendar: ClinicCalendar = field(default_factory=ClinicCalendar)

    def visit_type(self, code: str, *, field: str = "visit_type") -> catalog.VisitType:
        """Raises InvalidInput, naming ``field``, for a code the clinic does not offer."""
        try:
            return self.visit_types[code]
        except KeyError:
            raise InvalidInput(
                {field: f"There is no visit type '{code[:40]}'. See /api/v1/visit-types for the list."}
            ) from None

    def providers_of(self, specialty: str, provider_id: int | None = None) -> list[catalog.Provider]:
        return [
            p
            for p in self.providers.values()
            if p.specialty == specialty and (provider_id is None or p.id == provider_id)
        ]

    def rooms_of(self, kind: str | None) -> list[catalog.Room]:
        if not kind:
            return []
        return [r for r in self.rooms.values() if r.kind == kind and r.id in self.active_room_ids]


def current_catalog(now: datetime, catalog_revision: int | None = None) -> Catalog:
    """The catalog as of ``catalog_revision`` (read now when not given), from this process's cache.

    Loading happens after the revision was read, so a snapshot is never older than its key.
    """
    if catalog_revision is None:
        catalog_revision = revisions()[1]
    since = clinic_today(now) - timedelta(days=1)
    # A few entries: the current revision, and the one before while requests in flight finish.
    return app_cache("catalog", size=4).get_or_compute((catalog_revision, since), lambda: _load_catalog(since))


def _load_catalog(since: date) -> Catalog:
    specialties = db.session.execute(select(models.Specialty).order_by(models.Specialty.position)).scalars().all()
    visit_types = db.session.execute(select(models.VisitType).order_by(models.VisitType.position)).scalars().all()
    rules = db.session.execute(select(models.RoutingRule).order_by(models.RoutingRule.position)).scalars().all()
    providers = (
        db.session.execute(
            select(models.Provider).options(selectinload(models.Provider.hours)).order_by(models.Provider.id)
        )
        .scalars()
        .all()
    )
    time_off: dict[int, list[models.TimeOff]] = defaultdict(list)
    for t in db.session.execute(
        select(models.TimeOff).where(models.TimeOff.ends_at > clinic_instant(since, time()))
    ).scalars():
        time_off[t.provider_id].append(t)
    rooms = db.session.execute(select(models.Room).order_by(models.Room.id)).scalars().all()
    closures = db.session.execute(
        select(models.Closure).where(models.Closure.day >= since).order_by(models.Closure.day)
    ).scalars()
    return Catalog(
        specialties={s.code: s.to_domain() for s in specialties},
        specialty_ids={s.code: s.id for s in specialties},
        visit_types={v.code: v.to_domain() for v in visit_types if v.active},
        visit_type_ids={v.code: v.id for v in visit_types},
        visit_types_by_id={v.id: v.to_domain() for v in visit_types},
        rules=tuple(r.to_domain() for r in rules),
        providers={p.id: p.to_domain(time_off[p.id]) for p in providers if p.active},
        provider_names={p.id: p.name for p in providers},
        rooms={r.id: r.to_domain() for r in rooms},
        active_room_ids=frozenset(r.id for r in rooms if r.active),
        calendar=ClinicCalendar(clinic_hours(), tuple(c.to_domain() for c in closures)),
    )


def busy(resources: Iterable[str], window: Interval) -> dict[str, list[Interval]]:
    """Active reservations of ``resources`` that overlap ``window``, by resource key."""
    keys = list(resources)
    found: dict[str, list[Interval]] = defaultdict(list)
    if not keys:
        return found
    sql = driver()
    params: dict[str, object] = {f"key{i}": key for i, key in enumerate(keys)}
    params.update(starts_from=window.start - LONGEST_RESERVATION, window_end=window.end, window_start=window.start)
    for resource, starts_at, ends_at in sql.rows(_busy_statement(len(keys)), params):
        found[resource].append(Interval(sql.instant(starts_at), sql.instant(ends_at)))
    return found


@functools.cache
def _busy_statement(key_count: int) -> str:
    keys = ", ".join(f":key{i}" for i in range(key_count))
    return (
        "SELECT resource, starts_at, ends_at FROM reservation "
        f"WHERE resource IN ({keys}) AND active "
        "AND starts_at >= :starts_from AND starts_at < :window_end AND ends_at > :window_start"
    )


def day_window(first_day: date, days: int) -> Interval:
    """From Central midnight of ``first_day`` to Central midnight after the last day."""
    return Interval(clinic_instant(first_day, time()), clinic_instant(first_day + timedelta(days=days), time()))


def earliest_bookable(now: datetime) -> datetime:
    """The earliest start patients may book at ``now``, rounded up to the grid (same answers, and
    it stays the same for a quarter of an hour, so caches keyed by it stay useful)."""
    notice = timedelta(minutes=int(current_app.config["MIN_NOTICE_MINUTES"]))
    return ceil_to_grid(now + notice, clinic_hours().grid_minutes)


def revisions() -> tuple[int, int]:
    """(bookings, catalog) revision counters: any change to either bumps its counter."""
    values = counters(driver().rows("SELECT name, value FROM revision", {}))
    return values["bookings"], values["catalog"]


def counters(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The revision counters by name, from the revision table's (name, value) rows. A counter that
    concurrent transactions bump is kept in shards ("bookings:3", one per connection: migration
    0007) so that they do not queue on one row; it is the sum of its rows, which every bump raises."""
    totals: dict[str, int] = {}
    for name, value in rows:
        counter = name.partition(":")[0]
        totals[counter] = totals.get(counter, 0) + value
    return totals
