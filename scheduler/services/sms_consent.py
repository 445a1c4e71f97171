"""Text-message consent withdrawn by the patient's own reply (STOP), honoured at once."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from scheduler.delivery.sms import twilio_signature
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


def reply_is_from_provider(auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str) -> bool:
    """Whether an inbound reply carries the SMS provider's signature for ``url`` and ``params``
    (compared in constant time): only then may it change anyone's consent."""
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())
