"""The manage link: view, cancel or move a visit with no account, by a signed, expiring token."""

from __future__ import annotations

from typing import Any

from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.catalog import with_kind
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import SlotTaken
from scheduler.domain.messages import MessageKind
from scheduler.extensions import limiter
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import holds
from scheduler.services import moves
from scheduler.services import notices
from scheduler.services import outbox
from scheduler.settings import settings
from scheduler.web.public import bp
from scheduler.web.public import forms
from scheduler.web.public import picker
from scheduler.web.public.present import describe_refusal
from scheduler.web.public.present import notice_sentence
from scheduler.web.public.present import reminder_sentence
from scheduler.web.public.present import when
from scheduler.web.public.times import parse_choice

MOVE_KEY = "move"


def _write_limit() -> str:
    return settings().ratelimit_public_write


def _appointment(reference: str, token: str) -> Any:
    """The appointment's row, as booking.appointment_for_token loads it for these pages; None
    for a link that matches no appointment."""
    try:
        return booking.appointment_for_token(reference[:40], token[:400])
    except NotFound:
        return None


def _bad_link() -> tuple[str, int]:
    return render_template("public/bad_link.html"), 404


def _can_change(appointment: Any) -> bool:
    return bool(appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > utc_now())


@bp.get("/manage/<reference>/<token>")
def manage(reference: str, token: str) -> Any:
    appointment = _appointment(reference, token)
    if appointment is None:
        return _bad_link()
    return render_template(
        "public/manage.html",
        appointment=appointment,
        can_change=_can_change(appointment),
        notice=session.pop("manage_notice", None),
        when=when,
        token=token,
    )


@bp.get("/manage/<reference>/<token>/visit.ics")
def calendar_file(reference: str, token: str) -> Any:
    """The visit as a calendar file for "Add to calendar" (the event of the confirmation email's
    invite), for a booked visit (not cached, like every patient page: web/security.py)."""
    appointment = _appointment(reference, token)
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return _bad_link()
    response = make_response(notices.calendar_file(appointment))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="{appointment.reference}.ics"'
    return response


@bp.route("/manage/<reference>/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def cancel(reference: str, token: str) -> Any:
    appointment = _appointment(reference, token)
    if appointment is None:
        return _bad_link()
    if not _can_change(appointment):
        return redirect(url_for("public.manage", reference=reference, token=token))
    form = forms.CancelForm()
    problem = None
    if form.validate_on_submit():
        label = dict(forms.CANCEL_REASONS)[form.reason.data]
        reason = f"{label}. {form.details.data.strip()}" if form.details.data else label
        try:
            cancelled = booking.cancel_appointment(reference, token, reason)
        except DomainError as refusal:
            problem = refusal.message
        else:
            promised = outbox.promised(MessageKind.CANCELLED, appointment_id=cancelled.id, version=cancelled.version)
            session["manage_notice"] = notice_sentence(promised, "Your visit is cancelled.", "a confirmation")
            return redirect(url_for("public.manage", reference=reference, token=token))
    status = 422 if form.errors or problem else 200
    return render_template(
        "public/cancel.html", form=form, appointment=appointment, when=when, token=token, problem=problem
    ), status


@bp.route("/manage/<reference>/<token>/reschedule", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def reschedule(reference: str, token: str) -> Any:
    appointment = _appointment(reference, token)
    if appointment is None:
        return _bad_link()
    if not _can_change(appointment):
        return redirect(url_for("public.manage", reference=reference, token=token))
    specialty = appointment.provider.specialty.code
    form = forms.NewTimeForm()
    if form.validate_on_submit():
        start, provider_id = parse_choice(form.slot.data)
        if start is None:
            form.slot.errors = ["Select a new time for your visit"]
        else:
            previous = (session.get(MOVE_KEY) or {}).get("token")
            try:
                held = holds.hold_time(appointment.visit_type.code, start, specialty=specialty,
                                       provider_id=provider_id, replaces=previous,
                                       client=holds.HoldClient.at_address(request.remote_addr))  # fmt: skip
            except DomainError as refusal:
                form.slot.errors = [describe_refusal(refusal, appointment.visit_type.code, start, specialty)]
            else:
                session[MOVE_KEY] = {
                    "reference": appointment.reference,
                    "start": held.starts_at.isoformat(),
                    "provider_id": held.provider_id,
                    "provider_name": with_kind(held.provider_name, held.provider_kind),
                    "token": held.token,
                }
                return redirect(url_for("public.reschedule_check", reference=reference, token=token))
    capable = clinic.current_catalog(utc_now()).capable_providers(appointment.visit_type.code, specialty)
    chosen = picker.build(appointment.visit_type.code, specialty, capable, "public.reschedule",
                          patient_id=appointment.patient_id, reference=reference, token=token)  # fmt: skip
    return render_template(
        "public/reschedule.html",
        form=form,
        picker=chosen,
        problem=bool(chosen.problems),
        appointment=appointment,
        notice=session.pop("move_notice", None),
        when=when,
        token=token,
    ), (422 if form.errors or chosen.problems else 200)


@bp.route("/manage/<reference>/<token>/reschedule/check", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def reschedule_check(reference: str, token: str) -> Any:
    appointment = _appointment(reference, token)
    if appointment is None:
        return _bad_link()
    chosen = session.get(MOVE_KEY) or {}
    if not _can_change(appointment) or chosen.get("reference") != appointment.reference:
        return redirect(url_for("public.reschedule", reference=reference, token=token))
    start, provider_id = parse_choice(f"{chosen['start']}|{chosen['provider_id']}")
    assert start is not None  # written by reschedule() from a real hold
    form = forms.CheckForm()
    if form.validate_on_submit():
        try:
            moved = moves.move_by_patient(
                reference[:40], token[:400], start, provider_id=provider_id, hold_token=chosen["token"]
            )
        except SlotTaken:
            session.pop(MOVE_KEY, None)
            session["move_notice"] = (
                "Sorry, the new time you chose was taken by someone else. Your visit has not changed: "
                "please choose another time."
            )
            return redirect(url_for("public.reschedule", reference=reference, token=token))
        except DomainError as refusal:
            session.pop(MOVE_KEY, None)
            session["move_notice"] = refusal.message
            return redirect(url_for("public.reschedule", reference=reference, token=token))
        session.pop(MOVE_KEY, None)
        promised = outbox.promised(MessageKind.RESCHEDULED, appointment_id=moved.id, version=moved.version)
        notice = notice_sentence(promised, "Your visit has moved.", "the new details")
        reminder = reminder_sentence(promised)
        session["manage_notice"] = f"{notice} {reminder}" if reminder else notice
        return redirect(url_for("public.manage", reference=reference, token=token))
    return render_template(
        "public/reschedule_check.html",
        form=form,
        appointment=appointment,
        new_start=start,
        provider_name=chosen.get("provider_name", ""),
        when=when,
        token=token,
    )
