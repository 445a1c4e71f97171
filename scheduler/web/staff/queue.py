"""The request queue as a call-back worklist (issue 14): a specialty's open requests with the
patient's contact details, their waiting time against its target, their contact log and times
that suit them; place or decline (schedulers) and log a call (phone staff too).

Every state of a request's times lives in the address (``times``: the request, ``all`` or
``day``, and the time picker's ``from``, ``shown`` and ``provider``), so "show all times", the
picker's days and the day picker are plain links and GET forms: the placing form holds nothing
typed but the time, which a day change leaves behind anyway (see web/staff/time_picker.py)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug import Response
from wtforms import SelectField
from wtforms.validators import InputRequired

from scheduler.domain.call_back import OUTCOME_WORDS
from scheduler.domain.call_back import ContactOutcome
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.services import clinic
from scheduler.services import request_queue
from scheduler.services import staff_visits
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.forms import Form
from scheduler.web.public.forms import options
from scheduler.web.public.present import describe_refusal
from scheduler.web.public.present import when
from scheduler.web.public.times import parse_choice
from scheduler.web.sane_input import query_day
from scheduler.web.staff import bp
from scheduler.web.staff import schedule_forms as forms
from scheduler.web.staff import time_picker
from scheduler.web.staff.phone import us_date

EVERYONE = (ADMIN, SCHEDULER, PHONE)
SCHEDULERS = (ADMIN, SCHEDULER)
CHOOSE_A_TIME = "Choose a time to place the request: none is chosen for you."


class ContactForm(Form):
    outcome = SelectField(
        "What came of the call",
        choices=options([(o.value, OUTCOME_WORDS[o]) for o in ContactOutcome]),
        validators=[InputRequired("Choose what came of the call.")],
    )


def _actor() -> staff_visits.Actor:
    return staff_visits.Actor(staff_id=current_user.id, role=current_user.role, channel="web")


def _specialty(code: str | None = None) -> str:
    offer = clinic.current_catalog(utc_now())
    code = (code if code is not None else request.args.get("specialty", ""))[:40]
    return code if code in offer.specialties else next(iter(offer.specialties))


def _int_arg(name: str) -> int | None:
    text = request.args.get(name, "")[:10]
    return int(text) if text.isdigit() else None


def _render(
    code: str, *, place_error: tuple[int, str] | None = None, chosen: str | None = None, status: int = 200
) -> tuple[str, int]:
    """The queue page of specialty ``code`` (audited as one view); ``place_error``: a request whose
    placing failed, and why, shown on its times (``chosen``: the time staff had chosen for it)."""
    picked = time_picker.read_asked(request.args)
    asked = request_queue.TimesAsked(
        request_id=_int_arg("times"), all_times=request.args.get("all") == "1", day=query_day("day"),
        first=picked.first, provider_id=picked.provider_id,
    )  # fmt: skip
    placing = current_user.role in SCHEDULERS
    page = request_queue.queue_page(code, _actor(), page=_int_arg("page") or 1, with_times=placing, asked=asked)
    offer = clinic.current_catalog(utc_now())
    failed = place_error[0] if place_error else None
    pickers = {
        entry.request.id: _picker(entry, code, page.page, picked if asked.request_id == entry.request.id else None,
                                  chosen if entry.request.id == failed else None)  # fmt: skip
        for entry in page.items
        if entry.times is not None
    }
    return render_template(
        "staff/request_queue.html",
        queue=page,
        pickers=pickers,
        specialty=offer.specialties[code],
        offer=offer,
        placing=placing,
        place_error=place_error,
        place_form=forms.PlaceForm(),
        decline_form=forms.DeclineForm(),
        contact_form=ContactForm(),
        when=when,
        phone_display=phone_display,
        us_date=us_date,
    ), status


def _picker(
    entry: request_queue.QueueItem, code: str, page: int, asked: time_picker.Asked | None, chosen: str | None
) -> time_picker.TimePicker:
    """The time picker of one request's placing form; ``asked``: what the address asks of it (None
    when it asks about another request)."""
    shown = entry.times
    assert shown is not None
    item_id, mode = entry.request.id, shown.mode
    narrows = entry.preferences.narrows and mode != "preferred"
    times = [
        time_picker.Offered(t.value, t.start, t.provider_name,
                            ("suits them" if t.fits else "not a time they gave") if narrows else "")  # fmt: skip
        for t in shown.times
    ]
    # The request's mode stays in every address the picker makes: the days of "all times" are
    # still all times, the times that suit the patient still those.
    base: dict[str, Any] = {"specialty": code, "page": page, "times": item_id, "all": 1 if mode == "all" else None,
            "day": shown.day.isoformat() if mode == "day" and shown.day else None}  # fmt: skip

    def link(**query: Any) -> str:
        return url_for("staff.queue", **{k: v for k, v in base.items() if v is not None}, **query,
                       _anchor=f"times-{item_id}")  # fmt: skip

    return time_picker.build(
        times, field_name="slot", element_id=f"times-{item_id}", asked=asked or time_picker.Asked(),
        first=shown.first or clinic_today(utc_now()), later=shown.later, providers=shown.providers,
        provider_id=shown.provider_id, chosen=chosen, link=link, filter_query=base, paged=mode != "day",
    )  # fmt: skip


@bp.get("/queue")
@staff_required(*EVERYONE)
def queue() -> tuple[str, int]:
    return _render(_specialty())


def _request(request_id: int) -> staff_visits.RequestOnFile:
    try:
        return staff_visits.find_request(request_id)
    except NotFound:
        abort(404)


def _back(code: str, request_id: int, **args: Any) -> Response:
    return redirect(url_for("staff.queue", specialty=code, **args, _anchor=f"request-{request_id}"))


@bp.post("/queue/<int(max=2147483647):request_id>/place")
@staff_required(*SCHEDULERS)
def queue_place(request_id: int) -> Response | tuple[str, int]:
    form = forms.PlaceForm()
    item = _request(request_id)
    code = item.specialty_code
    start, provider_id = parse_choice(form.slot.data) if form.validate_on_submit() else (None, None)
    if start is None:
        return _render(code, place_error=(request_id, CHOOSE_A_TIME), status=422)
    try:
        booked = staff_visits.place_request(request_id, start, actor=_actor(), provider_id=provider_id)
    except DomainError as refusal:
        why = describe_refusal(refusal, item.visit_type_code, start, code)
        if refusal.code == "slot_taken":
            return _render(code, place_error=(request_id, why), status=409)
        return _render(code, place_error=(request_id, why), chosen=form.slot.data, status=422)
    flash(f"Request {item.reference} placed on {when(start)}.", "success")
    return redirect(url_for("staff.visit", appointment_id=booked.appointment.id))


@bp.post("/queue/<int(max=2147483647):request_id>/decline")
@staff_required(*SCHEDULERS)
def queue_decline(request_id: int) -> Response:
    form = forms.DeclineForm()
    item = _request(request_id)
    if form.validate_on_submit():
        try:
            staff_visits.decline_request(request_id, form.reason.data, actor=_actor())
        except DomainError as refusal:
            flash(refusal.message, "error")
        else:
            flash(f"Request {item.reference} declined.", "success")
    else:
        flash("Choose a reason to decline.", "error")
    return redirect(url_for("staff.queue", specialty=item.specialty_code))


@bp.post("/queue/<int(max=2147483647):request_id>/contact")
@staff_required(*EVERYONE)
def queue_contact(request_id: int) -> Response:
    """Add a line to the request's contact log: what came of a call (phone staff, schedulers)."""
    form = ContactForm()
    item = _request(request_id)
    if not form.validate_on_submit():
        flash("Choose what came of the call.", "error")
        return _back(item.specialty_code, request_id)
    try:
        outcome = request_queue.log_contact(request_id, form.outcome.data, actor=_actor())
    except InvalidInput:
        flash("Choose what came of the call.", "error")
    except DomainError as refusal:
        flash(refusal.message, "error")
    else:
        flash(f"Logged for {item.reference}: {outcome.words}.", "success")
    return _back(item.specialty_code, request_id)
