"""The rules of merging two records of one patient (domain.patient_merge), as the clinic's policy."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_merge import SAME_RECORD
from scheduler.domain.patient_merge import TWO_MRNS
from scheduler.domain.patient_merge import HeldTime
from scheduler.domain.patient_merge import MergeSide
from scheduler.domain.patient_merge import MovedCounts
from scheduler.domain.patient_merge import audit_detail
from scheduler.domain.patient_merge import merged_mrn
from scheduler.domain.patient_merge import merged_needs
from scheduler.domain.patient_merge import refusal
from scheduler.domain.patients import PatientRecord

NINE = datetime(2027, 3, 8, 15, tzinfo=UTC)  # 9 a.m. CST


def record(id_: int, mrn: str | None = None) -> PatientRecord:
    return PatientRecord(id_, "Ann", "Lee", date(1970, 2, 3), "+15075550101", None, False, mrn)


def side(id_: int, *held: tuple[str, datetime, int], mrn: str | None = None) -> MergeSide:
    times = [HeldTime(ref, start, start + timedelta(minutes=minutes)) for ref, start, minutes in held]
    return MergeSide(record(id_, mrn), ContactNeeds(), times)


def test_two_records_without_visits_at_the_same_time_can_be_merged():
    kept = side(1, ("SIJ-AAAA-0001", NINE, 60))
    other = side(2, ("SIJ-BBBB-0002", NINE + timedelta(hours=1), 60))  # back to back is fine
    assert refusal(kept, other) is None


def test_visits_at_overlapping_times_refuse_the_merge_naming_both_and_their_times():
    kept = side(1, ("SIJ-AAAA-0001", NINE, 60))
    other = side(2, ("SIJ-BBBB-0002", NINE + timedelta(minutes=30), 60))
    reason = refusal(kept, other)
    assert reason is not None and reason.startswith("Both records have a visit at the same time")
    assert "SIJ-AAAA-0001 (Monday, March 8, 2027, 9 a.m. CST)" in reason
    assert "SIJ-BBBB-0002 (Monday, March 8, 2027, 9:30 a.m. CST)" in reason


def test_a_record_is_never_merged_with_itself():
    assert refusal(side(1), side(1)) == SAME_RECORD


def test_two_different_medical_record_numbers_refuse_the_merge_but_one_or_the_same_does_not():
    assert refusal(side(1, mrn="A1"), side(2, mrn="B2")) == TWO_MRNS
    assert refusal(side(1, mrn="A1"), side(2, mrn="A1")) is None
    assert refusal(side(1), side(2, mrn="B2")) is None
    assert merged_mrn(record(1), record(2, "B2")) == "B2"
    assert merged_mrn(record(1, "A1"), record(2)) == "A1"


def test_needs_the_kept_record_lacks_are_taken_from_the_other():
    kept, other = ContactNeeds("", "Uses a wheelchair"), ContactNeeds("Hmong", "Hard of hearing")
    assert merged_needs(kept, other) == ContactNeeds("Hmong", "Uses a wheelchair")


def test_the_audit_detail_names_record_ids_and_counts_only():
    detail = audit_detail(12, 17, MovedCounts(visits=2, requests=1, waitlist=0))
    assert detail == "record 17 merged into record 12 (kept); moved: visits 2, requests 1, waitlist entries 0"
