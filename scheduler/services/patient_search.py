"""Finding patients as phone staff type, warning about likely duplicates, and opening a record."""

from __future__ import annotations

from datetime import datetime

import jellyfish

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.search import parse_patient_query
from scheduler.services import audit
from scheduler.services.patients import patient_with_id
from scheduler.store import patient_search as store_search
from scheduler.store.unit_of_work import unit_of_work

SEARCH_LIMIT = 10
# Names this alike (Jaro-Winkler) count as "similar" for the duplicate warning: catches typos
# and spelling variants (Steven/Stephen, Lee/Leigh come through the phonetic code as well).
SIMILAR_NAME = 0.88
# How many records sharing the birth date or a contact are compared by name, at most.
DUPLICATE_CANDIDATES = 200


def search_patients(text: str, *, limit: int = SEARCH_LIMIT, now: datetime | None = None) -> list[PatientRecord]:
    """Patients matching every part of ``text`` (names by their beginnings, a birth date exactly,
    phone digits anywhere at the end of the number), family name order; at most ``limit``."""
    query = parse_patient_query(text, clinic_today(now or utc_now()))
    if query.empty:
        return []
    return store_search.patients_matching(query, limit=limit)


def _similar(a: str, b: str) -> bool:
    a, b = a.strip().lower(), b.strip().lower()
    if not a or not b:
        return False
    return (
        a == b
        or jellyfish.metaphone(a) == jellyfish.metaphone(b)
        or jellyfish.jaro_winkler_similarity(a, b) >= SIMILAR_NAME
    )


def likely_duplicates(details: PatientDetails, *, limit: int = 5, excluding: int | None = None) -> list[PatientRecord]:
    """Existing patients who may be the same person: the same birth date and a similar family
    name, or the same phone, or the same email. A warning for staff, never a block. ``excluding``:
    a record left out (the record whose details these are)."""
    candidates = store_search.sharing_birth_date_or_contact(details, limit=DUPLICATE_CANDIDATES)
    found = []
    for candidate in candidates:
        if candidate.id == excluding:
            continue
        same_contact = (details.phone and candidate.phone == details.phone) or (
            details.email and candidate.email == details.email
        )
        if same_contact or _similar(candidate.family_name, details.family_name):
            found.append(candidate)
        if len(found) == limit:
            break
    return found


def open_record(patient_id: int, *, staff_id: int, channel: str) -> PatientRecord | None:
    """The patient's record for a member of staff, written in the trail (None: no such patient)."""
    with unit_of_work():
        found = patient_with_id(patient_id)
        if found is not None:
            audit.record("patient.view", actor_kind="staff", actor_id=staff_id, record_type="patient",
                         record_id=found.id, patient_id=found.id, channel=channel)  # fmt: skip
    return found
