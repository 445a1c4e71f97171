"""The waitlist's rows: entries, freed times, offers and their recipients, read back as domain
values where the rules need them. Every function runs inside the caller's unit of work (or, for
reads, its read transaction); none commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.messages import Reachable
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedCause
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import PartOfDay
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import WaitlistEntry
from scheduler.domain.waitlist import Windows
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.outbox import texts_counting_to_pace

# The channel of the holds that keep a freed time for a waitlist batch: their expiry is the
# offer's, handled by the offer's own job, so it is never recorded as a freed time of its own.
OFFER_HOLD_CHANNEL = "waitlist"


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# ----- entries -----------------------------------------------------------------------------------


def add_entry(entry: models.WaitlistEntry) -> models.WaitlistEntry:
    """Save a new entry (flushed, so it has its id)."""
    db.session.add(entry)
    db.session.flush()
    return entry


def entry_by_reference(reference: str) -> models.WaitlistEntry | None:
    return db.session.execute(
        select(models.WaitlistEntry)
        .options(selectinload(models.WaitlistEntry.patient))
        .where(models.WaitlistEntry.reference == reference[:20])
    ).scalar_one_or_none()


def entry_row(entry_id: int) -> models.WaitlistEntry | None:
    return db.session.get(models.WaitlistEntry, entry_id)


def waiting_entry_of(patient_id: int, visit_type_id: int, now: datetime) -> models.WaitlistEntry | None:
    """The patient's waiting, unexpired entry for the visit type, if any."""
    e = models.WaitlistEntry
    return db.session.execute(
        select(e)
        .where(e.patient_id == patient_id, e.visit_type_id == visit_type_id, e.status == EntryStatus.WAITING)
        .where(e.expires_at > now)
        .limit(1)
    ).scalar_one_or_none()


def as_entry(row: models.WaitlistEntry, reach: Reachable | None = None) -> WaitlistEntry:
    """The entry as the rules read it (the replaced visit's start from its row, when it still counts)."""
    replaced = row.replaces
    still_booked = replaced is not None and replaced.status == AppointmentStatus.BOOKED
    return WaitlistEntry(
        id=row.id,
        reference=row.reference,
        patient_id=row.patient_id,
        visit_type=row.visit_type.code,
        windows=Windows(
            row.earliest,
            row.latest,
            frozenset(int(d) for d in row.weekdays or ()),
            frozenset(PartOfDay(p) for p in row.parts_of_day or ()),
        ),
        created_at=row.created_at,
        expires_at=row.expires_at,
        provider_ids=frozenset(int(p) for p in row.provider_ids or ()),
        # A replaced visit no longer booked (cancelled since): no time is "earlier" than it, so the
        # entry fits nothing (services.waitlist_offers ends such entries).
        replaces_appointment_id=row.replaces_appointment_id,
        replaces_starts_at=replaced.starts_at if replaced is not None and still_booked else None,
        priority=row.priority,
        reach=reach
        or Reachable(email=bool(row.patient.email), sms=bool(row.patient.sms_consent and row.patient.phone)),
        status=row.status,
    )


def waiting_rows(visit_type_id: int, now: datetime) -> list[models.WaitlistEntry]:
    """Waiting, unexpired entries for the visit type, oldest first, with their patients and replaced visits."""
    e = models.WaitlistEntry
    return list(
        db.session.execute(
            select(e)
            .options(selectinload(e.patient), selectinload(e.replaces))
            .where(e.visit_type_id == visit_type_id, e.status == EntryStatus.WAITING, e.expires_at > now)
            .order_by(e.created_at, e.id)
        ).scalars()
    )


def waiting_rows_of_specialty(specialty_id: int, now: datetime) -> list[models.WaitlistEntry]:
    e, v = models.WaitlistEntry, models.VisitType
    return list(
        db.session.execute(
            select(e)
            .join(v, v.id == e.visit_type_id)
            .options(selectinload(e.patient), selectinload(e.replaces))
            .where(v.specialty_id == specialty_id, e.status == EntryStatus.WAITING, e.expires_at > now)
            .order_by(e.priority.desc(), e.created_at, e.id)
        ).scalars()
    )


def waiting_rows_of_visit_types(visit_type_ids: Iterable[int], now: datetime) -> list[models.WaitlistEntry]:
    """Waiting, unexpired entries for any of the visit types, oldest first (one query for a page
    that counts who fits many times)."""
    e = models.WaitlistEntry
    ids = list(visit_type_ids)
    if not ids:
        return []
    return list(
        db.session.execute(
            select(e)
            .options(selectinload(e.patient), selectinload(e.replaces))
            .where(e.visit_type_id.in_(ids), e.status == EntryStatus.WAITING, e.expires_at > now)
            .order_by(e.created_at, e.id)
        ).scalars()
    )


