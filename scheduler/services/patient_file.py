"""The patient record for staff: read (every view written in the audit trail), contact details
changed (audited, naming what changed but never the values), and who did what to a visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.patient_file import PatientFile
from scheduler.domain.patient_file import VisitChange
from scheduler.domain.patient_file import flags_of
from scheduler.domain.patient_file import split_visits
from scheduler.domain.patient_file import visit_changes
from scheduler.domain.patients import PatientRecord
from scheduler.services import audit
from scheduler.services.patients import patient_with_id
from scheduler.store import patient_file as store_file
from scheduler.store import patient_merge as store_merge
from scheduler.store.unit_of_work import unit_of_work

VIEW = "patient.view"
CONTACT_CHANGE = "patient.contact-update"


def read_file(patient: PatientRecord, *, now: datetime | None = None) -> PatientFile:
    """Everything the record shows about ``patient`` (read only, not audited: for a page that has
    audited its own view, such as the phone console's)."""
    now = now or utc_now()
    needs = store_file.needs(patient.id)
    visits = store_file.visits(patient.id)
    requests = store_file.requests(patient.id)
    requests.sort(key=lambda r: not r.open)  # open first; newest first within each (a stable sort)
    upcoming, past = split_visits(visits, now)
    return PatientFile(
        patient=patient,
        needs=needs,
        upcoming=upcoming,
        past=past,
        requests=requests,
        messages=store_file.messages(patient.id),
        trail=store_file.trail(store_merge.trail_spans(patient.id)),
        flags=flags_of(visits, requests, needs, now),
    )


def open_file(patient_id: int, *, staff_id: int, channel: str = "web", now: datetime | None = None) -> PatientFile:
    """The record of a patient for a member of staff, and the audit row of that view (a PHI view),
    in one unit of work: the trail the page shows already holds this view. Raises NotFound."""
    with unit_of_work():
        patient = patient_with_id(patient_id)
        if patient is None:
            raise NotFound("No such patient.")
        audit.record(VIEW, actor_kind="staff", actor_id=staff_id, record_type="patient", record_id=patient.id,
                     patient_id=patient.id, channel=channel, detail="patient record")  # fmt: skip
        return read_file(patient, now=now)


@dataclass(frozen=True)
class Contact:
    """Contact details as validated by the form (phone in E.164, email normalized)."""

    phone: str | None
    email: str | None
    sms_consent: bool
    needs: ContactNeeds


def contact_of(patient: PatientRecord) -> Contact:
    return Contact(patient.phone, patient.email, patient.sms_consent, store_file.needs(patient.id))


def _changed(before: Contact, after: Contact) -> list[str]:
    """What changed, in words without the values (the trail holds no PHI)."""
    changed = [name for name, old, new in (("phone", before.phone, after.phone), ("email", before.email, after.email))
               if old != new]  # fmt: skip
    if before.sms_consent != after.sms_consent:
        changed.append("text consent given" if after.sms_consent else "text consent withdrawn")
    if before.needs.interpreter_language != after.needs.interpreter_language:
        changed.append("interpreter")
    if before.needs.access_needs != after.needs.access_needs:
        changed.append("access needs")
    return changed


def change_contact(
    patient_id: int, contact: Contact, *, staff_id: int, channel: str = "web", now: datetime | None = None
) -> list[str]:
    """Save the patient's contact details and the audit row naming what changed, together.
    Returns what changed (empty: nothing did, and nothing is written). Raises NotFound."""
    now = now or utc_now()
    with unit_of_work():
        patient = patient_with_id(patient_id)
        if patient is None:
            raise NotFound("No such patient.")
        changed = _changed(contact_of(patient), contact)
        if changed:
            store_file.save_contact(patient.id, phone=contact.phone, email=contact.email,
                                    sms_consent=contact.sms_consent, needs=contact.needs, now=now)  # fmt: skip
            audit.record(CONTACT_CHANGE, actor_kind="staff", actor_id=staff_id, record_type="patient",
                         record_id=patient.id, patient_id=patient.id, channel=channel,
                         detail="changed: " + ", ".join(changed))  # fmt: skip
    return changed


def visit_history(
    *, appointment_id: int, reference: str, patient_id: int, channel: str, created_at: datetime,
    request_id: int | None,
) -> list[VisitChange]:  # fmt: skip
    """Who booked, moved, cancelled or changed the status of the visit, and how (read only)."""
    events = store_file.visit_events(store_merge.trail_spans(patient_id), appointment_id, reference)
    placed_from = store_file.request_channel(request_id) if request_id is not None else None
    return visit_changes(
        events,
        visit_channel=channel,
        created_at=created_at,
        request_reference=placed_from[0] if placed_from else None,
        request_channel=placed_from[1] if placed_from else None,
    )


def patient_names(patient_ids: list[int]) -> dict[int, str]:
    """ "Lee, Ann" by id, for pages listing patients by id (the audit trail)."""
    return store_file.names_of(sorted(set(patient_ids)))
