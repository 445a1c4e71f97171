"""Text-message consent withdrawn by the patient's own reply (STOP), honoured at once."""

from __future__ import annotations

from scheduler.store import sms_consent as store_sms_consent
from scheduler.store.unit_of_work import unit_of_work


def opt_out(phone: str) -> int:
    """Withdraw SMS consent of every patient with ``phone`` (E.164) and every text still queued for
    them, in one transaction; returns how many patients had consented until now (0: nothing
    changed, so the caller sends no second confirmation).

    A text already claimed by the worker is not sent either: it re-reads consent when it composes.
    The phone number is matched, never logged.
    """
    with unit_of_work():
        return store_sms_consent.withdraw_consent(phone)
