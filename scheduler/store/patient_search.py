"""Finding patients by what phone staff type, and the records a new patient may duplicate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.search import PatientQuery
from scheduler.store import models
from scheduler.store.engine import db

_p = models.Patient
_RECORD = (_p.id, _p.given_name, _p.family_name, _p.birth_date, _p.phone, _p.email, _p.sms_consent)


def _like_prefix(word: str) -> str:
    """A LIKE pattern for text beginning with ``word``, its own % and _ taken literally."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def patients_matching(query: PatientQuery, *, limit: int) -> list[PatientRecord]:
    """Patients matching every part of a non-empty ``query``: each word begins the family or the
    given name (case-insensitively), the birth date is the one given, the phone number ends in the
    digits given, the visit or request of the reference given is theirs. By family name, then
    given name; at most ``limit``."""
    conditions: list[Any] = []
    for word in query.words:
        pattern = _like_prefix(word)
        conditions.append(
            or_(
                func.lower(_p.family_name).like(pattern, escape="\\"),
                func.lower(_p.given_name).like(pattern, escape="\\"),
            )
        )
    if query.birth_date is not None:
        conditions.append(_p.birth_date == query.birth_date)
    if query.phone_digits is not None:
        conditions.append(_p.phone.like("%" + query.phone_digits))
    if query.reference is not None:
        # The visit's or the request's patient: one row through the reference's unique index.
        owner = models.VisitRequest if query.reference.startswith("REQ-") else models.Appointment
        conditions.append(_p.id.in_(select(owner.patient_id).where(owner.reference == query.reference)))
    rows = db.session.execute(
        select(*_RECORD)
        .where(and_(*conditions))
        .order_by(func.lower(_p.family_name), func.lower(_p.given_name), _p.id)
        .limit(limit)
    )
    return [_record(row) for row in rows]


def sharing_birth_date_or_contact(details: PatientDetails, *, limit: int) -> list[PatientRecord]:
    """Patients with the birth date, the phone or the email of ``details``: the candidates a
    duplicate check looks at more closely. Oldest records first; at most ``limit``."""
    matches = [_p.birth_date == details.birth_date]
    if details.phone:
        matches.append(_p.phone == details.phone)
    if details.email:
        matches.append(_p.email == details.email)
    rows = db.session.execute(select(*_RECORD).where(or_(*matches)).order_by(_p.id).limit(limit))
    return [_record(row) for row in rows]


def _record(row: Any) -> PatientRecord:
    patient_id, given_name, family_name, birth_date, phone, email, sms_consent = row
    return PatientRecord(patient_id, given_name, family_name, birth_date, phone, email, bool(sms_consent))
