"""The waitlist as staff see and run it: a specialty's waitlist, who waits that a time would fit
("N waiting fit this time"), taking an entry off, and a visit type's waitlist rules (admins).
Staff add callers with ``services.waitlist.join`` (``channel="phone"``, ``staff_id``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.intervals import Interval
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedTime
from scheduler.domain.waitlist import WaitlistEntry
from scheduler.domain.waitlist import why_not
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services.waitlist import WAITLIST_NOT_FOUND
from scheduler.services.waitlist import WaitlistView
from scheduler.services.waitlist import as_view
from scheduler.services.waitlist import audit_entry
from scheduler.services.waitlist_offers import visit_type_notice
from scheduler.store import models
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work


def leave_by_staff(reference: str, *, staff_id: int, channel: str = "web", now: datetime | None = None) -> None:
    """Staff taking an entry off the waitlist (the caller asked, or it no longer applies)."""
    now = now or utc_now()
    with unit_of_work():
        row = store_waitlist.entry_by_reference(reference)
        if row is None:
            raise NotFound(WAITLIST_NOT_FOUND)
        if store_waitlist.end_entry(row.id, EntryStatus.LEFT, now):
            audit_entry("waitlist_left", row, channel=channel, staff_id=staff_id)


def waiting_in_specialty(specialty_code: str, now: datetime | None = None) -> list[WaitlistView]:
    """The specialty's waitlist, urgent first then longest waiting, with the offers each was sent
    and their outcome (for the staff page; the page audits its own view)."""
    now = now or utc_now()
    offer = clinic.current_catalog(now)
    specialty_id = offer.specialty_ids.get(specialty_code)
    if specialty_id is None:
        raise NotFound("No such specialty.")
    return [as_view(row) for row in store_waitlist.waiting_rows_of_specialty(specialty_id, now)]


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
        as_view(row)
        for row in rows
        if why_not(store_waitlist.as_entry(row), freed, provider, notice, offer.calendar, now) is None
    ]


# ----- a specialty's waitlist page ------------------------------------------------------------------

PER_PAGE = 50


@dataclass(frozen=True)
class StaffEntry:
    """An entry as the staff waitlist shows it: the entry with its offers, and who waits."""

    view: WaitlistView
    family_name: str
    given_name: str
    birth_date: date


@dataclass(frozen=True)
class SpecialtyWaitlist:
    specialty_code: str
    entries: list[StaffEntry]
    counts: dict[str, tuple[int, int]]  # by specialty code: (waiting, of them urgent); absent: none
    page: int
    pages: int
    total: int


def specialty_waitlist(
    specialty_code: str, *, staff_id: int, page: int = 1, now: datetime | None = None
) -> SpecialtyWaitlist:
    """A page of the specialty's waitlist (urgent first, then longest waiting), each entry with
    the offers it was sent and their outcome, and the counts of every specialty; the view is one
    audit row (``waitlist.view``) naming the entries shown. NotFound for an unknown specialty."""
    now = now or utc_now()
    with unit_of_work():
        offer = clinic.current_catalog(now)
        specialty_id = offer.specialty_ids.get(specialty_code)
        if specialty_id is None:
            raise NotFound("No such specialty.")
        rows = store_waitlist.waiting_rows_of_specialty(specialty_id, now)
        pages = max(1, math.ceil(len(rows) / PER_PAGE))
        page = min(max(page, 1), pages)
        shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
        offers = store_waitlist.offers_of_entries(row.id for row in shown)
        entries = [_staff_entry(row, offers[row.id]) for row in shown]
        codes = {specialty_id: code for code, specialty_id in offer.specialty_ids.items()}
        counts = {codes[s]: n for s, n in store_waitlist.waiting_counts_by_specialty(now).items() if s in codes}
        audit.record(
            "waitlist.view",
            actor_kind="staff",
            actor_id=staff_id,
            record_type="waitlist",
            record_id=specialty_code,
            channel="web",
            detail="entries " + (",".join(row.reference for row in shown) or "none"),
        )
    return SpecialtyWaitlist(specialty_code, entries, counts, page, pages, len(rows))


def _staff_entry(
    row: models.WaitlistEntry, offers: list[tuple[models.WaitlistOffer, models.WaitlistRecipient]]
) -> StaffEntry:
    view = as_view(row, offers)
    patient = row.patient
    return StaffEntry(view, patient.family_name, patient.given_name, patient.birth_date)


# ----- "N waiting fit this time", for many times at once ---------------------------------------------


@dataclass(frozen=True)
class OpenTime:
    """A provider free from ``start`` (aware) for ``minutes``: a calendar cell, or a time offered
    in the move dialog."""

    provider_id: int
    start: datetime
    minutes: int


def fit_counts(
    times: Iterable[OpenTime], *, visit_type_code: str | None = None, now: datetime | None = None
) -> dict[tuple[int, datetime], int]:
    """How many waiting entries each time would be offered to if it freed now, by (provider id,
    start): entries of a visit type the provider does that is no longer than the time is free
    (only ``visit_type_code`` when given), by the worker's rule (:func:`why_not`) but for the
    batch size and the weekly cap. One read of the waitlist, however many times are asked
    about; times nobody fits are absent."""
    now = now or utc_now()
    asked = list(times)
    if not asked:
        return {}
    offer = clinic.current_catalog(now)
    providers = {t.provider_id: offer.providers.get(t.provider_id) for t in asked}
    codes = {
        code
        for provider in providers.values()
        if provider is not None
        for code in offer.visit_types
        if provider.does(code) and (visit_type_code is None or code == visit_type_code)
    }
    rows = store_waitlist.waiting_rows_of_visit_types((offer.visit_type_ids[c] for c in codes), now)
    # Entries the rule cannot tell apart (the same visit type, windows, providers and replaced
    # visit's start) get the same answer: ask once per kind, count the kind's entries.
    by_type: dict[str, dict[tuple[object, ...], tuple[WaitlistEntry, int]]] = {}
    for row in rows:
        entry = store_waitlist.as_entry(row)
        kinds = by_type.setdefault(entry.visit_type, {})
        key = (entry.windows, entry.provider_ids, entry.replaces_appointment_id is not None, entry.replaces_starts_at)
        first, count = kinds.get(key, (entry, 0))
        kinds[key] = (first, count + 1)
    notices = {code: visit_type_notice(offer.visit_types[code]) for code in by_type}
    calendar = _DayMemo(offer.calendar.hours, offer.calendar.closures)
    counts: dict[tuple[int, datetime], int] = {}
    for time in asked:
        provider = providers[time.provider_id]
        if provider is None:
            continue
        found = 0
        for code, kinds in by_type.items():
            length = offer.visit_types[code].minutes
            if length > time.minutes or not provider.does(code):
                continue
            freed = FreedTime(code, provider.id, time.start, time.start + timedelta(minutes=length))
            found += sum(
                n for e, n in kinds.values() if why_not(e, freed, provider, notices[code], calendar, now) is None
            )
        if found:
            counts[(time.provider_id, time.start)] = found
    return counts


@dataclass(frozen=True)
class _DayMemo(ClinicCalendar):
    """The clinic's calendar, each day's open intervals worked out once (a page asks of the same
    few days thousands of times)."""

    memo: dict[date, list[Interval]] = field(default_factory=dict, compare=False, repr=False)

    def open_intervals(self, day: date) -> list[Interval]:
        if day not in self.memo:
            self.memo[day] = super().open_intervals(day)
        return self.memo[day]


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
