"""The waitlist as patients and the API use it: join, see, renew and leave an entry.

Offers are made by the worker (:mod:`scheduler.services.waitlist_offers`) and claimed through
their links (:mod:`scheduler.services.waitlist_claims`); staff lists, "N waiting fit this time"
and the admin rules are in :mod:`scheduler.services.waitlist_staff`.

For pages: :func:`join` (staff add a caller with ``channel="phone"`` and ``staff_id``),
:func:`entry_for_token` / :func:`view`, :func:`renew` and :func:`leave`.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.bookings import last_bookable_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.patients import PatientDetails
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import PartOfDay
from scheduler.domain.waitlist import Priority
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import Windows
from scheduler.domain.waitlist import default_expiry
from scheduler.services import audit
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import outbox
from scheduler.services.patients import find_patient
from scheduler.services.patients import patient_with_id
from scheduler.services.patients import save_patient
from scheduler.services.references import new_nonce
from scheduler.services.references import new_reference
from scheduler.services.references import waitlist_token
from scheduler.services.references import waitlist_token_matches
from scheduler.store import models
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work

WAITLIST_NOT_FOUND = "No waitlist entry matches that reference and link."
MAX_PROVIDERS = 20
ANY_TIME = Windows()  # no dates, weekdays or parts of the day given: any clinic time will do


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


def as_view(
    row: models.WaitlistEntry,
    offers_made: Sequence[tuple[models.WaitlistOffer, models.WaitlistRecipient]] | None = None,
) -> WaitlistView:
    """The entry as patients and staff see it; ``offers_made``: its offers when already read
    (a page of many entries reads them at once), else read here."""
    if offers_made is None:
        offers_made = store_waitlist.offers_of_entry(row.id)
    offers = tuple(
        OfferSeen(offer.starts_at, offer.ends_at, offer.provider_id, offer.expires_at, recipient.outcome)
        for offer, recipient in offers_made
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
        audit_entry("waitlist_joined", row, channel=channel, staff_id=staff_id, detail=f"for {visit_type.code}")
        view = as_view(row)
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


def audit_entry(
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
    return as_view(entry_for_token(reference, token))


def leave(reference: str, token: str, *, channel: str = "web", now: datetime | None = None) -> WaitlistView:
    """Take the entry off the waitlist and commit (audited); leaving twice is harmless. Offers
    already sent can no longer be claimed with it."""
    now = now or utc_now()
    with unit_of_work():
        row = entry_for_token(reference, token)
        if store_waitlist.end_entry(row.id, EntryStatus.LEFT, now):
            audit_entry("waitlist_left", row, channel=channel)
        row = entry_for_token(reference, token)
        store_waitlist.refresh(row)
        return as_view(row)


def renew(reference: str, token: str, *, channel: str = "web", now: datetime | None = None) -> WaitlistView:
    """Keep a waiting entry for another 90 days from now (the patient's answer to the expiring
    notice). Raises NotFound, or InvalidInput when the entry has ended."""
    now = now or utc_now()
    with unit_of_work():
        row = entry_for_token(reference, token)
        if row.status != EntryStatus.WAITING or row.expires_at <= now:
            raise InvalidInput({"reference": "This entry has ended: join the waitlist again."})
        store_waitlist.renew_entry(row.id, default_expiry(now))
        audit_entry("waitlist_renewed", row, channel=channel)
        store_waitlist.refresh(row)
        return as_view(row)


def windows_from(
    *,
    earliest: date | None = None,
    latest: date | None = None,
    weekdays: Iterable[int] = (),
    parts_of_day: Iterable[str] = (),
) -> Windows:
    """Windows from the values a form or the API gives (weekday numbers, Monday=0; part names)."""
    return Windows(earliest, latest, frozenset(weekdays), frozenset(PartOfDay(p) for p in parts_of_day))
