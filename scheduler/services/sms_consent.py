"""Text-message consent withdrawn by the patient's own reply (STOP), honoured at once."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.messages import Channel
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work


def opt_out(phone: str) -> int:
    """Withdraw SMS consent of every patient with ``phone`` (E.164) and every text still queued for
    them, in one transaction; returns how many patients had consented until now (0: nothing
    changed, so the caller sends no second confirmation).

    A text already claimed by the worker is not sent either: it re-reads consent when it composes.
    The phone number is matched, never logged.
    """
    with unit_of_work():
        patient_ids = select(models.Patient.id).where(models.Patient.phone == phone).scalar_subquery()
        withdrawn = db.session.execute(
            update(models.Patient)
            .where(models.Patient.phone == phone, models.Patient.sms_consent.is_(True))
            .values(sms_consent=False)
        ).rowcount
        outbox = models.OutboxMessage
        db.session.execute(
            update(outbox)
            .where(
                outbox.channel == Channel.SMS.value,
                outbox.status == "queued",
                or_(
                    outbox.appointment_id.in_(
                        select(models.Appointment.id).where(models.Appointment.patient_id.in_(patient_ids))
                    ),
                    outbox.request_id.in_(
                        select(models.VisitRequest.id).where(models.VisitRequest.patient_id.in_(patient_ids))
                    ),
                ),
            )
            .values(status="withdrawn")
        )
    return int(withdrawn)
