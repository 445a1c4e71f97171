"""A visit as saved: the appointment with its patient, provider, room and the time it takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.catalog import Room
from scheduler.domain.catalog import kind_label
from scheduler.domain.intervals import Interval
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import Intake
from scheduler.domain.slots import patient_resource
from scheduler.domain.slots import provider_resource
from scheduler.domain.slots import room_resource


@dataclass(frozen=True)
class ProviderRef:
    id: int
    name: str
    specialty: str
    kind: str = ""  # a catalog.ProviderKind value

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind) if self.kind else ""


@dataclass(frozen=True)
class ReservedTime:
    """One resource's time taken by the visit (the provider, the room, the patient; see
    :mod:`scheduler.domain.slots` for the resource keys)."""

    resource: str
    start: datetime
    end: datetime
    active: bool = True


@dataclass(frozen=True)
class Visit:
    """An appointment as saved, whole: what a booking, a move or a cancellation hands back."""

    id: int
    reference: str
    status: AppointmentStatus
    channel: str
    visit_type_id: int
    visit_type_code: str
    starts_at: datetime
    ends_at: datetime
    patient: PatientRecord
    provider: ProviderRef
    room: Room | None
    reservations: tuple[ReservedTime, ...]
    version: int
    manage_nonce: str
    request_id: int | None
    created_at: datetime
    updated_at: datetime
    urgent: bool = False
    intake: Intake | None = None  # the patient's answers when booking; None when placed without questions

    # The ids by the names the appointment's columns have, for presenters that take either.
    @property
    def patient_id(self) -> int:
        return self.patient.id

    @property
    def provider_id(self) -> int:
        return self.provider.id

    @property
    def room_id(self) -> int | None:
        return self.room.id if self.room else None


def times_taken(
    visit: Interval, *, provider_id: int, room_id: int | None = None, patient_id: int | None = None
) -> tuple[ReservedTime, ...]:
    """The time a visit (or a hold) takes: its provider's, its room's when it has one, and the
    patient's when known (a patient cannot be in two visits at once)."""
    keys = [provider_resource(provider_id)]
    if room_id is not None:
        keys.append(room_resource(room_id))
    if patient_id is not None:
        keys.append(patient_resource(patient_id))
    return tuple(ReservedTime(key, visit.start, visit.end) for key in keys)
