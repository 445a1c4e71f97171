"""The clinic's details for pages: ``clinic()`` in every template (the header's phone, the footer's
address and after-hours advice, the confirmation's "Where"), read once per request."""

from __future__ import annotations

import logging

from flask import Flask
from flask import g
from flask import has_request_context
from flask import request

from scheduler.domain.clinic_details import ClinicDetails
from scheduler.services import clinic_details
from scheduler.settings import settings

log = logging.getLogger(__name__)


def clinic() -> ClinicDetails:
    """The current details, read at most once per request. Every page shows them, error pages
    included, so a failure to read them (the database is down) must not fail the page: it then
    shows the configured name and phone only."""
    # Kept with the request it was read for: a test's app context can outlive many requests.
    asking = request._get_current_object() if has_request_context() else None  # type: ignore[attr-defined]
    memo: tuple[object, ClinicDetails] | None = g.get("clinic_details")
    if memo is not None and asking is not None and memo[0] is asking:
        return memo[1]
    try:
        found = clinic_details.current()
    except Exception as error:  # noqa: BLE001 - any failure: the page still gives the phone
        log.warning("clinic details unavailable (%s): showing the configured name and phone", type(error).__name__)
        config = settings()
        found = ClinicDetails(name=config.clinic_name, phone=config.clinic_phone)
    g.clinic_details = (asking, found)
    return found


def register(app: Flask) -> None:
    app.add_template_global(clinic)
