"""Claiming a waitlist offer through its link: the first claimant books, the rest are told.

A claim books through the booking path everyone uses (``booking.place_visit``, or ``moves`` for an
entry that replaces a visit), using up the offer's hold, so the database's guarantee against double
booking holds for it as for any booking; the offer row is locked first, so of two claimants the
second waits and is then told, cleanly, that the time was taken (OfferTaken, HTTP 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.messages import on_offer_taken
from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import moves
from scheduler.services import outbox
from scheduler.services.patients import details_on_file
from scheduler.services.patients import patient_with_id
from scheduler.services.references import CLAIM_TOKEN_CHARS
from scheduler.services.references import claim_token_hash
from scheduler.services.references import manage_token
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store import patients as store_patients
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work

OFFER_NOT_FOUND = "This offer link is not valid. Check that it was copied whole, or call the clinic."
CLAIM_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class OfferTaken(DomainError):
    """Someone else of the batch claimed the time first (HTTP 409): the patient keeps their place."""

    code = "offer_taken"


class OfferExpired(DomainError):
    """The offer's hold ran out, or the entry it was made to has ended (HTTP 410)."""

    code = "offer_expired"


@dataclass(frozen=True)
class Claimed:
    """The visit a claim booked (or moved, when the entry replaced one) and its manage token."""

    appointment: Visit
    manage_token: str
    moved: bool


@dataclass(frozen=True)
class OfferOnLink:
    """What a claim link shows before it is claimed."""

    visit_type_code: str
    starts_at: datetime
    ends_at: datetime
    provider_id: int
    expires_at: datetime
    status: OfferStatus
    outcome: RecipientOutcome
    replaces_reference: str | None


def _recipient(token: str) -> models.WaitlistRecipient:
    if len(token) != CLAIM_TOKEN_CHARS or not set(token) <= CLAIM_TOKEN_ALPHABET:
        raise NotFound(OFFER_NOT_FOUND)
    found = store_waitlist.recipient_by_token_hash(claim_token_hash(token))
    if found is None:
        raise NotFound(OFFER_NOT_FOUND)
    return found


def offer_for_token(token: str) -> OfferOnLink:
    """The offer a claim link names (NotFound for a link that names none)."""
    recipient = _recipient(token)
    offer = store_waitlist.offer_row(recipient.offer_id)
    entry = store_waitlist.entry_row(recipient.entry_id)
    assert offer is not None and entry is not None
    return OfferOnLink(
        visit_type_code=entry.visit_type.code,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        provider_id=offer.provider_id,
        expires_at=offer.expires_at,
        status=offer.status,
        outcome=recipient.outcome,
        replaces_reference=entry.replaces.reference if entry.replaces is not None else None,
    )


def claim(token: str, *, channel: str = "web", now: datetime | None = None) -> Claimed:
    """Book the offered time for the claim link's patient and commit (audited).

    The offer is locked first: of two claimants at once, the second waits and gets OfferTaken
    (409) once the first has booked. An entry that replaces a visit has that visit moved (its old
    time is then freed and offered on), never a second one booked. The others of the batch are
    told by email and keep their place. Claiming again with the link that won returns the same
    visit. Raises NotFound, OfferTaken, OfferExpired, or the booking's own refusals (SlotTaken
    when the patient has another visit at that time)."""
    now = now or utc_now()
    with unit_of_work():
        recipient = _recipient(token)
        offer = store_waitlist.lock_offer(recipient.offer_id)
        entry = store_waitlist.entry_row(recipient.entry_id)
        assert offer is not None and entry is not None
        store_waitlist.refresh(recipient)
        if offer.status == OfferStatus.CLAIMED:
            if offer.claimed_entry_id == entry.id and offer.appointment_id is not None:
                return _claimed_again(offer.appointment_id, moved=entry.replaces_appointment_id is not None)
            raise OfferTaken(
                "Someone else took this time a moment before you. You keep your place on the waitlist, and we "
                "will send you the next time that suits you."
            )
        if offer.status != OfferStatus.OPEN or offer.expires_at <= now or recipient.outcome != RecipientOutcome.OFFERED:
            raise OfferExpired("This offer has run out. You keep your place on the waitlist for the next time.")
        if entry.status != EntryStatus.WAITING:
            raise OfferExpired("Your waitlist entry has ended, so this offer can no longer be taken.")
        hold_token = store_waitlist.hold_token(offer.hold_id)
        replaced = entry.replaces
        if replaced is not None and replaced.status == AppointmentStatus.BOOKED and replaced.starts_at > now:
            visit = moves.move_appointment(
                replaced.id,
                offer.starts_at,
                provider_id=offer.provider_id,
                hold_token=hold_token,
                notify=True,
                enforce_notice=False,  # kept by the offer's hold, under the notice it was offered with
                now=now,
            )
            moved = True
        else:
            patient = patient_with_id(entry.patient_id)
            assert patient is not None
            specialty = clinic.current_catalog(now).providers[offer.provider_id].specialty
            visit = booking.place_visit(
                visit_type_code=entry.visit_type.code,
                start=offer.starts_at,
                patient=details_on_file(patient),
                channel=channel,
                provider_id=offer.provider_id,
                specialty_code=specialty,
                hold_token=hold_token,
                now=now,
            ).appointment
            moved = False
        others = store_waitlist.settle_claim(offer.id, recipient.id, entry.id, visit.id, now)
        for other_entry_id in others:
            other = store_waitlist.entry_row(other_entry_id)
            assert other is not None
            record = store_patients.patient(other.patient_id)
            assert record is not None
            outbox.queue_waitlist(on_offer_taken(outbox.reach(record), now), entry_id=other.id, offer_id=offer.id)
        store_waitlist.end_entry(entry.id, EntryStatus.BOOKED, now)
        audit.record(
            "waitlist_offer_claimed",
            actor_kind="patient",
            actor_id=None,
            record_type="waitlist_offer",
            record_id=offer.id,
            patient_id=entry.patient_id,
            channel=channel if channel in audit.CHANNELS else "web",
            detail=f"entry {entry.reference}; visit {visit.reference} {'moved' if moved else 'booked'}",
        )
    return Claimed(visit, manage_token(visit.reference, visit.manage_nonce), moved)


def _claimed_again(appointment_id: int, *, moved: bool) -> Claimed:
    visit = store_bookings.visit(appointment_id)
    assert visit is not None
    return Claimed(visit, manage_token(visit.reference, visit.manage_nonce), moved)
