"""The clinic's catalog and calendars, loaded from the database as domain values.

The catalog (specialties, visit types, routing rules, providers with their hours and time off,
rooms, closures) changes rarely and is read by every request, so it is loaded once per catalog
revision: database triggers bump that counter with any change, by any process, so a snapshot is
exact for as long as its revision is current.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import current_app

from scheduler.domain.clock import ceil_to_grid
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.hours import ClinicHours
from scheduler.domain.intervals import Interval
from scheduler.domain.offer import Catalog
from scheduler.domain.slots import WorkingTime
from scheduler.services.memo import RevisionCache
from scheduler.services.memo import app_cache
from scheduler.settings import settings
from scheduler.store import catalog as store_catalog


def clinic_hours() -> ClinicHours:
    return ClinicHours()


def current_catalog(now: datetime, catalog_revision: int | None = None) -> Catalog:
    """The catalog as of ``catalog_revision`` (read now when not given), from this process's cache.

    Loading happens after the revision was read, so a snapshot is never older than its key.
    """
    if catalog_revision is None:
        catalog_revision = revisions()[1]
    since = clinic_today(now) - timedelta(days=1)
    # A few entries: the current revision, and the one before while requests in flight finish.
    snapshots: RevisionCache[Catalog] = app_cache("catalog", size=4)
    return snapshots.get_or_compute(
        (catalog_revision, since), lambda: store_catalog.load_catalog(since, clinic_hours())
    )


def working_time(offer: Catalog) -> WorkingTime:
    """What ``offer`` (a snapshot from :func:`current_catalog`) alone decides about each day's
    free time, kept in this process beside the snapshot: the same for every question made with it
    whatever the bookings, so worked out once per day and provider rather than on every call.
    Never stale: a snapshot is exact for its revision. Two are kept (the current snapshot, and the
    one before while requests in flight finish), each at most a few MB (WorkingTime's limit)."""
    kept: RevisionCache[tuple[Catalog, WorkingTime]] = app_cache("working-time", size=2)
    # Keyed by the snapshot's id, which cannot be reused while the entry holds the snapshot.
    found, working = kept.get_or_compute(id(offer), lambda: (offer, WorkingTime(offer.calendar)))
    return working if found is offer else WorkingTime(offer.calendar)


def day_window(first_day: date, days: int) -> Interval:
    """From Central midnight of ``first_day`` to Central midnight after the last day."""
    return Interval(clinic_instant(first_day, time()), clinic_instant(first_day + timedelta(days=days), time()))


def earliest_bookable(now: datetime) -> datetime:
    """The earliest start patients may book at ``now``, rounded up to the grid (same answers, and
    it stays the same for a quarter of an hour, so caches keyed by it stay useful)."""
    notice = timedelta(minutes=settings().min_notice_minutes)
    return ceil_to_grid(now + notice, clinic_hours().grid_minutes)


def revisions() -> tuple[int, int]:
    """(bookings, catalog) revision counters: any change to either bumps its counter."""
    return _seen(store_catalog.revisions())


def revisions_seen() -> tuple[int, int] | None:
    """The revision counters this process read last (None before it has read them): a guess at
    the current ones, to be checked against the database before anything is answered from it."""
    seen: tuple[int, int] | None = current_app.extensions.get(_REVISIONS_SEEN)
    return seen


def busy(resources: Iterable[str], window: Interval) -> dict[str, list[Interval]]:
    """Active reservations of ``resources`` that overlap ``window``, by resource key."""
    return store_catalog.busy(resources, window)


def revisions_and_busy(resources: Iterable[str], window: Interval) -> tuple[tuple[int, int], dict[str, list[Interval]]]:
    """:func:`revisions` and :func:`busy` read together, in one round trip and one snapshot."""
    values, found = store_catalog.revisions_and_busy(resources, window)
    return _seen(values), found


_REVISIONS_SEEN = "scheduler_revisions_seen"


def _seen(values: dict[str, int]) -> tuple[int, int]:
    read = values["bookings"], values["catalog"]
    current_app.extensions[_REVISIONS_SEEN] = read  # one reference replaced: safe between threads
    return read
