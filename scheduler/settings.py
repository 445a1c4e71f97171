"""The scheduler's own settings, typed: one place that reads them from the app's config.

The defaults and what each setting means are in :mod:`scheduler.config`; values come from the
environment as ``SCHEDULER_<KEY>`` (see ``create_app``). Each property reads the current config,
so a setting changed on a running app (tests point the mail at their own SMTP server) is seen at
once; :func:`check` reads them all when the app is made, so a value of the wrong type stops the
app at start-up with the setting's name, not at the first booking or message that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import current_app


class Settings:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    def _int(self, key: str) -> int:
        return int(self._config[key])

    def _text(self, key: str) -> str:
        return str(self._config[key] or "")

    def _positive(self, key: str) -> int:
        value = self._int(key)
        if value < 1:
            raise ValueError(f"{value} is not a positive number")
        return value

    # ----- the clinic, as messages and pages name it
    @property
    def clinic_name(self) -> str:
        return self._text("CLINIC_NAME")

    @property
    def clinic_phone(self) -> str:
        return self._text("CLINIC_PHONE")

    @property
    def public_base_url(self) -> str:
        return self._text("PUBLIC_BASE_URL").rstrip("/")

    @property
    def patient_mrn_system(self) -> str:
        """The system of patients' medical record numbers (PATIENT_MRN_SYSTEM, or this service's own)."""
        return self._text("PATIENT_MRN_SYSTEM").strip() or f"{self.public_base_url}/fhir/sid/mrn"

    @property
    def secret_key(self) -> str:
        return self._text("SECRET_KEY")

    @property
    def proxy_hops(self) -> int:
        hops = self._int("PROXY_HOPS")
        if hops < 0:
            raise ValueError(f"{hops} is not a number of proxies")
        return hops

    # ----- booking
    @property
    def min_notice_minutes(self) -> int:
        return self._int("MIN_NOTICE_MINUTES")

    @property
    def hold_minutes(self) -> int:
        return self._int("HOLD_MINUTES")

    @property
    def holds_per_client(self) -> int:
        return self._positive("HOLDS_PER_CLIENT")

    @property
    def holds_per_integration(self) -> int:
        return self._positive("HOLDS_PER_INTEGRATION")

    @property
    def routine_call_back_days(self) -> int:
        days = self._int("ROUTINE_CALL_BACK_DAYS")
        if not 1 <= days <= 20:
            raise ValueError(f"ROUTINE_CALL_BACK_DAYS is {days}: give a number of clinic days from 1 to 20")
        return days

    @property
    def urgent_call_back_minutes(self) -> int:
        minutes = self._int("URGENT_CALL_BACK_MINUTES")
        if minutes <= 0:
            raise ValueError(f"{minutes} minutes is no time to call an urgent patient back in")
        return minutes

    @property
    def cache_size(self) -> int:
        return self._int("CACHE_SIZE")

    @property
    def cache_max_bytes(self) -> int:
        limit = self._int("CACHE_MAX_BYTES")
        if limit < 0:
            raise ValueError(f"{limit} is not a number of bytes")
        return limit

    @property
    def availability_max_days(self) -> int:
        return self._int("AVAILABILITY_MAX_DAYS")

    @property
    def manage_token_max_age_days(self) -> int:
        return self._int("MANAGE_TOKEN_MAX_AGE_DAYS")

    # ----- email
    @property
    def mail_smtp_host(self) -> str:
        return self._text("MAIL_SMTP_HOST")

    @property
    def mail_smtp_port(self) -> int:
        return self._int("MAIL_SMTP_PORT")

    @property
    def mail_smtp_starttls(self) -> bool:
        return bool(self._config["MAIL_SMTP_STARTTLS"])

    @property
    def mail_smtp_username(self) -> str:
        return self._text("MAIL_SMTP_USERNAME")

    @property
    def mail_smtp_password(self) -> str:
        return self._text("MAIL_SMTP_PASSWORD")

    @property
    def mail_from(self) -> str:
        return self._text("MAIL_FROM")

    @property
    def mail_domain(self) -> str:
        return self._text("MAIL_DOMAIN")

    @property
    def mail_folder(self) -> str:
        return self._text("MAIL_FOLDER")

    # ----- texts
    @property
    def sms_base_url(self) -> str:
        return self._text("SMS_BASE_URL")

    @property
    def sms_account_sid(self) -> str:
        return self._text("SMS_ACCOUNT_SID")

    @property
    def sms_auth_token(self) -> str:
        return self._text("SMS_AUTH_TOKEN")

    @property
    def sms_from(self) -> str:
        return self._text("SMS_FROM")

    @property
    def sms_sender_label(self) -> str:
        return self._text("SMS_SENDER_LABEL")

    @property
    def sms_webhook_url(self) -> str:
        return self._text("SMS_WEBHOOK_URL")

    @property
    def sms_countries(self) -> tuple[str, ...]:
        """The regions (ISO 3166 alpha-2, as phonenumbers names them: "US", "CA") whose numbers may
        be texted; empty: none."""
        value = self._config["SMS_COUNTRIES"]
        codes = [value] if isinstance(value, str) else list(value or ())
        if not all(isinstance(code, str) and len(code) == 2 and code.isalpha() for code in codes):
            raise ValueError(f'{value!r} is not a list of two-letter country codes such as ["US"]')
        return tuple(code.upper() for code in codes)

    # ----- the message worker
    @property
    def jobs_interval_seconds(self) -> int:
        return self._int("JOBS_INTERVAL_SECONDS")

    @property
    def outbox_batch(self) -> int:
        return self._int("OUTBOX_BATCH")

    @property
    def outbox_lease_seconds(self) -> float:
        return float(self._config["OUTBOX_LEASE_SECONDS"])

    # ----- rate limits (Flask-Limiter's own syntax, "30 per minute")
    @property
    def ratelimit_public_read(self) -> str:
        return self._text("RATELIMIT_PUBLIC_READ")

    @property
    def ratelimit_public_write(self) -> str:
        return self._text("RATELIMIT_PUBLIC_WRITE")

    @property
    def ratelimit_staff_login(self) -> str:
        return self._text("RATELIMIT_STAFF_LOGIN")

    @property
    def ratelimit_fhir(self) -> str:
        return self._text("RATELIMIT_FHIR")

    # ----- staff sessions
    @property
    def staff_idle_minutes(self) -> int:
        return self._int("STAFF_IDLE_MINUTES")

    @property
    def staff_session_max_hours(self) -> int:
        return self._int("STAFF_SESSION_MAX_HOURS")


def settings() -> Settings:
    """The settings of the current app."""
    return Settings(current_app.config)


def check(app: Flask) -> None:
    """Read every setting once; raises ValueError naming the one whose value has the wrong type."""
    found = Settings(app.config)
    for name in dir(Settings):
        if isinstance(getattr(Settings, name), property):
            try:
                getattr(found, name)
            except (TypeError, ValueError) as error:
                raise ValueError(f"SCHEDULER_{name.upper()} has a value of the wrong type: {error}") from None