def waiting_counts_by_specialty(now: datetime) -> dict[int, tuple[int, int]]:
    """(waiting, of them urgent) by specialty id, for the waitlist page's tabs (absent: none)."""
    e, v = models.WaitlistEntry, models.VisitType
    urgent = func.sum(case((e.priority == Priority.URGENT, 1), else_=0))
    rows = db.session.execute(
        select(v.specialty_id, func.count(), urgent)
        .join(v, v.id == e.visit_type_id)
        .where(e.status == EntryStatus.WAITING, e.expires_at > now)
        .group_by(v.specialty_id)
    )
    return {specialty_id: (int(total), int(of_them or 0)) for specialty_id, total, of_them in rows}


def end_entry(entry_id: int, status: EntryStatus, now: datetime) -> bool:
    """End a waiting entry (booked, left, expired); False if it was not waiting any more."""
    e = models.WaitlistEntry
    result = db.session.execute(
        update(e)
        .where(e.id == entry_id, e.status == EntryStatus.WAITING)
        .values(status=status, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def renew_entry(entry_id: int, expires_at: datetime) -> None:
    e = models.WaitlistEntry
    db.session.execute(
        update(e)
        .where(e.id == entry_id)
        .values(expires_at=expires_at, version=e.version + 1)
        .execution_options(synchronize_session=False)
    )


def lapsed_entries(now: datetime, limit: int) -> list[models.WaitlistEntry]:
    """Waiting entries whose expiry has passed."""
    e = models.WaitlistEntry
    query = select(e).where(e.status == EntryStatus.WAITING, e.expires_at <= now).order_by(e.id).limit(limit)
    if _postgresql():
        query = query.with_for_update(skip_locked=True, of=e)  # not the visit type loaded with it
    return list(db.session.execute(query).scalars())


def orphaned_entries(limit: int) -> list[models.WaitlistEntry]:
    """Waiting entries whose replaced visit is no longer booked (cancelled, or marked in error)."""
    e, a = models.WaitlistEntry, models.Appointment
    query = (
        select(e)
        .join(a, a.id == e.replaces_appointment_id)
        .where(e.status == EntryStatus.WAITING, a.status != AppointmentStatus.BOOKED)
        .order_by(e.id)
        .limit(limit)
    )
    if _postgresql():
        query = query.with_for_update(skip_locked=True, of=e)
    return list(db.session.execute(query).scalars())


def entries_expiring(now: datetime, until: datetime, limit: int) -> list[models.WaitlistEntry]:
    """Waiting entries that expire before ``until`` and have not been told of it for their
    current version (no waitlist-expiring message of that version queued)."""
    e, m = models.WaitlistEntry, models.OutboxMessage
    told = (
        select(m.id).where(m.waitlist_entry_id == e.id, m.kind == "waitlist-expiring", m.version == e.version).exists()
    )
    query = (
        select(e)
        .options(selectinload(e.patient))
        .where(e.status == EntryStatus.WAITING, e.expires_at > now, e.expires_at <= until, ~told)
        .order_by(e.id)
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def set_visit_type_rules(code: str, *, notice_minutes: int | None, batch_size: int, hold_minutes: int) -> bool:
    """Give a visit type its waitlist rules; False when there is no such visit type."""
    v = models.VisitType
    result = db.session.execute(
        update(v)
        .where(v.code == code[:40])
        .values(
            waitlist_notice_minutes=notice_minutes, waitlist_batch_size=batch_size, waitlist_hold_minutes=hold_minutes
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


# ----- freed times ---------------------------------------------------------------------------------


def record_freed(
    *, visit_type_id: int, provider_id: int, start: datetime, end: datetime, cause: FreedCause, now: datetime
) -> None:
    db.session.execute(
        insert(models.FreedTimeRow).values(
            visit_type_id=visit_type_id,
            provider_id=provider_id,
            starts_at=start,
            ends_at=end,
            cause=cause,
            created_at=now,
        )
    )


def record_expiring_holds(now: datetime) -> None:
    """Freed-time rows for the holds about to be purged at ``now`` (expired, for a time still to
    come), but the holds of waitlist offers (their offer's expiry is handled on its own)."""
    _record_holds(models.Hold.expires_at <= now, FreedCause.HOLD_EXPIRED, now)


def record_released_hold(token: str, now: datetime) -> None:
    """A freed-time row for the hold ``token`` names, about to be released unused (its holder
    chose another time)."""
    _record_holds(models.Hold.token == token[:64], FreedCause.HOLD_EXPIRED, now)


def _record_holds(which: Any, cause: FreedCause, now: datetime) -> None:
    h, f = models.Hold, models.FreedTimeRow
    expiring = select(
        h.visit_type_id,
        h.provider_id,
        h.starts_at,
        h.ends_at,
        literal(cause.value),
        literal(now, type_=f.created_at.type),
    ).where(which, h.starts_at > now, h.channel != OFFER_HOLD_CHANNEL)
    db.session.execute(
        insert(f).from_select(["visit_type_id", "provider_id", "starts_at", "ends_at", "cause", "created_at"], expiring)
    )


@dataclass(frozen=True)
class Freed:
    id: int
    visit_type_id: int
    provider_id: int
    starts_at: datetime
    ends_at: datetime
    cause: FreedCause


def claim_freed(now: datetime, limit: int) -> list[Freed]:
    """Up to ``limit`` unhandled freed times, oldest first, marked handled at ``now``. On
    PostgreSQL rows another worker has claimed are skipped, not waited for."""
    f = models.FreedTimeRow
    query = (
        select(f.id, f.visit_type_id, f.provider_id, f.starts_at, f.ends_at, f.cause)
        .where(f.handled_at.is_(None))
        .order_by(f.created_at, f.id)
        .limit(limit)
    )
    if _postgresql():
        query = query.with_for_update(skip_locked=True)
    found = [Freed(*row) for row in db.session.execute(query)]
    if found:
        db.session.execute(update(f).where(f.id.in_([x.id for x in found])).values(handled_at=now))
    return found


def time_off_span(time_off_id: int) -> tuple[int, datetime, datetime] | None:
    """(provider, start, end) of a time off, read before it is removed."""
    t = models.TimeOff
    found = db.session.execute(select(t.provider_id, t.starts_at, t.ends_at).where(t.id == time_off_id)).first()
    return None if found is None else (found[0], found[1], found[2])


def set_aside(freed_id: int, now: datetime) -> None:
    """Mark one freed time handled without an offer (offering it failed)."""
    f = models.FreedTimeRow
    db.session.execute(update(f).where(f.id == freed_id).values(handled_at=now))


def forget_handled_freed(before: datetime) -> int:
    """Delete freed times handled before ``before`` (their offers keep what matters); how many."""
    f = models.FreedTimeRow
    result = db.session.execute(delete(f).where(f.handled_at.is_not(None), f.handled_at < before))
    return cast(CursorResult[Any], result).rowcount


def unhandled_freed() -> int:
    f = models.FreedTimeRow
    return int(db.session.execute(select(func.count()).where(f.handled_at.is_(None))).scalar_one())


# ----- offers ----------------------------------------------------------------------------------------


def add_offer(offer: models.WaitlistOffer) -> models.WaitlistOffer:
    db.session.add(offer)
    db.session.flush()
    return offer


def add_recipient(recipient: models.WaitlistRecipient) -> models.WaitlistRecipient:
    db.session.add(recipient)
    db.session.flush()
    return recipient


def offers_since(patient_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """How many offers each patient has had since ``since``, by patient id (absent: none)."""
    r = models.WaitlistRecipient
    ids = list(patient_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(r.patient_id, func.count()).where(r.patient_id.in_(ids), r.offered_at > since).group_by(r.patient_id)
    )
    return {patient_id: count for patient_id, count in rows}


def offered_this_time(provider_id: int, starts_at: datetime) -> set[int]:
    """The entries any offer of this provider's time at ``starts_at`` already went to."""
    o, r = models.WaitlistOffer, models.WaitlistRecipient
    rows = db.session.execute(
        select(r.entry_id).join(o, o.id == r.offer_id).where(o.provider_id == provider_id, o.starts_at == starts_at)
    )
    return {entry_id for (entry_id,) in rows}


def recipient_by_token_hash(token_hash: str) -> models.WaitlistRecipient | None:
    r = models.WaitlistRecipient
    return db.session.execute(select(r).where(r.token_hash == token_hash[:64])).scalar_one_or_none()


def recipient_of(offer_id: int, entry_id: int) -> models.WaitlistRecipient | None:
    r = models.WaitlistRecipient
    return db.session.execute(select(r).where(r.offer_id == offer_id, r.entry_id == entry_id)).scalar_one_or_none()


def recipients(offer_id: int) -> list[models.WaitlistRecipient]:
    r = models.WaitlistRecipient
    return list(db.session.execute(select(r).where(r.offer_id == offer_id).order_by(r.id)).scalars())


def lock_offer(offer_id: int) -> models.WaitlistOffer | None:
    """The offer, locked until the unit of work ends (PostgreSQL: a second claimant waits here and
    then reads the first one's outcome; SQLite's write lock already serialises claims)."""
    o = models.WaitlistOffer
    return db.session.execute(
        select(o).where(o.id == offer_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def offer_row(offer_id: int) -> models.WaitlistOffer | None:
    return db.session.get(models.WaitlistOffer, offer_id)


def lapsed_offers(now: datetime, limit: int) -> list[models.WaitlistOffer]:
    """Open offers whose hold has run out, locked (PostgreSQL: skipping those another worker has)."""
    o = models.WaitlistOffer
    query = select(o).where(o.status == OfferStatus.OPEN, o.expires_at <= now).order_by(o.expires_at, o.id).limit(limit)
    if _postgresql():
        query = query.with_for_update(skip_locked=True)
    return list(db.session.execute(query).scalars())


def set_outcomes(offer_id: int, outcome: RecipientOutcome, *, only_offered: bool = True) -> None:
    r = models.WaitlistRecipient
    query = update(r).where(r.offer_id == offer_id)
    if only_offered:
        query = query.where(r.outcome == RecipientOutcome.OFFERED)
    db.session.execute(query.values(outcome=outcome).execution_options(synchronize_session=False))


def offers_of_entry(entry_id: int) -> list[tuple[models.WaitlistOffer, models.WaitlistRecipient]]:
    """Every offer made to the entry, newest first, with its recipient row."""
    o, r = models.WaitlistOffer, models.WaitlistRecipient
    rows = db.session.execute(
        select(o, r).join(r, r.offer_id == o.id).where(r.entry_id == entry_id).order_by(o.id.desc())
    )
    return [(offer, recipient) for offer, recipient in rows]


def offers_of_entries(
    entry_ids: Iterable[int],
) -> dict[int, list[tuple[models.WaitlistOffer, models.WaitlistRecipient]]]:
    """Every offer made to each entry, newest first, with its recipient row, by entry id (one
    query for a whole page of entries)."""
    o, r = models.WaitlistOffer, models.WaitlistRecipient
    ids = list(entry_ids)
    found: dict[int, list[tuple[models.WaitlistOffer, models.WaitlistRecipient]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(select(o, r).join(r, r.offer_id == o.id).where(r.entry_id.in_(ids)).order_by(o.id.desc()))
    for offer, recipient in rows:
        found[recipient.entry_id].append((offer, recipient))
    return found


def hold_token(hold_id: int | None) -> str | None:
    """The token of the hold keeping an offer's time (None: gone)."""
    if hold_id is None:
        return None
    return db.session.execute(select(models.Hold.token).where(models.Hold.id == hold_id)).scalar_one_or_none()


def settle_claim(offer_id: int, recipient_id: int, entry_id: int, appointment_id: int, now: datetime) -> list[int]:
    """Record the claim: the offer claimed (by the entry, for the visit), the claimant's outcome
    claimed, the rest of the batch's taken. Returns the entries told it was taken."""
    o, r = models.WaitlistOffer, models.WaitlistRecipient
    others = [
        entry
        for (entry,) in db.session.execute(
            select(r.entry_id).where(
                r.offer_id == offer_id, r.id != recipient_id, r.outcome == RecipientOutcome.OFFERED
            )
        )
    ]
    db.session.execute(
        update(o)
        .where(o.id == offer_id)
        .values(
            status=OfferStatus.CLAIMED,
            claimed_entry_id=entry_id,
            appointment_id=appointment_id,
            hold_id=None,
            ended_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(r)
        .where(r.id == recipient_id)
        .values(outcome=RecipientOutcome.CLAIMED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(r)
        .where(r.offer_id == offer_id, r.id != recipient_id, r.outcome == RecipientOutcome.OFFERED)
        .values(outcome=RecipientOutcome.TAKEN)
        .execution_options(synchronize_session=False)
    )
    return others


def refresh(row: object) -> None:
    """Read ``row`` again from the database (after a statement that changed it behind the session)."""
    db.session.refresh(row)


# ----- messages --------------------------------------------------------------------------------------


def texts_since(phone: str, since: datetime, now: datetime) -> list[datetime]:
    """When texts to ``phone`` went (or are going) since ``since``, for the pace: as the worker
    counts them (store.outbox.texts_counting_to_pace), read here before an offer is texted."""
    return [sent_at or now for _, sent_at in texts_counting_to_pace({phone}, since=since, now=now, excluding=())]
