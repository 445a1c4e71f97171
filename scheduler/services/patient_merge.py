"""Merging two records of one patient (issue 14): the two side by side for the person deciding,
the records that may be the same patient, and the merge itself, whole or not at all.

The merge is one unit of work: both patient rows and their visits are locked first (in id order,
on PostgreSQL; SQLite serialises writers), the rules of domain.patient_merge are checked on what
is then on file, the other record's rows are given to the kept record, the other record is
deleted, and one ``patient.merge`` audit row names the two record ids (never a name or a contact
detail). A booking for the other record that meets the merge half-way is refused cleanly (see
store.patients.update_contact), never saved for a record that is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_merge import SAME_RECORD
from scheduler.domain.patient_merge import MergeRefused
from scheduler.domain.patient_merge import MergeSide
from scheduler.domain.patient_merge import MovedCounts
from scheduler.domain.patient_merge import RecordCounts
from scheduler.domain.patient_merge import audit_detail
from scheduler.domain.patient_merge import check
from scheduler.domain.patient_merge import merged_mrn
from scheduler.domain.patient_merge import merged_needs
from scheduler.domain.patient_merge import refusal
from scheduler.domain.patients import PatientRecord
from scheduler.services import audit
from scheduler.services.patient_search import likely_duplicates
from scheduler.services.patients import details_on_file
from scheduler.services.patients import patient_with_id
from scheduler.store import patient_file as store_file
from scheduler.store import patient_merge as store_merge
from scheduler.store.unit_of_work import unit_of_work

MERGE = store_merge.MERGE_ACTION
VIEW = "patient.view"


@dataclass(frozen=True)
class RecordSide:
    """One record as the confirmation page shows it."""

    patient: PatientRecord
    needs: ContactNeeds
    counts: RecordCounts


@dataclass(frozen=True)
class Comparison:
    """The two records side by side; ``refusal``: why they cannot be merged as they stand (None: they can)."""

    this: RecordSide  # the record the merge was started from
    other: RecordSide
    refusal: str | None


@dataclass(frozen=True)
class Merged:
    kept_id: int
    removed_id: int
    moved: MovedCounts


def _side(patient: PatientRecord) -> MergeSide:
    return MergeSide(patient, store_file.needs(patient.id), store_merge.held_times(patient.id))


def compare(
    patient_id: int, other_id: int, *, staff_id: int, channel: str = "web", now: datetime | None = None
) -> Comparison:
    """Both records, what each holds and whether they can be merged; both views audited (the page
    shows each record's details). Raises NotFound when either record is not on file."""
    now = now or utc_now()
    with unit_of_work():
        this, other = patient_with_id(patient_id), patient_with_id(other_id)
        if this is None or other is None:
            raise NotFound("No such patient.")
        sides = [_side(this), _side(other)]
        viewed = [(this, other)] if this.id == other.id else [(this, other), (other, this)]
        for seen, beside in viewed:
            audit.record(VIEW, actor_kind="staff", actor_id=staff_id, record_type="patient", record_id=seen.id,
                         patient_id=seen.id, channel=channel,
                         detail=f"merge: compared with record {beside.id}")  # fmt: skip
        return Comparison(
            RecordSide(this, sides[0].needs, store_merge.counts(this.id, now)),
            RecordSide(other, sides[1].needs, store_merge.counts(other.id, now)),
            refusal(sides[0], sides[1]),
        )


def merge(kept_id: int, removed_id: int, *, staff_id: int, channel: str = "web") -> Merged:
    """Merge record ``removed_id`` into ``kept_id``, audited, in one unit of work. Raises
    MergeRefused (the same record, two medical record numbers, visits at the same time) or
    NotFound (either record is not on file: perhaps merged a moment ago by someone else)."""
    if kept_id == removed_id:
        raise MergeRefused(SAME_RECORD)
    with unit_of_work():
        store_merge.lock_records([kept_id, removed_id])
        kept, removed = patient_with_id(kept_id), patient_with_id(removed_id)
        if kept is None or removed is None:
            raise NotFound("No such patient.")
        kept_side, removed_side = _side(kept), _side(removed)
        check(kept_side, removed_side)
        moved = store_merge.move_rows(removed.id, kept.id)
        store_merge.remove_record(removed.id)
        store_merge.keep_details(
            kept.id, needs=merged_needs(kept_side.needs, removed_side.needs), mrn=merged_mrn(kept, removed)
        )
        audit.record(MERGE, actor_kind="staff", actor_id=staff_id, record_type="patient", record_id=removed.id,
                     patient_id=kept.id, channel=channel, detail=audit_detail(kept.id, removed.id, moved))  # fmt: skip
    return Merged(kept.id, removed.id, moved)


def possible_duplicates(patient: PatientRecord, *, limit: int = 5) -> list[PatientRecord]:
    """Other records that may be the same person (the phone console's duplicate warning, run on
    this record's details): a record a web booking made with new contact details is found here."""
    return likely_duplicates(details_on_file(patient), limit=limit, excluding=patient.id)


def merged_into(patient_id: int) -> int | None:
    """The record a record that is gone was merged into (None: it was not merged)."""
    return store_merge.merged_into(patient_id)
