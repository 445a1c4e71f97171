"""Holding a chosen time for someone while they finish booking it.

A hold takes the provider's and room's time with reservation rows, exactly as a booked visit does,
so the database refuses anyone else the time; the patient is not known yet, so their own time is
checked when the hold is turned into a booking. Holds expire (HOLD_MINUTES, default 10): expired
holds are purged inside every booking transaction and by the worker's job.

Holds cannot empty a day: a client (a patient's address, an integration) has at most a few live
holds at once (HOLDS_PER_CLIENT, HOLDS_PER_INTEGRATION), counted in the database; and it holds any
one time for HOLD_MINUTES in all, so holding it again (after it ran out, or to start the clock
again) does not renew it. Staff hold nothing and are not limited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import HoldNotRenewable
from scheduler.domain.errors import TooManyHolds
from scheduler.services import clinic
from scheduler.services.client_hash import address_hash
from scheduler.services.client_hash import client_hash
from scheduler.services.placement import catalog_for_placing
from scheduler.services.placement import choose_place
from scheduler.settings import settings
from scheduler.store import bookings as store_bookings
from scheduler.store import hold_limits
from scheduler.store import waitlist as store_waitlist
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


# How long a client's hold on a time is remembered after it began: until then, holding that time
# again keeps the first hold's expiry (and once that has passed, is refused).
REMEMBERED_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class HoldClient:
    """Who asks for a hold, for the limits: ``key`` (a keyed hash, never the address itself) and
    how many live holds it may have."""

    key: str
    limit: int

    @classmethod
    def at_address(cls, address: str | None) -> HoldClient:
        """A patient on the public pages, known only by their address."""
        return cls(address_hash(address, "hold"), settings().holds_per_client)

    @classmethod
    def integration(cls, client_id: int) -> HoldClient:
        """An outside system with its API token (FHIR $hold)."""
        return cls(client_hash("integration", str(client_id), "hold"), settings().holds_per_integration)


def hold_time(
    visit_type_code: str,
    start: datetime,
    *,
    specialty: str | None = None,
    provider_id: int | None = None,
    channel: str = "web",
    replaces: str | None = None,
    client: HoldClient | None = None,
    now: datetime | None = None,
) -> HeldTime:
    """Hold ``start`` for a ``visit_type_code`` visit (with ``provider_id`` if given) and commit.

    ``replaces``: the token of the holder's previous hold, released in the same transaction (a
    patient who changes their mind holds one time, not two). ``client``: who asks, held to the
    limits (None: not limited). Raises InvalidInput, BeyondHorizon, OutsideClinicHours,
    ClinicClosed, NotOnGrid or SlotTaken (with ``next_open`` left to the caller), TooManyHolds
    or HoldNotRenewable.
    """
    now = now or utc_now()
    with unit_of_work():
        offer = catalog_for_placing(now)
        if replaces:
            store_waitlist.record_released_hold(replaces, now)  # the time it kept is free again
            store_bookings.drop_hold(token=replaces)
        visit_type = offer.visit_type(visit_type_code)
        visit = check_visit_time(start, visit_type, offer.calendar, now=now, not_before=clinic.earliest_bookable(now))
        place = choose_place(
            offer, visit_type, visit, specialty or visit_type.specialty, provider_id=provider_id, now=now
        )
        token = secrets.token_urlsafe(32)
        expires_at = now + timedelta(minutes=hold_minutes())
        if client is not None:
            expires_at = _within_limits(client, visit.start, now, expires_at)
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
            client_key=client.key if client else None,
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


def _within_limits(client: HoldClient, start: datetime, now: datetime, expires_at: datetime) -> datetime:
    """When a new hold of ``client`` on ``start`` expires, or a refusal: TooManyHolds when it has
    its limit of live holds already (its replaced hold no longer counts), HoldNotRenewable when it
    held this time before and that hold's time is up. Inside the hold's unit of work."""
    hold_limits.lock_client(client.key)
    first = hold_limits.first_held(client.key, start, now)
    if first is not None:
        expires_at = first + timedelta(minutes=hold_minutes())
        if expires_at <= now:
            raise HoldNotRenewable(
                f"This time was already kept for you for {hold_minutes()} minutes, and a time is kept only once. "
                "Choose another time, or call the clinic to book this one."
            )
    if hold_limits.live_holds(client.key, now) >= client.limit:
        raise TooManyHolds(
            f"You are already holding {client.limit} times, as many as we keep at once for one person or system. "
            f"Finish booking, or wait until they are released (within {hold_minutes()} minutes), then choose again."
        )
    if first is None:
        hold_limits.remember_held(client.key, start, now, forget_at=now + REMEMBERED_FOR)
    return expires_at


def find_hold(token: str | None, now: datetime) -> store_bookings.HeldSlot | None:
    """The unexpired hold ``token`` names, if any (inside the caller's unit of work)."""
    return store_bookings.unexpired_hold(token, now) if token else None


def release_expired_holds(now: datetime | None = None) -> int:
    """The worker's job: free the time of every expired hold (and forget the times clients held a
    day ago); returns how many holds went."""
    now = now or utc_now()
    with unit_of_work():
        hold_limits.forget_history(now)
        return store_bookings.purge_expired_holds(now)
