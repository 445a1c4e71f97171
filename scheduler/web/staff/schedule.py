"""The schedulers' pages: a visit with its actions (status, move, cancel) and the printable day
list (the calendars are calendars.py, the request queue queue.py)."""

from __future__ import annotations

import csv
import io
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug import Response

from scheduler.domain import time_words
from scheduler.domain.bookings import AppointmentStatus
from scheduler.domain.clock import CLINIC_TZ
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.patient_file import VisitChange
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.domain.visit_status import TRANSITIONS
from scheduler.domain.visit_status import NotAllowed
from scheduler.domain.visit_status import VisitAction
from scheduler.domain.visit_status import next_status
from scheduler.services import clinic
from scheduler.services import patient_file
from scheduler.services import staff_visits
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.public.present import describe_refusal
from scheduler.web.public.present import when
from scheduler.web.public.times import offered_days
from scheduler.web.public.times import parse_choice
from scheduler.web.sane_input import query_day
from scheduler.web.staff import bp
from scheduler.web.staff import schedule_forms as forms
from scheduler.web.staff import time_picker
from scheduler.web.staff.urgency import urgent_text
from scheduler.web.staff.waitlist import move_fits
from scheduler.web.staff.waitlist import waiting_words

EVERYONE = (ADMIN, SCHEDULER, PHONE)
SCHEDULERS = (ADMIN, SCHEDULER)
SUGGESTIONS = 6


def _actor() -> staff_visits.Actor:
    return staff_visits.Actor(staff_id=current_user.id, role=current_user.role, channel="web")


def _day(name: str = "day") -> date:
    """The date in query parameter ``name``, or today; InvalidInput naming it for a year outside
    1900-2200 (year 9999 would overflow the calendar's arithmetic)."""
    return query_day(name) or clinic_today(utc_now())


def _visit(appointment_id: int) -> staff_visits.VisitRow:
    try:
        return staff_visits.find_visit(appointment_id)
    except NotFound:
        abort(404)


def _actions_for(appointment: staff_visits.VisitRow) -> list[tuple[str, str]]:
    """(action, label) the signed-in role may take on this visit now: those the status rules
    allow (no check-in before the visit's day, no no-show before its start)."""
    found = []
    now = utc_now()
    for action in TRANSITIONS:
        try:
            transition = next_status(
                action, AppointmentStatus(appointment.status), role=current_user.role,
                starts_at=appointment.starts_at, now=now,
            )  # fmt: skip
        except NotAllowed:
            continue
        label = {"check-in": "Check in", "complete": "Completed", "no-show": "No-show"}.get(action.value)
        found.append((action.value, label or f"Undo: back to {transition.after.value}"))
    return found


@bp.get("/visits/<int(max=2147483647):appointment_id>")
@staff_required(*EVERYONE)
def visit(appointment_id: int) -> str:
    try:
        appointment = staff_visits.view_visit(appointment_id, _actor())
    except NotFound:
        abort(404)
    return render_template(
        "staff/visit.html",
        appointment=appointment,
        actions=_actions_for(appointment),
        status_form=forms.StatusForm(),
        cancel_form=forms.CancelForm(),
        can_change=appointment.status == "booked" and appointment.starts_at > utc_now(),
        phone=phone_display(appointment.patient.phone),
        answers=staff_visits.visit_answers(appointment),
        history=_history(appointment),
        when=when,
    )


def _history(appointment: staff_visits.VisitRow) -> list[VisitChange]:
    """Who booked, moved or cancelled the visit, and how (from the audit trail)."""
    return patient_file.visit_history(
        appointment_id=appointment.id, reference=appointment.reference, patient_id=appointment.patient_id,
        channel=appointment.channel, created_at=appointment.created_at, request_id=appointment.request_id,
    )  # fmt: skip


@bp.post("/visits/<int(max=2147483647):appointment_id>/status")
@staff_required(*EVERYONE)
def visit_status(appointment_id: int) -> Response:
    form = forms.StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staff_visits.set_status(appointment_id, VisitAction(form.action.data), actor=_actor())
    except NotFound:
        abort(404)
    except DomainError as refusal:
        flash(refusal.message, "error")
    else:
        flash("Status changed.", "success")
    return redirect(url_for("staff.visit", appointment_id=appointment_id))


@bp.post("/visits/<int(max=2147483647):appointment_id>/cancel")
@staff_required(*EVERYONE)
def visit_cancel(appointment_id: int) -> Any:
    appointment = _visit(appointment_id)
    form = forms.CancelForm()
    if form.validate_on_submit():
        try:
            staff_visits.cancel(appointment_id, form.reason.data, actor=_actor(), notify=form.notify.data)
        except DomainError as refusal:
            flash(refusal.message, "error")
        else:
            flash("Visit cancelled." + (" The patient will be told." if form.notify.data else ""), "success")
        return redirect(url_for("staff.visit", appointment_id=appointment_id))
    return render_template(
        "staff/visit.html", appointment=appointment, actions=_actions_for(appointment),
        status_form=forms.StatusForm(), cancel_form=form, can_change=True,
        phone=phone_display(appointment.patient.phone), answers=staff_visits.visit_answers(appointment),
        history=_history(appointment), when=when,
    ), 422  # fmt: skip


