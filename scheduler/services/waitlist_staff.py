"""The waitlist as staff see and run it: a specialty's waitlist, who waits that a time would fit
("N waiting fit this time"), taking an entry off, and a visit type's waitlist rules (admins).
Staff add callers with ``services.waitlist.join`` (``channel="phone"``, ``staff_id``)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import FreedTime
from scheduler.domain.waitlist import why_not
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services.waitlist import WAITLIST_NOT_FOUND
from scheduler.services.waitlist import WaitlistView
from scheduler.services.waitlist import as_view
from scheduler.services.waitlist import audit_entry
from scheduler.services.waitlist_offers import visit_type_notice
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
