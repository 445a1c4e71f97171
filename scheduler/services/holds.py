"""Holding a chosen time for someone while they finish booking it.

A hold takes the provider's and room's time with reservation rows, exactly as a booked visit does,
so the database refuses anyone else the time; the patient is not known yet, so their own time is
checked when the hold is turned into a booking. Holds expire (HOLD_MINUTES, default 10): expired
holds are purged inside every booking transaction and by the worker's job.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.services import clinic
from scheduler.services.placement import catalog_for_placing
from scheduler.services.placement import choose_place
from scheduler.settings import settings
from scheduler.store import bookings as store_bookings
from scheduler.store.unit_of_work import unit_of_work


@dataclass(frozen=True)
class HeldTime:
    token: str
    visit_type_code: str
    starts_at: datetime
    ends_at: datetime
    provider_id: int
    provider_name: str
    provider_kind: str
    room_name: str | None
    expires_at: datetime


def hold_minutes() -> int:
    return settings().hold_minutes


def hold_time(
    visit_type_code: str,
    start: datetime,
    *,
    specialty: str | None = None,
    provider_id: int | None = None,
    channel: str = "web",
    replaces: str | None = None,
    now: datetime | None = None,
) -> HeldTime:
    """Hold ``start`` for a ``visit_type_code`` visit (with ``provider_id`` if given) and commit.

    ``replaces``: the token of the holder's previous hold, released in the same transaction (a
    patient who changes their mind holds one time, not two). Raises InvalidInput,
    OutsideClinicHours, ClinicClosed, NotOnGrid or SlotTaken (with ``next_open`` left to the caller).
    """
    now = now or utc_now()
    with unit_of_work():
        offer = catalog_for_placing(now)
        if replaces:
            store_bookings.drop_hold(token=replaces)
        visit_type = offer.visit_type(visit_type_code)
        visit = check_visit_time(start, visit_type, offer.calendar, now=now, not_before=clinic.earliest_bookable(now))
        place = choose_place(
            offer, visit_type, visit, specialty or visit_type.specialty, provider_id=provider_id, now=now
        )
        token = secrets.token_urlsafe(32)
        expires_at = now + timedelta(minutes=hold_minutes())
        hold_id = store_bookings.insert_hold(
            token=token,
            visit_type_id=offer.visit_type_ids[visit_type.code],
            provider_id=place.provider.id,
            room_id=place.room.id if place.room else None,
            start=visit.start,
            end=visit.end,
            expires_at=expires_at,
            channel=channel,
            now=now,
        )
        store_bookings.reserve(place.times(visit), hold_id=hold_id)
    return HeldTime(
        token=token,
        visit_type_code=visit_type.code,
        starts_at=visit.start,
        ends_at=visit.end,
        provider_id=place.provider.id,
        provider_name=place.provider.name,
        provider_kind=place.provider.kind,
        room_name=place.room.name if place.room else None,
        expires_at=expires_at,
    )


def find_hold(token: str | None, now: datetime) -> store_bookings.HeldSlot | None:
    """The unexpired hold ``token`` names, if any (inside the caller's unit of work)."""
    return store_bookings.unexpired_hold(token, now) if token else None


def release_expired_holds(now: datetime | None = None) -> int:
    """The worker's job: free the time of every expired hold; returns how many went."""
    with unit_of_work():
        return store_bookings.purge_expired_holds(now or utc_now())
