"""The patient's pages: request or book a visit, then view, cancel or move it through the link."""

from datetime import datetime

from flask import Blueprint

from scheduler.domain.bookings import describe_time

bp = Blueprint("public", __name__)


@bp.app_template_filter("central_time")
def central_time(moment: datetime) -> str:
    """ "9:00 AM CST": the clinic's wall clock with its abbreviation."""
    return describe_time(moment)


from scheduler.web.public import manage as manage  # noqa: E402  (registers the routes)
from scheduler.web.public import views as views  # noqa: E402
