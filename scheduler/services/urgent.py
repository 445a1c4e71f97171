"""What an urgent patient is told, and by when the clinic calls them back (see domain.urgent)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from scheduler.domain.clock import utc_now
from scheduler.domain.urgent import ClinicNow
from scheduler.domain.urgent import clinic_now
from scheduler.services import clinic
from scheduler.services import clinic_details
from scheduler.settings import settings


def call_back_target() -> timedelta:
    return timedelta(minutes=settings().urgent_call_back_minutes)


def clinic_status(now: datetime | None = None) -> ClinicNow:
    """Whether the clinic is open now, when it next opens, and by when an urgent request made now
    must be called back."""
    now = now or utc_now()
    return clinic_now(clinic.current_catalog(now).calendar, now, call_back_target())


def urgent_advice() -> str:
    """The refusal a routine booking with red-flag answers gets, on every channel."""
    phone = clinic_details.current().phone
    return (
        f"Your answers need an urgent visit, which we arrange by phone: call the clinic now on {phone}. "
        "If your symptoms are severe, go to an emergency department or call 911."
    )
