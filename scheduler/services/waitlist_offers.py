"""Offering freed times to the waitlist: what the worker does every pass (``run_pass``).

A freed time (recorded by the change that freed it: services.freed_times) is matched against the
waiting entries of its visit type (domain.waitlist.fits), the first batch (domain.waitlist.batch)
is offered it, and the time is held for them by a hold like any other: its reservation rows take
the provider's and room's time under the same database guarantee, so nobody else can book it
while the batch decides. The offer's messages go into the outbox in the same unit of work. An
offer nobody claimed in time passes to the next batch; entries past their expiry end, and their
patients are asked to renew a week before.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from scheduler.delivery.sms import time_zone_for_number
from scheduler.domain import catalog
from scheduler.domain.bookings import check_visit_time
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.intervals import Interval
from scheduler.domain.messages import earliest_sms_time
from scheduler.domain.messages import on_entry_expiring
from scheduler.domain.messages import on_offered
from scheduler.domain.messages import sms_pacing_delay
from scheduler.domain.offer import Catalog
from scheduler.domain.slots import patient_resource
from scheduler.domain.waitlist import EXPIRING_NOTICE
from scheduler.domain.waitlist import OFFER_WINDOW
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedCause
from scheduler.domain.waitlist import FreedTime
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import WaitlistEntry
from scheduler.domain.waitlist import batch
from scheduler.domain.waitlist import sms_in_time
from scheduler.domain.waitlist import starts_within
from scheduler.domain.waitlist import why_not
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services import freed_times
from scheduler.services import outbox
from scheduler.services.placement import catalog_for_placing
from scheduler.services.placement import choose_place
from scheduler.services.references import claim_token
from scheduler.services.references import claim_token_hash
from scheduler.services.references import new_nonce
from scheduler.settings import settings
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store import patients as store_patients
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# How long a handled freed time is kept (for staff and the figures of bench/: freed -> offered).
FREED_KEPT = timedelta(days=7)
# How many freed times, lapsed offers or entries one pass takes in each step (the rest next pass).
PASS_LIMIT = 50


def visit_type_notice(visit_type: catalog.VisitType) -> timedelta:
    """The least time between an offer and the visit: the visit type's own, or the clinic's booking notice."""
    if visit_type.waitlist_notice is not None:
        return visit_type.waitlist_notice
    return timedelta(minutes=settings().min_notice_minutes)


@dataclass(frozen=True)
class Offered:
    """What became of one freed time: the offer made (None: nobody fits, or it is no longer free)
    and why not when none was."""

    offer_id: int | None
    entry_ids: tuple[int, ...] = ()
    reason: str = ""


def offer_freed_time(freed: FreedTime, *, now: datetime | None = None) -> Offered:
    """Offer ``freed`` to the first batch of waiting entries it fits, holding it for them, in a
    unit of work (the caller's, when one is open). Entries already offered this very time are
    left out (an expired offer passes to the *next* batch), as are patients busy then."""
    now = now or utc_now()
    with unit_of_work():
        offer = catalog_for_placing(now)
        visit_type = offer.visit_types.get(freed.visit_type)
        provider = offer.providers.get(freed.provider_id)
        if visit_type is None or provider is None:
            return Offered(None, reason="the visit type or provider no longer takes bookings")
        rows = store_waitlist.waiting_rows(offer.visit_type_ids[visit_type.code], now)
        return _offer_at(offer, visit_type, provider, freed, rows, set(), now)


def offer_freed_span(freed: FreedTime, *, now: datetime | None = None, limit: int = PASS_LIMIT) -> list[Offered]:
    """Offer the visits a longer freed span can hold (time off removed, a closure lifted): from its
    earliest start on the grid, each start that fits someone waiting is offered to a batch and
    held, and the next is looked for after it; an entry is offered at most one time of the span.
    In a unit of work (the caller's, when open). The offers made (at most ``limit``)."""
    now = now or utc_now()
    made: list[Offered] = []
    with unit_of_work():
        offer = catalog_for_placing(now)
        visit_type = offer.visit_types.get(freed.visit_type)
        provider = offer.providers.get(freed.provider_id)
        if visit_type is None or provider is None or not provider.does(visit_type.code):
            return made
        rows = store_waitlist.waiting_rows(offer.visit_type_ids[visit_type.code], now)
        if not rows:
            return made
        length = timedelta(minutes=visit_type.minutes)
        offered: set[int] = set()
        free_from = freed.start
        for start in starts_within(max(freed.start, now), freed.end, visit_type.minutes, offer.calendar):
            if start < free_from:
                continue
            piece = FreedTime(freed.visit_type, provider.id, start, start + length)
            one = _offer_at(offer, visit_type, provider, piece, rows, offered, now)
            if one.offer_id is not None:
                made.append(one)
                offered.update(one.entry_ids)
                free_from = start + length
                if len(made) >= limit:
                    break
    return made


def _offer_at(
    offer: Catalog,
    visit_type: catalog.VisitType,
    provider: catalog.Provider,
    freed: FreedTime,
    rows: list[models.WaitlistEntry],
    left_out: set[int],
    now: datetime,
) -> Offered:
    """Offer ``freed`` to the first batch of ``rows`` it fits (but the entries ``left_out``)."""
    notice = visit_type_notice(visit_type)
    already = store_waitlist.offered_this_time(provider.id, freed.start) | left_out
    entries = [store_waitlist.as_entry(row) for row in rows if row.id not in already]
    fitting = [e for e in entries if why_not(e, freed, provider, notice, offer.calendar, now) is None]
    fitting = _not_busy(fitting, freed)
    counts = store_waitlist.offers_since({e.patient_id for e in fitting}, now - OFFER_WINDOW)
    chosen = batch(fitting, visit_type.waitlist_batch, counts)
    if not chosen:
        return Offered(None, reason="nobody waiting fits this time")
    try:
        with unit_of_work():  # a savepoint: a time taken meanwhile leaves nothing behind
            return _make_offer(offer, visit_type, provider, freed, chosen, {r.id: r for r in rows}, now)
    except DomainError as refusal:
        return Offered(None, reason=f"the time is no longer free ({refusal.code})")


def _not_busy(entries: list[WaitlistEntry], freed: FreedTime) -> list[WaitlistEntry]:
    """The entries whose patient has no other visit (or hold) at the freed time."""
    if not entries:
        return []
    keys = [patient_resource(e.patient_id) for e in entries]
    busy = clinic.busy(keys, Interval(freed.start, freed.end))
    return [e for e in entries if not busy.get(patient_resource(e.patient_id))]


def _make_offer(
    offer: Catalog,
    visit_type: catalog.VisitType,
    provider: catalog.Provider,
    freed: FreedTime,
    chosen: list[WaitlistEntry],
    rows: dict[int, models.WaitlistEntry],
    now: datetime,
) -> Offered:
    """Hold the time for the batch, write the offer and its recipients, queue their messages and
    audit each offer. Raises SlotTaken (and the time refusals) when the time cannot be held."""
    visit = check_visit_time(freed.start, visit_type, offer.calendar, now=now, not_before=now)
    place = choose_place(offer, visit_type, visit, provider.specialty, provider_id=provider.id, now=now)
    expires_at = now + timedelta(minutes=visit_type.waitlist_hold_minutes)
    hold_id = store_bookings.insert_hold(
        token=secrets.token_urlsafe(32),
        visit_type_id=offer.visit_type_ids[visit_type.code],
        provider_id=provider.id,
        room_id=place.room.id if place.room else None,
        start=visit.start,
        end=visit.end,
        expires_at=expires_at,
        channel=store_waitlist.OFFER_HOLD_CHANNEL,
        now=now,
    )
    store_bookings.reserve(place.times(visit), hold_id=hold_id)
    made = store_waitlist.add_offer(
        models.WaitlistOffer(
            visit_type_id=offer.visit_type_ids[visit_type.code],
            provider_id=provider.id,
            starts_at=visit.start,
            ends_at=visit.end,
            hold_id=hold_id,
            status=OfferStatus.OPEN,
            created_at=now,
            expires_at=expires_at,
        )
    )
    for entry in chosen:
        nonce = new_nonce()
        store_waitlist.add_recipient(
            models.WaitlistRecipient(
                offer_id=made.id,
                entry_id=entry.id,
                patient_id=entry.patient_id,
                nonce=nonce,
                token_hash=claim_token_hash(claim_token(nonce)),
                outcome=RecipientOutcome.OFFERED,
                offered_at=now,
            )
        )
        patient = store_patients.patient(entry.patient_id)
        assert patient is not None  # an entry's patient is never deleted (foreign key)
        reach = outbox.reach(patient)
        in_time = reach.sms and patient.phone is not None and _text_in_time(patient.phone, now, expires_at)
        planned = on_offered(reach, now, text_in_time=in_time)
        outbox.queue_waitlist(planned, entry_id=entry.id, offer_id=made.id)
        audit.record(
            "waitlist_offer_sent",
            actor_kind="system",
            actor_id=None,
            record_type="waitlist_offer",
            record_id=made.id,
            patient_id=entry.patient_id,
            channel="system",
            detail=f"entry {rows[entry.id].reference}; by {', '.join(p.channel for p in planned) or 'no channel'}",
            at=now,
        )
    return Offered(made.id, tuple(e.id for e in chosen))


def _text_in_time(phone: str, now: datetime, expires_at: datetime) -> bool:
    """Whether a text to ``phone`` could go before ``expires_at``: not in the night where the
    patient is (quiet hours), and within the texting pace (one a day, three a week)."""
    earliest = earliest_sms_time(now, time_zone_for_number(phone))
    paced = sms_pacing_delay(store_waitlist.texts_since(phone, now - timedelta(days=7), now), now)
    if paced is not None:
        earliest = max(earliest, paced)
    return sms_in_time(earliest, expires_at)


def offer_waiting_times(now: datetime | None = None, *, limit: int = PASS_LIMIT) -> Counter[str]:
    """Take the unhandled freed times (oldest first) and offer each: one unit of work per freed
    time, so one that fails leaves the others offered. Counts offers made and times left unoffered."""
    now = now or utc_now()
    counts: Counter[str] = Counter()
    for _ in range(limit):
        freed_id: int | None = None
        try:
            with unit_of_work():
                found = store_waitlist.claim_freed(now, 1)
                if not found:
                    break
                freed = found[0]
                freed_id = freed.id
                offer = clinic.current_catalog(now)
                kind = offer.visit_types_by_id[freed.visit_type_id]
                time_freed = FreedTime(kind.code, freed.provider_id, freed.starts_at, freed.ends_at)
                if freed.ends_at - freed.starts_at > timedelta(minutes=kind.minutes):
                    spans = offer_freed_span(time_freed, now=now)
                    made = spans[0] if spans else Offered(None)
                    counts["offered"] += max(len(spans) - 1, 0)
                else:
                    made = offer_freed_time(time_freed, now=now)
        except Exception as error:
            if freed_id is None:
                raise
            # A bug with this one freed time must not stop every later one being offered: it is
            # set aside (handled, and logged by its id and the error's type only: no PHI).
            log.error("freed time %s: offering it failed (%s)", freed_id, type(error).__name__)
            with unit_of_work():
                store_waitlist.set_aside(freed_id, now)
            counts["failed"] += 1
            continue
        counts["offered" if made.offer_id is not None else "not_offered"] += 1
    return counts


def expire_offers(now: datetime | None = None, *, limit: int = PASS_LIMIT) -> int:
    """End the open offers whose hold ran out: their recipients' offers expire (they keep their
    place), the hold goes, and the time is recorded as freed again, so the next pass offers it to
    the next batch. How many offers expired."""
    now = now or utc_now()
    with unit_of_work():
        lapsed = store_waitlist.lapsed_offers(now, limit)
        for offer in lapsed:
            offer.status = OfferStatus.EXPIRED
            offer.ended_at = now
            store_waitlist.set_outcomes(offer.id, RecipientOutcome.EXPIRED)
            if offer.hold_id is not None:
                store_bookings.drop_hold(hold_id=offer.hold_id)
                offer.hold_id = None
            audit.record(
                "waitlist_offer_expired",
                actor_kind="system",
                actor_id=None,
                record_type="waitlist_offer",
                record_id=offer.id,
                channel="system",
                detail="unclaimed: passed to the next batch",
                at=now,
            )
            freed_times.time_freed(
                visit_type_id=offer.visit_type_id,
                provider_id=offer.provider_id,
                start=offer.starts_at,
                end=offer.ends_at,
                cause=FreedCause.OFFER_EXPIRED,
                now=now,
            )
    return len(lapsed)


def expire_entries(now: datetime | None = None, *, limit: int = PASS_LIMIT) -> Counter[str]:
    """End entries past their expiry, and those whose replaced visit was cancelled; ask the
    patients whose entries expire within a week to renew (once per renewal). Counts each."""
    now = now or utc_now()
    counts: Counter[str] = Counter()
    with unit_of_work():
        for row in store_waitlist.lapsed_entries(now, limit):
            if store_waitlist.end_entry(row.id, EntryStatus.EXPIRED, now):
                counts["expired"] += 1
                _ended_by_system("waitlist_entry_expired", row, now)
        for row in store_waitlist.orphaned_entries(limit):
            # The visit it would replace was cancelled: the patient wanted that visit earlier, not
            # a new one, so the entry ends with it (they can join again).
            if store_waitlist.end_entry(row.id, EntryStatus.LEFT, now):
                counts["ended"] += 1
                _ended_by_system("waitlist_entry_ended", row, now, "the visit it would replace is no longer booked")
        for row in store_waitlist.entries_expiring(now, now + EXPIRING_NOTICE, limit):
            patient = store_patients.patient(row.patient_id)
            assert patient is not None
            planned = on_entry_expiring(outbox.reach(patient), now)
            outbox.queue_waitlist(planned, entry_id=row.id, version=row.version)
            counts["expiring"] += 1
    return counts


def _ended_by_system(action: str, row: models.WaitlistEntry, now: datetime, detail: str = "") -> None:
    audit.record(
        action,
        actor_kind="system",
        actor_id=None,
        record_type="waitlist_entry",
        record_id=row.reference,
        patient_id=row.patient_id,
        channel="system",
        detail=detail,
        at=now,
    )


def run_pass(now: datetime | None = None) -> Counter[str]:
    """One pass of the worker's waitlist job: lapsed offers first (their times freed again), then
    every freed time waiting, then the entries' expiry. Counts what was done."""
    now = now or utc_now()
    counts: Counter[str] = Counter()
    counts["offers_expired"] += expire_offers(now)
    counts.update(offer_waiting_times(now))
    counts.update(expire_entries(now))
    with unit_of_work():
        store_waitlist.forget_handled_freed(now - FREED_KEPT)
    return +counts
