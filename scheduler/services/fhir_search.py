"""The read side of the FHIR API: appointments, patients and busy times.

Turning them into FHIR resources is the web layer's job (scheduler.web.fhir.resources); the
queries are the store's (scheduler.store.search), each bounded (a page of appointments, the
reservations of one window). Appointments and patients come back as loaded rows: the API presents
their own columns, and :data:`AppointmentRow` and :data:`PatientRow` name them for the web layer,
which never imports the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypeAlias

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.intervals import Interval
from scheduler.store import models
from scheduler.store import search
from scheduler.store.search import AppointmentFilter as AppointmentFilter
from scheduler.store.search import AppointmentPage as AppointmentPage
from scheduler.store.search import BusyTime as BusyTime

AppointmentRow: TypeAlias = models.Appointment
PatientRow: TypeAlias = models.Patient


def search_appointments(where: AppointmentFilter, *, offset: int, count: int) -> AppointmentPage:
    """One page, earliest start first (ties by id, so pages never overlap), and the total.

    ``where`` may name any FHIR status: one no stored appointment can have (proposed, waitlist,
    checked-in) matches nothing, and leaving it out changes nothing."""
    stored = {status.value for status in AppointmentStatus}
    if where.statuses and not stored & set(where.statuses):
        return AppointmentPage([], 0)
    where = replace(
        where,
        statuses=tuple(s for s in where.statuses if s in stored),
        excluded_statuses=tuple(s for s in where.excluded_statuses if s in stored),
    )
    return search.search_appointments(where, offset=offset, count=count)


def appointment(reference: str) -> AppointmentRow | None:
    return search.appointment(reference)


def patient(patient_id: int) -> PatientRow | None:
    return search.patient(patient_id)


def busy_time(reservation_id: int) -> BusyTime | None:
    """One active reservation, or None (no such reservation, or released)."""
    return search.busy_time(reservation_id)


def busy_times(resources: Iterable[str], window: Interval) -> list[BusyTime]:
    """Active reservations of ``resources`` overlapping ``window``, earliest first."""
    return search.busy_times(resources, window)
