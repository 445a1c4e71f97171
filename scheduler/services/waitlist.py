"""The waitlist as patients, the API and staff use it: join, see, renew, leave, and claim an offer.

Offers themselves are made by the worker (:mod:`scheduler.services.waitlist_offers`). A claim
books through the booking path everyone uses (``booking.place_visit``, or ``moves`` for an entry
that replaces a visit), using up the offer's hold, so the database's guarantee against double
booking holds for it as for any booking; the offer row is locked first, so of two claimants the
second waits and is then told, cleanly, that the time was taken.

For pages: :func:`join`, :func:`entry_for_token` / :func:`view`, :func:`renew`, :func:`leave`,
:func:`claim` and :func:`offer_for_token` (what a claim link shows before it is claimed); for staff
:func:`waiting_in_specialty` and :func:`waiting_that_fit` ("N waiting fit this time").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import last_bookable_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.messages import on_offer_taken
from scheduler.domain.patients import PatientDetails
from scheduler.domain.visits import Visit
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedTime
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import PartOfDay
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import Windows
from scheduler.domain.waitlist import default_expiry
from scheduler.domain.waitlist import why_not
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import moves
from scheduler.services import outbox
from scheduler.services.patients import details_on_file
from scheduler.services.patients import find_patient
from scheduler.services.patients import patient_with_id
from scheduler.services.patients import save_patient
from scheduler.services.references import CLAIM_TOKEN_CHARS
from scheduler.services.references import claim_token_hash
from scheduler.services.references import manage_token
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.services.references import waitlist_token
from scheduler.services.references import waitlist_token_matches
from scheduler.services.waitlist_offers import visit_type_notice
from scheduler.store import bookings as store_bookings
from scheduler.store import models
from scheduler.store import patients as store_patients
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work

WAITLIST_NOT_FOUND = "No waitlist entry matches that reference and link."
OFFER_NOT_FOUND = "This offer link is not valid. Check that it was copied whole, or call the clinic."
CLAIM_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_PROVIDERS = 20
ANY_TIME = Windows()  # no dates, weekdays or parts of the day given: any clinic time will do


class OfferTaken(DomainError):
    """Someone else of the batch claimed the time first (HTTP 409): the patient keeps their place."""

    code = "offer_taken"


class OfferExpired(DomainError):
    """The offer's hold ran out, or the entry it was made to has ended (HTTP 410)."""

    code = "offer_expired"


@dataclass(frozen=True)
class OfferSeen:
    """One offer made to an entry, as the patient and staff see it."""

    starts_at: datetime
    ends_at: datetime
    provider_id: int
    expires_at: datetime
    outcome: RecipientOutcome


@dataclass(frozen=True)
class WaitlistView:
    """An entry as its patient (and staff) see it."""

    reference: str
    status: EntryStatus
    visit_type_code: str
    provider_ids: tuple[int, ...]
    windows: Windows
    replaces_reference: str | None
    priority: Priority
    channel: str
    created_at: datetime
    expires_at: datetime
    patient_id: int
    offers: tuple[OfferSeen, ...] = ()


@dataclass(frozen=True)
class Joined:
    view: WaitlistView
    manage_token: str


@dataclass(frozen=True)
class Claimed:
    """The visit a claim booked (or moved, when the entry replaced one) and its manage token."""

    appointment: Visit
    manage_token: str
    moved: bool


def _view(row: models.WaitlistEntry) -> WaitlistView:
    offers = tuple(
        OfferSeen(offer.starts_at, offer.ends_at, offer.provider_id, offer.expires_at, recipient.outcome)
        for offer, recipient in store_waitlist.offers_of_entry(row.id)
    )
    return WaitlistView(
        reference=row.reference,
        status=row.status,
        visit_type_code=row.visit_type.code,
        provider_ids=tuple(row.provider_ids or ()),
        windows=store_waitlist.as_entry(row).windows,
        replaces_reference=row.replaces.reference if row.replaces is not None else None,
        priority=row.priority,
        channel=row.channel,
        created_at=row.created_at,
        expires_at=row.expires_at,
        patient_id=row.patient_id,
        offers=offers,
    )


