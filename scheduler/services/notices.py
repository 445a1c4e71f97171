"""The text of a queued message, built at delivery time from the current records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache

from flask import current_app
from icalendar import Calendar
from icalendar import Event
from icalendar import vCalAddress
from icalendar import vDatetime
from icalendar import vText

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.domain.bookings import describe_day
from scheduler.domain.bookings import describe_time
from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import SMS_MAX_CHARS
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import sms_length
from scheduler.domain.messages import text_still_due
from scheduler.services import clinic_details
from scheduler.services import waitlist_notices
from scheduler.services.references import manage_url
from scheduler.services.references import request_url
from scheduler.services.sms_consent import texts_allowed_to
from scheduler.services.vtimezone import clinic_vtimezone
from scheduler.settings import settings
from scheduler.store import models
from scheduler.store import notices as store
from scheduler.store import waitlist as store_waitlist

HEADLINES = {
    MessageKind.CONFIRMED: "Your visit is confirmed",
    MessageKind.REMINDER: "A reminder of your visit",
    MessageKind.RESCHEDULED: "Your visit has moved",
    MessageKind.CANCELLED: "Your visit is cancelled",
    MessageKind.REQUEST_RECEIVED: "We have your request",
    MessageKind.LINK_RESENT: "The link you asked for",
}


@dataclass(frozen=True)
class Subject:
    """What an outbox row is about, loaded from the current records."""

    kind: MessageKind
    patient: models.Patient
    appointment: models.Appointment | None
    request: models.VisitRequest | None


def preload(messages: Iterable[models.OutboxMessage]) -> list[object]:
    """Load the records behind a batch of messages in one query per kind of subject, so that
    composing each message finds them in the session. Returns them: the session holds loaded
    objects only weakly, so the caller keeps this list while it composes."""
    return store.preload(messages)


def load_subject(message: models.OutboxMessage) -> Subject | None:
    """The current records behind ``message``, or None when it must not be sent any more: its
    patient is gone, or it is a reminder of a visit that is no longer booked."""
    kind = MessageKind(message.kind)
    if message.waitlist_entry_id is not None:  # about a waitlist entry (services.waitlist_notices)
        entry = store_waitlist.entry_row(message.waitlist_entry_id)
        return Subject(kind, entry.patient, None, None) if entry is not None else None
    appointment, request = store.records_of(message)
    patient = appointment.patient if appointment else request.patient if request else None
    if patient is None:
        return None
    if kind is MessageKind.REMINDER and (appointment is None or appointment.status != "booked"):
        return None
    return Subject(kind, patient, appointment, request)


def compose_email(message: models.OutboxMessage, now: datetime | None = None) -> Email | None:
    """The email for ``message``, or None when there is nothing to send any more (no address on
    file, or a reminder for a visit that is no longer booked). Every email about an appointment
    carries its manage link, with a token signed now (so it is valid for the full
    MANAGE_TOKEN_MAX_AGE_DAYS from this email) for the appointment's current nonce. ``now`` is
    the worker's clock, taken for a transport's sake: unlike a text, an email is never too late."""
    if message.waitlist_entry_id is not None:
        return waitlist_notices.compose_email(message, now or utc_now())
    subject = load_subject(message)
    address = subject.patient.email if subject is not None else None
    if subject is None or not address:
        return None
    kind, patient, appointment, request = subject.kind, subject.patient, subject.appointment, subject.request
    clinic = settings()
    details = clinic_details.current()
    context: dict[str, object] = {
        "kind": kind.value,
        "headline": HEADLINES[kind],
        "given_name": patient.given_name,
        "clinic_name": clinic.clinic_name,
        "clinic_phone": details.phone,
        "clinic": details,
        "appointment": appointment,
        "request": request,
        "day": describe_day(appointment.starts_at) if appointment else None,
        "time": describe_time(appointment.starts_at) if appointment else None,
        "manage_url": manage_url(appointment.reference, appointment.manage_nonce) if appointment else None,
        "request_url": request_url(request.reference, request.manage_nonce) if request else None,
    }
    ics, method = None, None
    if appointment is not None and kind not in (MessageKind.REMINDER, MessageKind.LINK_RESENT):
        method = "CANCEL" if kind is MessageKind.CANCELLED else "REQUEST"
        sequence = message.version - 1 + (kind is MessageKind.CANCELLED)
        ics = invite(appointment, method=method, sequence=sequence, clinic=details, attendee=address)
    return Email(
        to=address,
        subject=f"{HEADLINES[kind]} - {clinic.clinic_name}",
        text=render_message("messages/email.txt", context),
        html=render_message("messages/email.html", context),
        message_id=f"<outbox-{message.id}@{clinic.mail_domain}>",
        ics=ics,
        ics_method=method,
    )


# What each text says after "{label}: ". Generic on purpose (minimum necessary): no name, no visit
# type, no provider (a name can reveal a specialty), no specialty; the reference and the clinic
# phone let the patient find out the rest.
SMS_TEXTS = {
    MessageKind.CONFIRMED: "your visit is confirmed for {when}. Ref {reference}.",
    MessageKind.REMINDER: "reminder of your visit on {when}. Ref {reference}.",
    MessageKind.RESCHEDULED: "your visit has moved to {when}. Ref {reference}.",
    MessageKind.CANCELLED: "your visit on {when} is cancelled. Ref {reference}.",
    MessageKind.REQUEST_RECEIVED: "we have your request, ref {reference}. We will call you to set a time.",
    # No link (see below): it went by email, or, with no email on file, the clinic's phone helps.
    MessageKind.LINK_RESENT: "the link you asked for, ref {reference}, is in your email.",
}
LINK_BY_PHONE = "you asked for the link to ref {reference}. Call us to see or change it."


def text_subject(message: models.OutboxMessage, now: datetime) -> Subject | None:
    """What a text would be about if it went at ``now``, or None when it would not go: no phone,
    no consent (or consent withdrawn since it was queued), a reminder of a visit that is no longer
    booked, or a text no longer due (:func:`~scheduler.domain.messages.text_still_due`: the visit
    has begun, or a later change superseded it). The worker's pace check asks the same question,
    so that a text about to be withdrawn does not hold back one that will go."""
    subject = load_subject(message)
    if subject is None or not subject.patient.phone or not subject.patient.sms_consent:
        return None
    if not texts_allowed_to(subject.patient.phone):  # queued before the country was taken off SMS_COUNTRIES
        return None
    if message.waitlist_entry_id is not None:
        return subject if waitlist_notices.text_due(message, now) else None
    appointment = subject.appointment
    if appointment is not None and not text_still_due(
        subject.kind,
        queued_version=message.version,
        version=appointment.version,
        booked=appointment.status == "booked",
        starts_at=appointment.starts_at,
        now=now,
    ):
        return None
    return subject


def render_message(name: str, context: dict[str, object]) -> str:
    """A message template, rendered by the app's Jinja environment (autoescaping .html) with only
    ``context``: Flask's render_template would also run the page context processors (the CSRF
    token, the signed-in user, ...), which mean nothing in a message and cost as much as the
    rendering itself."""
    return current_app.jinja_env.get_template(name).render(context)


# No manage link in texts. The link is about 160 characters (its itsdangerous token alone 115),
# the longest text already takes 136 of the 160 with the default label, and a text split in two
# breaks the FCC condition it is kept short for. Even a short link (a stored code and a route of
# its own, not built) would not fit the 24 left beside a longer label or phone, and would show a
# working key to the visit on a locked phone's screen, where anyone nearby can read it. So a text
# gives the reference and the clinic phone; the email, which only the patient opens, the link.


def compose_sms(message: models.OutboxMessage, now: datetime | None = None) -> Sms | None:
    """The text for ``message``, or None when there is nothing to send (see :func:`text_subject`)."""
    subject = text_subject(message, now or utc_now())
    if subject is None:
        return None
    if message.waitlist_entry_id is not None:
        return waitlist_notices.compose_sms(message, now or utc_now())
    if subject.appointment is not None:
        fields = {"when": sms_when(subject.appointment.starts_at), "reference": subject.appointment.reference}
    else:  # load_subject guarantees a request when there is no appointment
        assert subject.request is not None
        fields = {"when": "", "reference": subject.request.reference}
    # The clinic's phone only: no address, nor anything else that names the clinic.
    config = settings()
    wording = SMS_TEXTS[subject.kind]
    if subject.kind is MessageKind.LINK_RESENT and not subject.patient.email:
        wording = LINK_BY_PHONE
    body = (
        f"{config.sms_sender_label}: {wording.format(**fields)} "
        f"Questions: {clinic_details.current().phone}. Reply STOP to opt out."
    )
    try:
        too_long = sms_length(body) > SMS_MAX_CHARS
    except ValueError:
        raise DeliveryFailed("SMS body is not plain ASCII (check SMS_SENDER_LABEL)", permanent=True) from None
    if too_long:
        # Only a long sender label or clinic phone can do this: every text fits with a 35-character label.
        raise DeliveryFailed(f"SMS body over {SMS_MAX_CHARS} characters (check SMS_SENDER_LABEL)", permanent=True)
    phone = subject.patient.phone
    assert phone is not None  # text_subject gives none without a phone
    return Sms(to=phone, body=body, message_id=f"outbox-{message.id}")


def sms_when(moment: datetime) -> str:
    """Short clinic time for a text, e.g. "Mon Dec 7 at 8:00 AM CST"."""
    local = to_clinic(moment)
    # Spelled out rather than strftime's %a/%b/%p, which follow the process locale.
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[local.month - 1]
    noon = "AM" if local.hour < 12 else "PM"
    return f"{weekday} {month} {local.day} at {local.hour % 12 or 12}:{local.minute:02d} {noon} {local.tzname()}"


def invite(
    appointment: models.Appointment,
    *,
    method: str,
    sequence: int,
    clinic: ClinicDetails | None = None,
    attendee: str | None = None,
) -> bytes:
    """An iTIP (RFC 5546) invite, METHOD ``REQUEST`` or ``CANCEL``: the same UID for the life of
    the appointment, SEQUENCE bumped on each change, times in America/Chicago with its VTIMEZONE
    so calendars get DST right. LOCATION is the clinic's name and full address on one line
    (``clinic``: the current details when not given). ORGANIZER is the clinic (CLINIC_NAME, the
    address of MAIL_FROM); ATTENDEE the patient's own email address (``attendee``: the patient's
    on file when not given), with no name: RSVP=FALSE, since the clinic takes no replies by mail.

    Written in three pieces, two of them by icalendar once per process: the calendar around the
    event with its VTIMEZONE (:func:`calendar_head`, per method and year) and the event's
    descriptive lines with the ORGANIZER (:func:`event_details`, per visit type and method); only
    the lines that differ per message are written each time (:func:`event_opening` and the
    patient's ATTENDEE, :func:`event_attendee`). Writing it all for every
    message (the VTIMEZONE's twenty-odd lines, the long description folded character by
    character) was the largest part of an email's cost. A VCALENDAR is its properties, then its
    components, then END, and the order of a component's properties carries no meaning (RFC 5545,
    3.6), so the pieces joined are the same calendar (a test holds this)."""
    config = settings()
    address = attendee if attendee is not None else appointment.patient.email or ""
    opening = event_opening(
        f"{appointment.reference}@{config.mail_domain}",
        sequence,
        utc_now(),
        to_clinic(appointment.starts_at),
        to_clinic(appointment.ends_at),
    )
    details = event_details(
        method,
        f"{appointment.visit_type.name} ({config.clinic_name})",
        (clinic or clinic_details.current()).one_line(),
        appointment.visit_type.prep_notes,
        organizer(config.clinic_name, config.mail_from),
    )
    head = calendar_head(method, to_clinic(appointment.starts_at).year)
    # A published event (a file the patient adds to their own calendar) has no attendees (RFC 5546, 3.2.1).
    attendee_line = b"" if method == "PUBLISH" else event_attendee(method, address)
    return head + opening + attendee_line + details


def calendar_file(appointment: models.Appointment) -> bytes:
    """The visit for "Add to calendar": the event of the confirmation email's invite, with its UID
    and SEQUENCE (so a calendar that already has the visit from the email updates it rather than
    showing it twice), published (METHOD:PUBLISH, no ATTENDEE): a file the patient opens is their
    own calendar entry, not an invitation awaiting an answer."""
    return invite(appointment, method="PUBLISH", sequence=appointment.version - 1)


def organizer(name: str, sender: str) -> tuple[str, str]:
    """The clinic as ORGANIZER: its name (CN) and the mailto: of the sender address in MAIL_FROM."""
    return name, f"mailto:{parseaddr(sender)[1]}"


def event_attendee(method: str, address: str) -> bytes:
    """The patient's ATTENDEE line (folded, as every one of them is longer than a line)."""
    attendee = vCalAddress(f"mailto:{address}")
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    if method == "REQUEST":
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "FALSE"
    event = Event()
    event.add("attendee", attendee)
    written: bytes = event.to_ical()
    return written[len(EVENT_BEGIN) : -len(EVENT_END)]


