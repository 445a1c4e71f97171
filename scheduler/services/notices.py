"""The text of a queued message, built at delivery time from the current records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from flask import current_app
from flask import render_template
from icalendar import Calendar
from icalendar import Event

from scheduler import models
from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.domain.bookings import describe_day
from scheduler.domain.bookings import describe_time
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import SMS_MAX_CHARS
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import sms_length
from scheduler.extensions import db

HEADLINES = {
    MessageKind.CONFIRMED: "Your visit is confirmed",
    MessageKind.REMINDER: "A reminder of your visit",
    MessageKind.RESCHEDULED: "Your visit has moved",
    MessageKind.CANCELLED: "Your visit is cancelled",
    MessageKind.REQUEST_RECEIVED: "We have your request",
}


@dataclass(frozen=True)
class Subject:
    """What an outbox row is about, loaded from the current records."""

    kind: MessageKind
    patient: models.Patient
    appointment: models.Appointment | None
    request: models.VisitRequest | None


def load_subject(message: models.OutboxMessage) -> Subject | None:
    """The current records behind ``message``, or None when it must not be sent any more: its
    patient is gone, or it is a reminder of a visit that is no longer booked."""
    kind = MessageKind(message.kind)
    appointment = db.session.get(models.Appointment, message.appointment_id) if message.appointment_id else None
    request = db.session.get(models.VisitRequest, message.request_id) if message.request_id else None
    patient = appointment.patient if appointment else request.patient if request else None
    if patient is None:
        return None
    if kind is MessageKind.REMINDER and (appointment is None or appointment.status != "booked"):
        return None
    return Subject(kind, patient, appointment, request)


def compose_email(message: models.OutboxMessage) -> Email | None:
    """The email for ``message``, or None when there is nothing to send any more (no address on
    file, or a reminder for a visit that is no longer booked)."""
    subject = load_subject(message)
    if subject is None or not subject.patient.email:
        return None
    kind, patient, appointment, request = subject.kind, subject.patient, subject.appointment, subject.request
    context = {
        "kind": kind.value,
        "headline": HEADLINES[kind],
        "given_name": patient.given_name,
        "clinic_name": current_app.config["CLINIC_NAME"],
        "clinic_phone": current_app.config["CLINIC_PHONE"],
        "location": current_app.config["CLINIC_LOCATION"],
        "appointment": appointment,
        "request": request,
        "day": describe_day(appointment.starts_at) if appointment else None,
        "time": describe_time(appointment.starts_at) if appointment else None,
    }
    ics, method = None, None
    if appointment is not None and kind is not MessageKind.REMINDER:
        method = "CANCEL" if kind is MessageKind.CANCELLED else "REQUEST"
        ics = invite(appointment, method=method, sequence=message.version - 1 + (kind is MessageKind.CANCELLED))
    return Email(
        to=patient.email,
        subject=f"{HEADLINES[kind]} - {current_app.config['CLINIC_NAME']}",
        text=render_template("messages/email.txt", **context),
        html=render_template("messages/email.html", **context),
        message_id=f"<outbox-{message.id}@{current_app.config['MAIL_DOMAIN']}>",
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
}


def compose_sms(message: models.OutboxMessage) -> Sms | None:
    """The text for ``message``, or None when there is nothing to send: no phone, no consent (or
    consent withdrawn since it was queued), or a reminder of a visit that is no longer booked."""
    subject = load_subject(message)
    if subject is None or not subject.patient.phone or not subject.patient.sms_consent:
        return None
    if subject.appointment is not None:
        fields = {"when": sms_when(subject.appointment.starts_at), "reference": subject.appointment.reference}
    else:  # load_subject guarantees a request when there is no appointment
        assert subject.request is not None
        fields = {"when": "", "reference": subject.request.reference}
    config = current_app.config
    body = (
        f"{config['SMS_SENDER_LABEL']}: {SMS_TEXTS[subject.kind].format(**fields)} "
        f"Questions: {config['CLINIC_PHONE']}. Reply STOP to opt out."
    )
    try:
        too_long = sms_length(body) > SMS_MAX_CHARS
    except ValueError:
        raise DeliveryFailed("SMS body is not plain ASCII (check SMS_SENDER_LABEL)", permanent=True) from None
    if too_long:
        # Only a long sender label or clinic phone can do this: every text fits with a 35-character label.
        raise DeliveryFailed(f"SMS body over {SMS_MAX_CHARS} characters (check SMS_SENDER_LABEL)", permanent=True)
    return Sms(to=subject.patient.phone, body=body, message_id=f"outbox-{message.id}")


def sms_when(moment: datetime) -> str:
    """Short clinic time for a text, e.g. "Mon Dec 7 at 8:00 AM CST"."""
    local = to_clinic(moment)
    # Spelled out rather than strftime's %a/%b/%p, which follow the process locale.
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[local.month - 1]
    noon = "AM" if local.hour < 12 else "PM"
    return f"{weekday} {month} {local.day} at {local.hour % 12 or 12}:{local.minute:02d} {noon} {local.tzname()}"


def invite(appointment: models.Appointment, *, method: str, sequence: int) -> bytes:
    """An iCalendar invite: the same UID for the life of the appointment, SEQUENCE bumped on each
    change, times in America/Chicago with its VTIMEZONE so calendars get DST right."""
    calendar = Calendar()
    calendar.add("prodid", "-//SI Joint Clinic//Scheduler//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{appointment.reference}@{current_app.config['MAIL_DOMAIN']}")
    event.add("sequence", sequence)
    event.add("dtstamp", utc_now().astimezone(UTC))
    event.add("dtstart", to_clinic(appointment.starts_at))
    event.add("dtend", to_clinic(appointment.ends_at))
    event.add("summary", f"{appointment.visit_type.name} ({current_app.config['CLINIC_NAME']})")
    event.add("location", current_app.config["CLINIC_LOCATION"])
    event.add("description", appointment.visit_type.prep_notes)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    day = to_clinic(appointment.starts_at).date()
    calendar.add_missing_timezones(first_date=day - timedelta(days=366), last_date=day + timedelta(days=366))
    return calendar.to_ical()
