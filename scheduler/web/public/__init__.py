"""The patient's pages: request or book a visit, then view, cancel or move it through the link."""

from datetime import datetime

from flask import Blueprint

from scheduler.domain.bookings import describe_time
from scheduler.domain.catalog import kind_label
from scheduler.domain.catalog import with_kind
from scheduler.domain.time_words import long_when

bp = Blueprint("public", __name__)


@bp.app_template_filter("central_time")
def central_time(moment: datetime) -> str:
    """ "9 a.m. CST", "9:15 a.m. CDT": the clinic's wall clock with its abbreviation."""
    return describe_time(moment)


@bp.app_template_filter("central_when")
def central_when(moment: datetime) -> str:
    """ "Tuesday, December 8, 2026 at 9:15 a.m. CST": a day and a time, in Central time."""
    return long_when(moment)


@bp.app_template_filter("provider_kind")
def provider_kind(kind: str) -> str:
    """ "Physical therapist": a provider's kind in words (patients' and staff pages alike)."""
    return kind_label(kind)


@bp.app_template_filter("with_kind")
def provider_with_kind(provider: object) -> str:
    """ "Grace Thorsen, PT (physical therapist)" for anything with a name and a kind."""
    return with_kind(getattr(provider, "name", ""), getattr(provider, "kind", ""))


from scheduler.web.public import book_again as book_again  # noqa: E402  (registers the routes)
from scheduler.web.public import find as find  # noqa: E402
from scheduler.web.public import manage as manage  # noqa: E402
from scheduler.web.public import request_page as request_page  # noqa: E402
from scheduler.web.public import views as views  # noqa: E402
from scheduler.web.public import waitlist as waitlist  # noqa: E402