EVENT_BEGIN, EVENT_END = b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n"
_LINE_OCTETS = 75  # RFC 5545 3.1: longer content lines are folded


def event_opening(uid: str, sequence: int, stamp: datetime, start: datetime, end: datetime) -> bytes:
    """BEGIN:VEVENT and the lines that differ per message, byte for byte as icalendar writes them
    (a test holds this): values formatted and escaped by icalendar's own types, the lines joined
    here, since building its components for five short lines cost more than the rest of the email.
    A line that would need folding or is not ASCII (a long or international MAIL_DOMAIN) is left
    to icalendar."""
    lines = (
        f"DTSTART;TZID={CLINIC_TZ.key}:{vDatetime(start).to_ical().decode()}",
        f"DTEND;TZID={CLINIC_TZ.key}:{vDatetime(end).to_ical().decode()}",
        f"DTSTAMP:{vDatetime(stamp.astimezone(UTC)).to_ical().decode()}",
        f"UID:{vText(uid).to_ical().decode()}",
        f"SEQUENCE:{sequence:d}",
    )
    if all(line.isascii() and len(line) <= _LINE_OCTETS for line in lines):
        return EVENT_BEGIN + "".join(f"{line}\r\n" for line in lines).encode("ascii")
    event = Event()
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("uid", uid)
    event.add("sequence", sequence)
    written: bytes = event.to_ical()
    assert written.endswith(EVENT_END)
    return written[: -len(EVENT_END)]


