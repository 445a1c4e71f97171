"""Text-message consent withdrawn by phone number (a STOP reply), with the texts still queued."""

from __future__ import annotations

from typing import Any
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain.messages import Channel
from scheduler.domain.messages import OutboxStatus
from scheduler.store import models
from scheduler.store.engine import db


def withdraw_consent(phone: str) -> int:
    """Withdraw the SMS consent of every patient with ``phone`` and every text still queued for
    them; how many patients had consented until now. Call inside a unit of work."""
    patient_ids = select(models.Patient.id).where(models.Patient.phone == phone).scalar_subquery()
    withdrawn = cast(
        CursorResult[Any],
        db.session.execute(
            update(models.Patient)
            .where(models.Patient.phone == phone, models.Patient.sms_consent.is_(True))
            .values(sms_consent=False)
        ),
    ).rowcount
    outbox = models.OutboxMessage
    db.session.execute(
        update(outbox)
        .where(
            outbox.channel == Channel.SMS.value,
            outbox.status == OutboxStatus.QUEUED,
            or_(
                outbox.appointment_id.in_(
                    select(models.Appointment.id).where(models.Appointment.patient_id.in_(patient_ids))
                ),
                outbox.request_id.in_(
                    select(models.VisitRequest.id).where(models.VisitRequest.patient_id.in_(patient_ids))
                ),
            ),
        )
        .values(status=OutboxStatus.WITHDRAWN)
    )
    return int(withdrawn)