# ----- joining -----------------------------------------------------------------------------------


def join(
    *,
    visit_type_code: str,
    patient: PatientDetails | None,
    windows: Windows = ANY_TIME,
    provider_ids: Iterable[int] = (),
    replaces: tuple[str, str] | None = None,
    priority: Priority = Priority.ROUTINE,
    channel: str = "web",
    staff_id: int | None = None,
    now: datetime | None = None,
) -> Joined:
    """Put a patient on the waitlist for ``visit_type_code`` and commit (audited).

    ``patient``: who waits (found on file by their details, or added); not needed with ``replaces``,
    the (reference, manage token) of their booked visit that a claim will move to the earlier time.
    ``provider_ids``: the providers they accept (empty: anyone who performs the visit). ``priority``
    urgent is for staff to set; ``staff_id`` the staff member adding a caller (``channel`` "phone").
    Raises InvalidInput naming every field that needs fixing."""
    now = now or utc_now()
    with unit_of_work():
        offer = clinic.current_catalog(now)
        problems: dict[str, str] = {}
        visit_type = offer.visit_types.get(visit_type_code)
        if visit_type is None:
            problems["visit_type"] = f"There is no visit type '{visit_type_code[:40]}'. See /api/v1/visit-types."
        chosen = sorted(set(provider_ids))
        if len(chosen) > MAX_PROVIDERS:
            problems["provider_ids"] = f"Choose at most {MAX_PROVIDERS} providers, or none for anyone."
        elif visit_type is not None:
            for provider_id in chosen:
                provider = offer.providers.get(provider_id)
                if provider is None or not provider.does(visit_type.code):
                    problems["provider_ids"] = offer.not_capable_message(provider_id, visit_type.code)
                    break
        problems.update(_window_problems(windows, now))
        replaced: models.Appointment | None = None
        if replaces is not None:
            replaced, problem = _replaced_visit(replaces, visit_type_code, now)
            if problem:
                problems["replaces"] = problem
        elif patient is None:
            problems["patient"] = "Tell us who is waiting: their name, birth date and how to reach them."
        if problems:
            raise InvalidInput(problems)
        assert visit_type is not None
        if replaced is not None:
            record = patient_with_id(replaced.patient_id)
        else:
            assert patient is not None
            record = save_patient(patient, find_patient(patient), now)
        assert record is not None
        reach = outbox.reach(record)
        if not (reach.email or reach.sms):
            raise InvalidInput(
                {"patient.email": "Give an email address, or agree to texts, so that we can send you offers."}
            )
        visit_type_id = offer.visit_type_ids[visit_type.code]
        if store_waitlist.waiting_entry_of(record.id, visit_type_id, now) is not None:
            raise InvalidInput(
                {"visit_type": "You are already on the waitlist for this visit. Use the link we sent to change it."}
            )
        row = store_waitlist.add_entry(
            models.WaitlistEntry(
                reference=new_reference("WL"),
                patient_id=record.id,
                visit_type_id=visit_type_id,
                provider_ids=chosen,
                earliest=windows.earliest,
                latest=windows.latest,
                weekdays=sorted(windows.weekdays),
                parts_of_day=sorted(p.value for p in windows.parts_of_day),
                replaces_appointment_id=replaced.id if replaced is not None else None,
                priority=priority,
                status=EntryStatus.WAITING,
                channel=channel,
                manage_nonce=new_nonce(),
                created_at=now,
                expires_at=default_expiry(now),
            )
        )
        _audit("waitlist_joined", row, channel=channel, staff_id=staff_id, detail=f"for {visit_type.code}")
        view = _view(row)
    return Joined(view, waitlist_token(row.reference, row.manage_nonce))


