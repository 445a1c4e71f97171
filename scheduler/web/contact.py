"""Reading the contact details people type, one way for the JSON API and the web forms alike.

Each function returns the normalized value or raises ValueError with a sentence that says what
to fix; blank input means "not given" (None).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.services.sms_consent import texts_allowed_to
from scheduler.services.sms_consent import texts_only_to_message
from scheduler.web.sane_input import control_problem

PHONE_MESSAGE = "Enter a phone number we can call, like 507-538-1280."
EMAIL_MESSAGE = "Enter an email address like name@example.com."
BIRTH_DATE_MESSAGE = "Enter a real date of birth, in the past."
REACHABLE_MESSAGE = "Give a phone number or an email address so we can reach you."
SMS_NEEDS_PHONE_MESSAGE = "Text messages need a phone number."


def phone_e164(value: str | None) -> str | None:
    """A US (or +country) phone number in E.164, e.g. "+15075381280"."""
    if value is not None and (problem := control_problem(value)):  # phonenumbers would quietly drop a NUL
        raise ValueError(problem)
    if value is None or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value[:40], "US")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValueError(PHONE_MESSAGE)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_address(value: str | None) -> str | None:
    if value is not None and (problem := control_problem(value)):
        raise ValueError(problem)
    if value is None or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(EMAIL_MESSAGE) from None


def birth_date(value: date) -> date:
    if value.year < 1900 or value > clinic_today(utc_now()):
        raise ValueError(BIRTH_DATE_MESSAGE)
    return value


def phone_display(e164: str | None) -> str:
    """How a stored number reads on a page: "(507) 538-1280" for US numbers."""
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164, None)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def sms_country(phone: str | None, sms_consent: bool) -> None:
    """Raise ValueError (saying which countries are texted) when texts are agreed to for a number of
    a country the clinic does not text (SMS_COUNTRIES)."""
    if sms_consent and phone and not texts_allowed_to(phone):
        raise ValueError(texts_only_to_message())


def check_contact_fields(
    phone: Any, email: Any, sms_consent: bool, *, reachable_message: str = REACHABLE_MESSAGE
) -> tuple[str | None, str | None, bool]:
    """The patient and phone-console forms' one contact check, on their WTForms fields: each given
    value must parse, one of the two is needed, and texts need the phone. Messages are appended to
    the fields' errors (a field that already has one is not parsed again); texts are agreed to only
    for a number of the countries the clinic texts. Returns (phone in E.164, normalized email, ok)."""
    values: dict[str, str | None] = {"phone": None, "email": None}
    ok = True
    for name, field, parse in (("phone", phone, phone_e164), ("email", email, email_address)):
        if field.errors:
            continue
        try:
            values[name] = parse(field.data)
        except ValueError as problem:
            field.errors = [*field.errors, str(problem)]
            ok = False
    if not phone.errors and not email.errors and not values["phone"] and not values["email"]:
        phone.errors = [*phone.errors, reachable_message]
        ok = False
    if sms_consent and not values["phone"] and not phone.errors:
        phone.errors = [*phone.errors, SMS_NEEDS_PHONE_MESSAGE]
        ok = False
    try:
        sms_country(values["phone"], sms_consent)
    except ValueError as problem:
        phone.errors = [*phone.errors, str(problem)]
        ok = False
    return values["phone"], values["email"], ok