@bp.route("/visits/<int(max=2147483647):appointment_id>/move", methods=["GET", "POST"])
@staff_required(*SCHEDULERS)
def visit_move(appointment_id: int) -> Any:
    """Choose the visit's new time in the staff time picker. A POST from one of the picker's own
    buttons (another day, earlier or later days, a provider) moves nothing: the page comes back
    with those times and everything else as it was sent (the notify box, a time chosen)."""
    appointment = _visit(appointment_id)
    specialty = appointment.provider.specialty.code
    form = forms.MoveForm()
    query_day("from")  # a year outside 1900-2200 in the address is refused, naming "from"
    asked = time_picker.read_asked(request.form if request.method == "POST" else request.args)
    if not asked.control and form.validate_on_submit():
        start, provider_id = parse_choice(form.slot.data)
        if start is None:
            form.slot.errors = ["Choose the new time"]
        else:
            try:
                staff_visits.move(
                    appointment_id, start, actor=_actor(), notify=form.notify.data, provider_id=provider_id
                )
            except DomainError as refusal:
                form.slot.errors = [describe_refusal(refusal, appointment.visit_type.code, start, specialty)]
            else:
                flash(f"Visit moved to {when(start)}.", "success")
                return redirect(url_for("staff.visit", appointment_id=appointment_id))
    offer = clinic.current_catalog(utc_now())
    providers = time_picker.named(offer.capable_providers(appointment.visit_type.code, specialty,
                                                          urgent=appointment.urgent))  # fmt: skip
    provider_id = time_picker.provider_asked(asked, providers)
    first = time_picker.first_day(asked)
    days, later = offered_days(
        appointment.visit_type.code, specialty, first, patient_id=appointment.patient_id, urgent=appointment.urgent,
        provider_id=provider_id, days_wanted=time_picker.DAYS_SHOWN,
    )  # fmt: skip
    fits, fit_now = move_fits(appointment, days)  # "N waiting fit" each time listed, and the visit's own
    noted = {value: waiting_words(count) for value, count in fits.items() if count}
    times = [
        time_picker.Offered(t.value, t.start, t.provider_name, noted.get(t.value, ""))
        for listed in days.values()
        for t in listed
    ]
    picker = time_picker.build(
        times, field_name="slot", element_id="slot", asked=asked, first=first, later=later, providers=providers,
        provider_id=provider_id, chosen=form.slot.data if request.method == "POST" else None,
    )  # fmt: skip
    return render_template("staff/move.html", appointment=appointment, form=form, picker=picker, when=when,
                           fit_now=fit_now), (422 if form.errors else 200)  # fmt: skip


def _day_list(provider_id: int, action: str) -> tuple[date, staff_visits.DayList]:
    day = _day()
    try:
        return day, staff_visits.day_list(provider_id, day, _actor(), action)
    except NotFound:
        abort(404)


@bp.get("/day-list/<int(max=2147483647):provider_id>")
@staff_required(*EVERYONE)
def day_list(provider_id: int) -> str:
    day, listed = _day_list(provider_id, "daylist.view")
    return render_template(
        "staff/day_list.html", provider=listed.provider, day=day, visits=listed.visits, phone_display=phone_display
    )


@bp.get("/day-list/<int(max=2147483647):provider_id>.csv")
@staff_required(*EVERYONE)
def day_list_csv(provider_id: int) -> Response:
    day, listed = _day_list(provider_id, "daylist.export")
    # Machine-friendly on purpose, unlike the pages (domain.time_words): a spreadsheet sorts and
    # computes with 24-hour "08:45" times and ISO "1970-03-27" dates, and reads them in any locale.
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["time", "end", "patient", "birth_date", "phone", "visit_type", "status", "reference", "notes", "urgent"]
    )
    for v in listed.visits:
        writer.writerow(
            [
                to_clinic(v.starts_at).strftime("%H:%M %Z"),
                to_clinic(v.ends_at).strftime("%H:%M"),
                _csv_safe(f"{v.patient.family_name}, {v.patient.given_name}"),
                v.patient.birth_date.isoformat(),
                phone_display(v.patient.phone),
                v.visit_type.name,
                v.status,
                v.reference,
                _csv_safe(v.visit_type.prep_notes),
                urgent_text(v.urgent, v.answers),  # "Urgent: Fever; Cause: infection", or empty
            ]
        )
    name = f"day-list-{provider_id}-{day.isoformat()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"}
    )


def _csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name typed as "=HYPERLINK(...)")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.app_template_filter("clock")
def clock(moment: time) -> str:
    """A wall-clock time (a calendar row's label): "8 a.m.", "8:15 a.m.", "noon"."""
    return time_words.clock(moment)


@bp.app_template_filter("clock_of")
def clock_of(moment: datetime) -> str:
    """An instant's Central time of day, where the page states the zone: "8:45 a.m."."""
    return time_words.time_of_day(moment)


@bp.app_template_filter("central_date")
def central_date(moment: datetime) -> str:
    return to_clinic(moment).date().isoformat()


@bp.app_template_filter("tz_abbreviation")
def tz_abbreviation(day: date) -> str:
    """CST or CDT, as the clinic's clocks read at noon that day."""
    return clinic_instant(day, time(12)).astimezone(CLINIC_TZ).tzname() or ""
