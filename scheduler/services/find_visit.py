"""Find my visit: a patient who lost their link gives its reference and their date of birth, and
the link goes again to the email (and a pointer to it by text, with consent) on file.

Nothing is shown to whoever asks, and they are told the same whether or not the details matched,
so the page cannot be used to learn whether a reference exists or whose birthday it is. Both
outcomes do the same kind of work (two lookups by unique index, then one write transaction), so
that the answer's timing says no more than its words.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime

from scheduler.domain.clock import utc_now
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import on_link_asked_for
from scheduler.domain.patients import PatientRecord
from scheduler.services import audit
from scheduler.services import outbox
from scheduler.store import bookings as store_bookings
from scheduler.store import request_queue as store_queue
from scheduler.store import requests as store_requests
from scheduler.store.unit_of_work import unit_of_work

MATCHED = "link.resend"
UNMATCHED = "link.resend-unmatched"
_NOT_REFERENCE = re.compile(r"[^A-Z0-9-]")


def normalize_reference(typed: str) -> str:
    """A reference as typed ("sij abcd efgh", "REQ-ABCD-EFGH ") in its stored form, as far as it
    can be told: upper case, spaces and other characters out, the prefix's hyphen put back."""
    text = _NOT_REFERENCE.sub("", (typed or "").upper().replace(" ", "-"))
    text = re.sub("-+", "-", text).strip("-")
    body = text.replace("-", "")
    for prefix in ("SIJ", "REQ"):
        if body.startswith(prefix) and len(body) == len(prefix) + 8:
            rest = body[len(prefix) :]
            return f"{prefix}-{rest[:4]}-{rest[4:]}"
    return text[:20]


def send_link_again(reference: str, birth_date: date, *, client: str | None, now: datetime | None = None) -> bool:
    """Queue the link to the visit or request ``reference`` to its patient's email and phone on
    file, when ``birth_date`` is theirs; True when it matched (for tests and the audit trail: the
    patient's page must not tell). A link already waiting to be sent is not queued twice.
    Audited either way, with ids only; a mismatch is counted per client (``audit.refused``)."""
    now = now or utc_now()
    reference = normalize_reference(reference)
    with unit_of_work():
        appointment = store_bookings.appointment_by_reference(reference)
        visit_request = store_requests.request_by_reference(reference)
        patient: PatientRecord | None = None
        about: dict[str, int] = {}
        if appointment is not None:
            visit = store_bookings.visit(appointment.id)
            patient, about = (visit.patient if visit else None), {"appointment_id": appointment.id}
        elif visit_request is not None:
            on_file = store_queue.request_on_file(visit_request.id)
            patient, about = (on_file.patient if on_file else None), {"request_id": visit_request.id}
        if patient is None or patient.birth_date != birth_date:
            audit.refused(
                UNMATCHED,
                client=client,
                actor_kind="patient",
                actor_id=None,
                record_type="appointment" if appointment is not None else "visit_request",
                record_id=None,
                channel="web",
                detail="no visit or request with that reference and date of birth",
                now=now,
            )
            return False
        kind = MessageKind.LINK_RESENT.value
        planned = on_link_asked_for(outbox.reach(patient), now)
        if not planned:
            detail = "no email or texts on file"
        elif store_requests.pending_message(kind=kind, **about):
            detail = "already waiting to be sent"
        else:
            outbox.queue(planned, version=store_requests.next_message_version(kind=kind, **about), **about)
            detail = "queued on " + ", ".join(p.channel.value for p in planned)
        audit.record(
            MATCHED,
            actor_kind="patient",
            actor_id=None,
            record_type="appointment" if appointment is not None else "visit_request",
            record_id=next(iter(about.values())),
            patient_id=patient.id,
            channel="web",
            detail=detail,
            at=now,
        )
        return True