def _window_problems(windows: Windows, now: datetime) -> dict[str, str]:
    today = clinic_today(now)
    problems: dict[str, str] = {}
    if windows.latest is not None and windows.latest < today:
        problems["latest"] = "That date has passed. Give a date from today on, or leave it out."
    if windows.earliest is not None and windows.earliest > last_bookable_day(now):
        problems["earliest"] = "That is further ahead than the clinic books. Choose an earlier date."
    if windows.earliest is not None and windows.latest is not None and windows.earliest > windows.latest:
        problems["earliest"] = "The earliest date must not be after the latest."
    open_days = clinic.clinic_hours().weekdays
    if any(day not in open_days for day in windows.weekdays):
        names = ", ".join(WEEKDAY_NAMES[d] for d in sorted(open_days))
        problems["weekdays"] = f"The clinic sees patients on {names} only."
    return problems


def _replaced_visit(
    replaces: tuple[str, str], visit_type_code: str, now: datetime
) -> tuple[models.Appointment | None, str]:
    reference, token = replaces
    try:
        appointment = booking.appointment_for_token(reference, token)
    except NotFound:
        return None, "No appointment matches that reference and manage token."
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        return None, "Only a booked visit still to come can be replaced by an earlier time."
    if appointment.visit_type.code != visit_type_code:
        return None, "That visit is of another visit type: wait for the same kind of visit."
    return appointment, ""


def _audit(
    action: str, row: models.WaitlistEntry, *, channel: str, staff_id: int | None = None, detail: str = ""
) -> None:
    audit.record(
        action,
        actor_kind="staff" if staff_id is not None else "patient",
        actor_id=staff_id,
        record_type="waitlist_entry",
        record_id=row.reference,
        patient_id=row.patient_id,
        channel=channel if channel in audit.CHANNELS else "web",
        detail=detail,
    )


# ----- the patient's own entry ---------------------------------------------------------------------


def entry_for_token(reference: str, token: str) -> models.WaitlistEntry:
    """The entry ``reference`` if ``token`` is its manage token; NotFound otherwise, whether the
    reference is unknown or the token wrong, so a guess learns nothing."""
    row = store_waitlist.entry_by_reference(reference)
    if row is None or not waitlist_token_matches(token, row.reference, row.manage_nonce):
        raise NotFound(WAITLIST_NOT_FOUND)
    return row


def view(reference: str, token: str) -> WaitlistView:
    return _view(entry_for_token(reference, token))


def leave(reference: str, token: str, *, channel: str = "web", now: datetime | None = None) -> WaitlistView:
    """Take the entry off the waitlist and commit (audited); leaving twice is harmless. Offers
    already sent can no longer be claimed with it."""
    now = now or utc_now()
    with unit_of_work():
        row = entry_for_token(reference, token)
        if store_waitlist.end_entry(row.id, EntryStatus.LEFT, now):
            _audit("waitlist_left", row, channel=channel)
        row = entry_for_token(reference, token)
        store_waitlist.refresh(row)
        return _view(row)


def renew(reference: str, token: str, *, channel: str = "web", now: datetime | None = None) -> WaitlistView:
    """Keep a waiting entry for another 90 days from now (the patient's answer to the expiring
    notice). Raises NotFound, or InvalidInput when the entry has ended."""
    now = now or utc_now()
    with unit_of_work():
        row = entry_for_token(reference, token)
        if row.status != EntryStatus.WAITING or row.expires_at <= now:
            raise InvalidInput({"reference": "This entry has ended: join the waitlist again."})
        store_waitlist.renew_entry(row.id, default_expiry(now))
        _audit("waitlist_renewed", row, channel=channel)
        store_waitlist.refresh(row)
        return _view(row)


def leave_by_staff(reference: str, *, staff_id: int, channel: str = "web", now: datetime | None = None) -> None:
    """Staff taking an entry off the waitlist (the caller asked, or it no longer applies)."""
    now = now or utc_now()
    with unit_of_work():
        row = store_waitlist.entry_by_reference(reference)
        if row is None:
            raise NotFound(WAITLIST_NOT_FOUND)
        if store_waitlist.end_entry(row.id, EntryStatus.LEFT, now):
            _audit("waitlist_left", row, channel=channel, staff_id=staff_id)


