"""Merging two records of one patient (issue 14): what refuses a merge, and what the kept record
ends up with. Pure rules; services.patient_merge loads the two records and saves the result.

The kept record keeps its name, birth date and contact details (phone, email, consent to texts);
everything about the other record's visits, requests, waitlist entries and messages follows it,
and the other record goes. Nothing recorded for the patient's safety is lost on the way: where the
kept record has no interpreter or access needs recorded, the other record's are kept, and its
medical record number goes to a kept record that has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.bookings import describe_day
from scheduler.domain.bookings import describe_time
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import SlotTaken
from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patients import PatientRecord


class MergeRefused(DomainError):
    """The two records cannot be merged as they stand; the message says why and what to do."""

    code = "merge_refused"


class MergedMeanwhile(SlotTaken):
    """A booking, request or waitlist entry for a record that was merged into another while it was
    being saved: nothing was saved (a conflict, like a time taken meanwhile; trying again finds
    the kept record)."""


MERGED_MEANWHILE = (
    "The patient's record was merged with another record while this was being saved, so nothing was "
    "saved. Please try again."
)
SAME_RECORD = "That is the same record. Choose the other record to merge it with."
TWO_MRNS = (
    "Both records carry a medical record number, and the numbers differ: the clinic's record system "
    "holds them as two people. Merge them there first, or correct the number on one of them."
)
CLASH = (
    "Both records have a visit at the same time: {kept} ({kept_when}) and {other} ({other_when}). "
    "One person cannot be at both: cancel the visit that is not wanted, then merge."
)
# The database refused the move of a visit's time to the kept record (PostgreSQL's exclusion
# constraint, when a visit was booked at the same time meanwhile): the same refusal, in general.
CLASH_MEANWHILE = (
    "Both records now have a visit at the same time (one was booked meanwhile). "
    "Look at their visits, cancel the one that is not wanted, then merge."
)


@dataclass(frozen=True)
class HeldTime:
    """A visit that still holds its time (anything but cancelled or entered in error): two of them
    for one person may not overlap, whichever record they were booked on."""

    reference: str
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: HeldTime) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class MergeSide:
    """One of the two records as a merge needs it."""

    patient: PatientRecord
    needs: ContactNeeds
    held: Sequence[HeldTime]


def when(visit: HeldTime) -> str:
    return f"{describe_day(visit.starts_at)}, {describe_time(visit.starts_at)}"


def clash(kept: Sequence[HeldTime], other: Sequence[HeldTime]) -> tuple[HeldTime, HeldTime] | None:
    """The earliest pair of overlapping visits, one of each record (None: they fit together)."""
    pairs = [(a, b) for a in kept for b in other if a.overlaps(b)]
    return min(pairs, key=lambda pair: (min(pair[0].starts_at, pair[1].starts_at), pair[0].reference), default=None)


def refusal(kept: MergeSide, other: MergeSide) -> str | None:
    """Why ``other`` cannot be merged into ``kept`` (None: it can)."""
    if kept.patient.id == other.patient.id:
        return SAME_RECORD
    if kept.patient.mrn and other.patient.mrn and kept.patient.mrn != other.patient.mrn:
        return TWO_MRNS
    found = clash(kept.held, other.held)
    if found is not None:
        a, b = found
        return CLASH.format(kept=a.reference, kept_when=when(a), other=b.reference, other_when=when(b))
    return None


def check(kept: MergeSide, other: MergeSide) -> None:
    """Raises MergeRefused with :func:`refusal`'s reason."""
    reason = refusal(kept, other)
    if reason is not None:
        raise MergeRefused(reason)


def merged_needs(kept: ContactNeeds, other: ContactNeeds) -> ContactNeeds:
    """The kept record's needs, each filled from the other record's where the kept one has none."""
    return ContactNeeds(
        kept.interpreter_language or other.interpreter_language,
        kept.access_needs or other.access_needs,
    )


def merged_mrn(kept: PatientRecord, other: PatientRecord) -> str | None:
    """The kept record's medical record number, or the other's when the kept one has none."""
    return kept.mrn or other.mrn


@dataclass(frozen=True)
class MovedCounts:
    """What followed the kept record (messages follow their visit, request or entry)."""

    visits: int
    requests: int
    waitlist: int


@dataclass(frozen=True)
class RecordCounts:
    """What a record holds, for the confirmation page (upcoming: active visits not yet over)."""

    visits: int
    upcoming: int
    requests: int
    open_requests: int
    waitlist: int  # entries still waiting
    messages: int


def audit_detail(kept_id: int, other_id: int, moved: MovedCounts) -> str:
    """The merge's audit detail: record ids and counts only (never a name or a contact detail)."""
    return (
        f"record {other_id} merged into record {kept_id} (kept); moved: visits {moved.visits}, "
        f"requests {moved.requests}, waitlist entries {moved.waitlist}"
    )
