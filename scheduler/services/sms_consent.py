"""Text-message consent: withdrawn by the patient's own reply (STOP), honoured at once; and given
only for numbers of the countries the clinic texts (SMS_COUNTRIES)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import phonenumbers

from scheduler.delivery.sms import twilio_signature
from scheduler.settings import settings
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


# How a country reads in "numbers in ...": phonenumbers' region codes of the numbering plans a
# clinic in the US is likely to allow; any other reads as its code.
COUNTRY_NAMES = {"US": "the United States", "CA": "Canada", "PR": "Puerto Rico", "MX": "Mexico", "GB": "the UK"}


def texts_allowed_to(phone: str | None) -> bool:
    """Whether texts may go to ``phone`` (E.164): a number of one of the SMS_COUNTRIES. Decided by
    the number's region, not its calling code: +1 is also Jamaica's and twenty other countries'."""
    if not phone:
        return False
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(parsed) in settings().sms_countries


def texts_only_to_message() -> str:
    """The refusal of consent to texts for a number of another country, naming those texted."""
    countries = [COUNTRY_NAMES.get(code, code) for code in settings().sms_countries]
    if not countries:
        return "We do not send text messages. Leave text messages unticked."
    named = countries[0] if len(countries) == 1 else ", ".join(countries[:-1]) + " or " + countries[-1]
    return (
        f"We can send text messages only to numbers in {named}. Give a number there, or leave text messages unticked."
    )
