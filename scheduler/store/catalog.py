"""The clinic's catalog, its revision counters and the reservations that make time busy."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler.domain.clock import clinic_instant
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.hours import ClinicHours
from scheduler.domain.intervals import Interval
from scheduler.domain.intervals import new_interval
from scheduler.domain.offer import Catalog
from scheduler.store import clinic_details as store_clinic_details
from scheduler.store import models
from scheduler.store.driver import reading
from scheduler.store.engine import db

# No visit spans more than one clinic day, so a reservation overlapping a window starts at most
# this long before it. Bounding the start both ways keeps the (resource, starts_at) index range
# small however many years of history the table holds.
LONGEST_RESERVATION = timedelta(days=1)


def load_catalog(since: date, hours: ClinicHours) -> Catalog:
    """Everything the clinic offers, with time off and closures from ``since`` on."""
    specialties = db.session.execute(select(models.Specialty).order_by(models.Specialty.position)).scalars().all()
    visit_types = db.session.execute(select(models.VisitType).order_by(models.VisitType.position)).scalars().all()
    rules = db.session.execute(select(models.RoutingRule).order_by(models.RoutingRule.position)).scalars().all()
    providers = (
        db.session.execute(
            select(models.Provider)
            .options(
                selectinload(models.Provider.hours),
                selectinload(models.Provider.visit_types),
                selectinload(models.Provider.urgent_blocks),
            )
            .order_by(models.Provider.id)
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
        provider_kinds={p.id: p.kind for p in providers},
        rooms={r.id: r.to_domain() for r in rooms},
        active_room_ids=frozenset(r.id for r in rooms if r.active),
        calendar=ClinicCalendar(hours, tuple(c.to_domain() for c in closures)),
        provider_npis={p.id: p.npi for p in providers if p.npi},
        clinic_details=store_clinic_details.load(),
    )


def busy(resources: Iterable[str], window: Interval) -> dict[str, list[Interval]]:
    """Active reservations of ``resources`` that overlap ``window``, by resource key."""
    keys = list(resources)
    found: dict[str, list[Interval]] = defaultdict(list)
    if not keys:
        return found
    params: dict[str, object] = {f"key{i}": key for i, key in enumerate(keys)}
    params.update(starts_from=window.start - LONGEST_RESERVATION, window_end=window.end, window_start=window.start)
    with reading() as sql:
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


def revisions_and_busy(resources: Iterable[str], window: Interval) -> tuple[dict[str, int], dict[str, list[Interval]]]:
    """:func:`revisions` and :func:`busy` in one statement: one round trip instead of two, and both
    from one snapshot of the database, so the counters name exactly the reservations read."""
    keys = list(resources)
    params: dict[str, object] = {f"key{i}": key for i, key in enumerate(keys)}
    params.update(starts_from=window.start - LONGEST_RESERVATION, window_end=window.end, window_start=window.start)
    counted: list[tuple[str, int]] = []
    found: dict[str, list[Interval]] = defaultdict(list)
    with reading() as sql:
        instant = sql.instant
        for name, value, starts_at, ends_at in sql.rows(_revisions_and_busy_statement(len(keys)), params):
            if value is not None:
                counted.append((name, value))
            else:
                found[name].append(new_interval((instant(starts_at), instant(ends_at))))
    return counters(counted), found


@functools.cache
def _revisions_and_busy_statement(key_count: int) -> str:
    # A reservation row has no counter value, a revision row no times: NULL tells them apart.
    revision_rows = "SELECT name, value, NULL AS starts_at, NULL AS ends_at FROM revision"
    if not key_count:
        return revision_rows
    return f"{revision_rows} UNION ALL " + _busy_statement(key_count).replace(
        "SELECT resource,", "SELECT resource, NULL,", 1
    )


def revisions() -> dict[str, int]:
    """The revision counters by name ("bookings", "catalog"): any change bumps its counter."""
    with reading() as sql:
        return counters(sql.rows("SELECT name, value FROM revision", {}))


def counters(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The revision counters by name, from the revision table's (name, value) rows. A counter that
    concurrent transactions bump is kept in shards ("bookings:3", one per connection: migration
    0007) so that they do not queue on one row; it is the sum of its rows, which every bump raises."""
    totals: dict[str, int] = {}
    for name, value in rows:
        counter = name.partition(":")[0]
        totals[counter] = totals.get(counter, 0) + value
    return totals


def specialty_id(code: str) -> int | None:
    return db.session.execute(select(models.Specialty.id).where(models.Specialty.code == code)).scalar_one_or_none()


def provider_exists(provider_id: int) -> bool:
    return db.session.get(models.Provider, provider_id) is not None
