"""iCalendar subscription feeds for staff (Outlook, Google, phone calendars).

A feed lists one provider's (or one specialty's) visits from FEED_PAST_DAYS ago to FEED_AHEAD_DAYS
ahead with the least PHI that still makes a day's calendar useful: the visit type and the patient's
initials. Times are in America/Chicago with its VTIMEZONE (as the invites in emails are, see
scheduler.services.notices), so subscribers get daylight-saving weeks right. Each fetch is audited,
and the feed's "last used" noted (at most once a minute, in the audit row's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from icalendar import Calendar
from icalendar import Event
from icalendar import vDuration

from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.services import audit
from scheduler.services import clinic_details
from scheduler.services import integrations
from scheduler.services.integrations import FeedTarget
from scheduler.services.vtimezone import clinic_vtimezone
from scheduler.settings import settings
from scheduler.store import calendar as store_calendar
from scheduler.store.unit_of_work import unit_of_work

FEED_PAST_DAYS = 30
FEED_AHEAD_DAYS = 180
# How often subscribers should look again (RFC 7986 REFRESH-INTERVAL, and Outlook's own property).
REFRESH = timedelta(minutes=15)


@dataclass(frozen=True)
class FeedVisit:
    reference: str
    version: int
    starts_at: datetime
    ends_at: datetime
    status: str
    visit_type: str
    provider: str
    room: str | None
    initials: str


def initials(given_name: str, family_name: str) -> str:
    """ "A.L." for Ann Lee: enough for staff to tell visits apart, little for anyone else."""
    letters = [name.strip()[:1].upper() for name in (given_name, family_name) if name.strip()]
    return "".join(f"{letter}." for letter in letters) or "?"


def feed_visits(target: FeedTarget, now: datetime) -> tuple[str, list[FeedVisit]]:
    """The feed's title and its visits (not cancelled), earliest first."""
    entries = store_calendar.feed_entries(
        now - timedelta(days=FEED_PAST_DAYS),
        now + timedelta(days=FEED_AHEAD_DAYS),
        provider_id=target.provider_id,
        specialty_id=target.specialty_id,
    )
    if target.provider_id is not None:
        title = store_calendar.provider_name(target.provider_id)
    else:
        assert target.specialty_id is not None  # a feed shows a provider or a specialty
        title = store_calendar.specialty_name(target.specialty_id)
    assert title is not None  # the feed's provider or specialty is a foreign key: it exists
    visits = [
        FeedVisit(
            e.reference,
            e.version,
            e.starts_at,
            e.ends_at,
            e.status,
            e.visit_type,
            e.provider,
            e.room,
            initials(e.given_name, e.family_name),
        )
        for e in entries
    ]
    return title, visits


def render_feed(target: FeedTarget, now: datetime | None = None) -> bytes:
    """The feed as iCalendar bytes; records one audit event (staff saw these visits' initials)."""
    now = now or utc_now()
    title, visits = feed_visits(target, now)
    config = settings()
    calendar = Calendar()
    calendar.add("prodid", "-//SI Joint Clinic//Scheduler//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{config.clinic_name}: {title}")
    calendar.add("x-wr-timezone", "America/Chicago")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An RFC 5545 duration (PT15M): icalendar writes an X- property's timedelta as "0:15:00".
    calendar.add("x-published-ttl", vDuration(REFRESH))
    first = to_clinic(now).date() - timedelta(days=FEED_PAST_DAYS + 1)
    calendar.add_component(clinic_vtimezone(first, first + timedelta(days=FEED_AHEAD_DAYS + 400)))
    stamp = now.astimezone(UTC)
    address = clinic_details.current().one_line()
    for visit in visits:
        event = Event()
        event.add("uid", f"{visit.reference}@{config.mail_domain}")
        event.add("sequence", max(visit.version - 1, 0))
        event.add("dtstamp", stamp)
        event.add("dtstart", to_clinic(visit.starts_at))
        event.add("dtend", to_clinic(visit.ends_at))
        event.add("summary", f"{visit.visit_type} ({visit.initials})")
        event.add("location", visit.room or address)
        event.add("description", f"With {visit.provider}. Status: {visit.status}.")
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    with unit_of_work():
        integrations.note_feed_used(target.feed_id, now=now)
        audit.record(
            "calendar_feed.read",
            actor_kind="staff",
            actor_id=target.staff_id,
            record_type="calendar_feed",
            record_id=target.feed_id,
            channel="web",
            detail=f"{len(visits)} visits ({target.scope})",
        )
    return body
