"""Finding patients as phone staff type, and warning about likely duplicates."""

from __future__ import annotations

from datetime import datetime

import jellyfish
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.patients import PatientDetails
from scheduler.domain.search import parse_patient_query
from scheduler.store import models
from scheduler.store.engine import db

SEARCH_LIMIT = 10
# Names this alike (Jaro-Winkler) count as "similar" for the duplicate warning: catches typos
# and spelling variants (Steven/Stephen, Lee/Leigh come through the phonetic code as well).
SIMILAR_NAME = 0.88


def _like_prefix(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_patients(text: str, *, limit: int = SEARCH_LIMIT, now: datetime | None = None) -> list[models.Patient]:
    """Patients matching every part of ``text`` (names by their beginnings, a birth date exactly,
    phone digits anywhere at the end of the number), family name order; at most ``limit``."""
    query = parse_patient_query(text, clinic_today(now or utc_now()))
    if query.empty:
        return []
    p = models.Patient
    conditions = []
    for word in query.words:
        pattern = _like_prefix(word)
        conditions.append(
            or_(
                func.lower(p.family_name).like(pattern, escape="\\"),
                func.lower(p.given_name).like(pattern, escape="\\"),
            )
        )
    if query.birth_date is not None:
        conditions.append(p.birth_date == query.birth_date)
    if query.phone_digits is not None:
        conditions.append(p.phone.like("%" + query.phone_digits))
    return list(
        db.session.execute(
            select(p)
            .where(and_(*conditions))
            .order_by(func.lower(p.family_name), func.lower(p.given_name), p.id)
            .limit(limit)
        ).scalars()
    )


def _similar(a: str, b: str) -> bool:
    a, b = a.strip().lower(), b.strip().lower()
    if not a or not b:
        return False
    return (
        a == b
        or jellyfish.metaphone(a) == jellyfish.metaphone(b)
        or jellyfish.jaro_winkler_similarity(a, b) >= SIMILAR_NAME
    )


def likely_duplicates(details: PatientDetails, *, limit: int = 5) -> list[models.Patient]:
    """Existing patients who may be the same person: the same birth date and a similar family
    name, or the same phone, or the same email. A warning for staff, never a block."""
    p = models.Patient
    matches = [p.birth_date == details.birth_date]
    if details.phone:
        matches.append(p.phone == details.phone)
    if details.email:
        matches.append(p.email == details.email)
    candidates = db.session.execute(select(p).where(or_(*matches)).order_by(p.id).limit(200)).scalars()
    found = []
    for candidate in candidates:
        same_contact = (details.phone and candidate.phone == details.phone) or (
            details.email and candidate.email == details.email
        )
        if same_contact or _similar(candidate.family_name, details.family_name):
            found.append(candidate)
        if len(found) == limit:
            break
    return found
