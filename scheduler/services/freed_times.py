"""Telling the waitlist that a time became free: a row written in the same unit of work as the
change that freed it (a cancellation, a move, an expired hold), so the worker offers it within
one pass and no freed time is lost if the worker is down meanwhile.

Call :func:`visit_freed` (or :func:`time_freed`, for a time freed by a schedule change: hours
extended, time off removed) inside the change's unit of work; never commits.
"""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import FreedCause
from scheduler.store import waitlist as store_waitlist


def time_freed(
    *, visit_type_id: int, provider_id: int, start: datetime, end: datetime, cause: FreedCause, now: datetime
) -> None:
    """Record that ``provider_id`` is free from ``start`` to ``end`` for a ``visit_type_id``
    visit (nothing for a time already begun)."""
    if start <= now:
        return
    store_waitlist.record_freed(
        visit_type_id=visit_type_id, provider_id=provider_id, start=start, end=end, cause=cause, now=now
    )


def visit_freed(visit: Visit, cause: FreedCause, now: datetime) -> None:
    """Record the time ``visit`` (as it was before the change) no longer takes."""
    time_freed(
        visit_type_id=visit.visit_type_id,
        provider_id=visit.provider.id,
        start=visit.starts_at,
        end=visit.ends_at,
        cause=cause,
        now=now,
    )
