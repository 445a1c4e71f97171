"""The text of a queued message, built at delivery time from the current records."""

from __future__ import annotations

from datetime import UTC
from datetime import timedelta

from flask import current_app
from flask import render_template
from icalendar import Calendar
from icalendar import Event

from scheduler import models
from scheduler.delivery import Email
from scheduler.domain.bookings import describe_day
from scheduler.domain.bookings import describe_time
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.messages import MessageKind
from scheduler.extensions import db

HEADLINES = {
    MessageKind.CONFIRMED: "Your visit is confirmed",
    MessageKind.REMINDER: "A reminder of your visit",
    MessageKind.RESCHEDULED: "Your visit has moved",
    MessageKind.CANCELLED: "Your visit is cancelled",
    MessageKind.REQUEST_RECEIVED: "We have your request",
}


def compose_email(message: models.OutboxMessage) -> Email | None:
    """The email for ``message``, or None when there is nothing to send any more (no address on
    file, or a reminder for a visit that is no longer booked)."""
    kind = MessageKind(message.kind)
    appointment = db.session.get(models.Appointment, message.appointment_id) if message.appointment_id else None
    request = db.session.get(models.VisitRequest, message.request_id) if message.request_id else None
    patient = appointment.patient if appointment else request.patient if request else None
    if patient is None or not patient.email:
        return None
    if kind is MessageKind.REMINDER and (appointment is None or appointment.status != "booked"):
        return None
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
