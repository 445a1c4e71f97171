"""Staff pages (everything under /staff): home, the outbox, the mail folder and the audit trail.

Every view declares its roles with ``auth.staff_required``; the navigation is built from those
declarations, so a link is shown exactly to the people the page lets in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from flask import Blueprint
from flask import Flask
from flask import request
from flask import url_for
from flask_login import current_user

from scheduler.domain import time_words
from scheduler.web import auth

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The pages in the navigation, in order: (endpoint, title, what it is for).
PAGES = (
    ("staff.home", "Home", "What you can do here."),
    ("staff.calendar_day", "Calendars", "Each specialty's day with providers side by side; a provider's week."),
    ("staff.calendar_rooms", "Rooms", "What is booked in each room (fluoroscopy, X-ray, CT), one day at a time."),
    (
        "staff.admin_home",
        "Admin",
        "Providers' hours and time off, closures, visit types, rooms, routing, accounts, clinic details.",
    ),
    (
        "staff.admin_attention",
        "Needs attention",
        "Visits outside their provider's hours or on a closure, whatever made them so, and the exceptions kept.",
    ),
    ("staff.patients", "Patients", "Find a patient by name, birth date, phone or reference; their whole record."),
    ("staff.phone", "Phone console", "Find a caller, ask their questions, book the next free time and read it back."),
    ("staff.queue", "Requests", "Requests to call back and place, urgent first, with a log of the calls."),
    ("staff.waitlist", "Waitlist", "Who waits for an earlier time, by specialty, and the offers they were sent."),
    ("staff.messages", "Messages", "Email and text messages waiting, sent, or failed; send a dead one again."),
    ("staff.mail", "Mail folder", "Email kept on this server while no mail server is set up."),
    ("staff.audit", "Audit trail", "Who saw or changed what, and when; export it as CSV."),
)


@dataclass(frozen=True)
class NavLink:
    url: str
    title: str
    description: str
    current: bool


@bp.app_template_global()
def staff_nav() -> list[NavLink]:
    """The staff pages the signed-in person's role may open (none when nobody is signed in)."""
    if not current_user.is_authenticated or current_user.must_change_password:
        return []  # a temporary password opens nothing but the page to change it
    return [
        NavLink(url_for(endpoint), title, description, request.endpoint == endpoint)
        for endpoint, title, description in PAGES
        if current_user.role in (auth.roles_of(endpoint) or ())
    ]


# How staff pages write times and dates: the patients' style, from domain.time_words (the one
# place it is decided). Machine formats (the day list's CSV, the audit CSV, URLs) stay ISO-8601.


@bp.app_template_filter("staff_time")
def staff_time(moment: datetime | None, seconds: bool = False) -> str:
    """A moment in a table or a list: "Mon Mar 8, 2027 at 8:45 a.m. CST" (empty for None)."""
    if moment is None:
        return ""
    return time_words.short_when(moment, seconds=seconds)


@bp.app_template_filter("birth_date")
def birth_date(day: date) -> str:
    """A birth date on every staff page: "03/27/1970"."""
    return time_words.birth_date(day)


@bp.app_template_filter("short_day")
def short_day(day: date | datetime) -> str:
    """ "Mon Mar 8, 2027" (an instant: its Central date)."""
    return time_words.short_day(day)


@bp.app_template_filter("long_day")
def long_day(day: date | datetime) -> str:
    """ "Monday, March 8, 2027" (an instant: its Central date)."""
    return time_words.long_day(day)


def register(app: Flask) -> None:
    auth.register(app)
    app.register_blueprint(bp)


from scheduler.web.staff import accounts as accounts  # noqa: E402
from scheduler.web.staff import admin as admin  # noqa: E402
from scheduler.web.staff import admin_clinic as admin_clinic  # noqa: E402
from scheduler.web.staff import admin_integrations as admin_integrations  # noqa: E402
from scheduler.web.staff import audit as audit  # noqa: E402  (registers the routes)
from scheduler.web.staff import calendars as calendars  # noqa: E402
from scheduler.web.staff import mail as mail  # noqa: E402
from scheduler.web.staff import patient_merge as patient_merge  # noqa: E402
from scheduler.web.staff import patients as patients  # noqa: E402
from scheduler.web.staff import phone as phone  # noqa: E402
from scheduler.web.staff import phone_waitlist as phone_waitlist  # noqa: E402
from scheduler.web.staff import queue as queue  # noqa: E402
from scheduler.web.staff import schedule as schedule  # noqa: E402
from scheduler.web.staff import urgency as urgency  # noqa: E402  (registers the template filters)
from scheduler.web.staff import views as views  # noqa: E402
from scheduler.web.staff import waitlist as waitlist  # noqa: E402