@lru_cache(maxsize=256)
def event_details(method: str, summary: str, location: str, description: str, organizer: tuple[str, str]) -> bytes:
    """...then the rest of the event and the end of the calendar: the same for every visit of one
    type (and method), so written once per process for each. ``organizer``: its CN and mailto: URI."""
    event = Event()
    clinic = vCalAddress(organizer[1])
    clinic.params["CN"] = organizer[0]
    event.add("organizer", clinic)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    written: bytes = event.to_ical()
    assert written.startswith(EVENT_BEGIN)
    return written[len(EVENT_BEGIN) :] + CALENDAR_END


CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=16)
def calendar_head(method: str, year: int) -> bytes:
    """An invite's VCALENDAR up to its event: PRODID, VERSION, METHOD, then America/Chicago as a
    VTIMEZONE (before the event that refers to it, where icalendar's add_missing_timezones puts
    it) covering ``year`` and the years either side, so at least a year around any visit in
    ``year`` (see :mod:`scheduler.services.vtimezone`). Built once per process for each method and year."""
    calendar = empty_calendar(method)
    calendar.add_component(clinic_vtimezone(date(year - 1, 1, 1), date(year + 1, 12, 31)))
    whole: bytes = calendar.to_ical()
    assert whole.endswith(CALENDAR_END)
    return whole[: -len(CALENDAR_END)]


def empty_calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//SI Joint Clinic//Scheduler//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar
