"""Telling the waitlist that a time became free: a row written in the same unit of work as the
change that freed it (a cancellation, a move, an expired hold), so the worker offers it within
one pass and no freed time is lost if the worker is down meanwhile.

Call :func:`visit_freed` (a visit's time), :func:`time_freed` (one visit's worth of a provider's
time) or :func:`span_freed` (a longer span: time off removed, a closure lifted, hours extended)
inside the change's unit of work; never commits.
"""

from __future__ import annotations

from datetime import datetime

from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import FreedCause
from scheduler.services import clinic
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


def span_freed(provider_id: int, start: datetime, end: datetime, cause: FreedCause, now: datetime) -> None:
    """Record that ``provider_id`` is free from ``start`` to ``end`` (time off removed, a closure
    lifted): one row for each visit type they perform, whose waiting entries the worker then offers
    the times the span can hold (services.waitlist_offers.offer_freed_span)."""
    start = max(start, now)
    if end <= start:
        return
    offer = clinic.current_catalog(now)
    provider = offer.providers.get(provider_id)
    if provider is None:
        return
    for code in sorted(provider.performs & offer.visit_types.keys()):
        store_waitlist.record_freed(
            visit_type_id=offer.visit_type_ids[code],
            provider_id=provider_id,
            start=start,
            end=end,
            cause=cause,
            now=now,
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