# ----- claiming an offer ---------------------------------------------------------------------------


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


# ----- staff ---------------------------------------------------------------------------------------


def waiting_in_specialty(specialty_code: str, now: datetime | None = None) -> list[WaitlistView]:
    """The specialty's waitlist, urgent first then longest waiting, with the offers each was sent
    and their outcome (for the staff page; the page audits its own view)."""
    now = now or utc_now()
    offer = clinic.current_catalog(now)
    specialty_id = offer.specialty_ids.get(specialty_code)
    if specialty_id is None:
        raise NotFound("No such specialty.")
    return [_view(row) for row in store_waitlist.waiting_rows_of_specialty(specialty_id, now)]


def waiting_that_fit(
    visit_type_code: str, provider_id: int, start: datetime, now: datetime | None = None
) -> list[WaitlistView]:
    """The waiting entries a time would be offered to if it freed now (by the same rule the worker
    uses, but for the batch size and the weekly cap): "N waiting fit this time" on free calendar
    cells and in the move dialog."""
    now = now or utc_now()
    offer = clinic.current_catalog(now)
    visit_type = offer.visit_types.get(visit_type_code)
    if visit_type is None:
        return []
    freed = FreedTime(visit_type.code, provider_id, start, start + timedelta(minutes=visit_type.minutes))
    provider = offer.providers.get(provider_id)
    notice = visit_type_notice(visit_type)
    rows = store_waitlist.waiting_rows(offer.visit_type_ids[visit_type.code], now)
    return [
        _view(row)
        for row in rows
        if why_not(store_waitlist.as_entry(row), freed, provider, notice, offer.calendar, now) is None
    ]


# What an admin may set per visit type (the admin page's limits, and the refusals' wording).
MAX_NOTICE_MINUTES = 14 * 24 * 60
BATCH_SIZES = range(1, 21)
HOLD_MINUTES = range(5, 241)


def save_rules(
    visit_type_code: str, *, notice_minutes: int | None, batch_size: int, hold_minutes: int, actor_id: int
) -> None:
    """An admin setting a visit type's waitlist rules (audited): its minimum notice of an offer
    (None: the clinic's booking notice), batch size and hold minutes. Raises InvalidInput naming
    each field out of range, NotFound for an unknown visit type."""
    problems: dict[str, str] = {}
    if notice_minutes is not None and not 0 <= notice_minutes <= MAX_NOTICE_MINUTES:
        problems["notice_minutes"] = "Give a notice from 0 minutes to 14 days, or none for the clinic's booking notice."
    if batch_size not in BATCH_SIZES:
        problems["batch_size"] = f"Offer a time to {BATCH_SIZES.start} to {BATCH_SIZES.stop - 1} people at once."
    if hold_minutes not in HOLD_MINUTES:
        problems["hold_minutes"] = f"Hold an offered time {HOLD_MINUTES.start} to {HOLD_MINUTES.stop - 1} minutes."
    if problems:
        raise InvalidInput(problems)
    with unit_of_work():
        if not store_waitlist.set_visit_type_rules(
            visit_type_code, notice_minutes=notice_minutes, batch_size=batch_size, hold_minutes=hold_minutes
        ):
            raise NotFound("No such visit type.")
        notice = "clinic notice" if notice_minutes is None else f"notice {notice_minutes} min"
        audit.record(
            "visit-type.waitlist-rules",
            actor_kind="staff",
            actor_id=actor_id,
            record_type="visit_type",
            record_id=visit_type_code,
            channel="web",
            detail=f"{notice}, batch {batch_size}, hold {hold_minutes} min",
        )


def windows_from(
    *,
    earliest: date | None = None,
    latest: date | None = None,
    weekdays: Iterable[int] = (),
    parts_of_day: Iterable[str] = (),
) -> Windows:
    """Windows from the values a form or the API gives (weekday numbers, Monday=0; part names)."""
    return Windows(earliest, latest, frozenset(weekdays), frozenset(PartOfDay(p) for p in parts_of_day))
