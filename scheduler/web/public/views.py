"""The request-or-book journey, one question per page (GOV.UK question pages), then "Check your
answers" and a confirmation. Thin views: the answers live in ``journey``, the rules in services."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_wtf import FlaskForm
from werkzeug import Response

from scheduler.domain.catalog import UNSURE
from scheduler.domain.catalog import UNSURE_HINT
from scheduler.domain.catalog import UNSURE_LABEL
from scheduler.domain.catalog import VisitType
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import RoutedElsewhere
from scheduler.domain.errors import SlotTaken
from scheduler.domain.messages import MessageKind
from scheduler.domain.offer import Catalog
from scheduler.domain.routing import CAUSE_HINTS
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAG_HINTS
from scheduler.domain.routing import RED_FLAGS
from scheduler.domain.routing import Intake
from scheduler.extensions import limiter
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import holds
from scheduler.services import outbox
from scheduler.services import requests as visit_requests
from scheduler.services import urgent
from scheduler.services import waitlist
from scheduler.settings import settings
from scheduler.web import contact
from scheduler.web.public import bp
from scheduler.web.public import forms
from scheduler.web.public import journey
from scheduler.web.public import picker
from scheduler.web.public.present import by_channels
from scheduler.web.public.present import describe_refusal
from scheduler.web.public.present import reminder_sentence
from scheduler.web.public.present import when
from scheduler.web.public.request_page import preferred
from scheduler.web.public.times import parse_choice
from scheduler.web.public.waitlist import ANY_TIME
from scheduler.web.public.waitlist import NOTICE_KEY as WAITLIST_NOTICE
from scheduler.web.public.waitlist import WEEKDAY_NUMBERS

TAKEN_KINDLY = (
    "Sorry, the time you chose was taken by someone else before we could book it. "
    "Your answers are saved: please choose another time."
)


def _write_limit() -> str:
    return settings().ratelimit_public_write


def _offer() -> Catalog:
    return clinic.current_catalog(utc_now())


def _form_page(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """A question page; 422 when it shows errors, so scripts and tests can tell at once."""
    status = 422 if form.errors else 200
    return render_template(template, form=form, **context), status


def _after_answer() -> Response:
    return redirect(url_for(journey.next_step(journey.answers(), _offer())))


def _require(*keys: str) -> Response | None:
    """Send the patient back to the first unanswered question when they skip ahead (a bookmark,
    the back button after finishing, an expired session): every question asked of them must be
    answered, and ``keys`` too."""
    current = journey.answers()
    if journey.unanswered(current) is None and all(k in current for k in keys):
        return None
    return redirect(url_for(journey.next_step(current, _offer())))


def _ask(question: str) -> Response | None:
    """A question page opens once the questions before it are answered, and only for a patient it
    is asked of (a returning patient is not asked what the clinic knows: domain.routing)."""
    current = journey.answers()
    if question in journey.asked(current) and journey.unanswered(current, before=question) is None:
        return None
    return redirect(url_for(journey.next_step(current, _offer())))


@bp.get("/")
def start() -> str:
    return render_template("public/start.html")


@bp.route("/request/what", methods=["GET", "POST"])
def what() -> Any:
    offer = _offer()
    form = forms.WhatForm(data=journey.answers())
    visit_types = list(offer.visit_types.values())
    form.requested.choices = forms.options(
        [(vt.code, vt.choice_label) for vt in visit_types] + [(UNSURE, UNSURE_LABEL)]
    )
    if form.validate_on_submit():
        journey.save(requested=form.requested.data, route_seen=None)
        return _after_answer()
    return _form_page("public/what.html", form, option_hints=_choice_hints(visit_types))


def _choice_hints(visit_types: list[VisitType]) -> dict[str, str]:
    """Each choice's hint: what the visit is and who it is for, then its clinical name (the name
    the patient's doctor, letters and confirmations use) when the label is not already that."""
    hints = {}
    for vt in visit_types:
        clinical = f"Medical name: {vt.name}." if vt.choice_label != vt.name else ""
        hints[vt.code] = " ".join(part for part in (vt.hint, clinical) if part)
    return {code: hint for code, hint in hints.items() if hint} | {UNSURE: UNSURE_HINT}


@bp.route("/request/seen-before", methods=["GET", "POST"])
def seen_before() -> Any:
    if (back := _ask("seen_before")) is not None:
        return back
    form = forms.SeenBeforeForm(data=journey.answers())
    if form.validate_on_submit():
        journey.save(seen_before=form.seen_before.data, route_seen=None)
        return _after_answer()
    return _form_page("public/question.html", form, field=form.seen_before, back="public.what",
                      hint="Answer yes if you have had any visit at the SI Joint Clinic.")  # fmt: skip


@bp.route("/request/cause", methods=["GET", "POST"])
def cause() -> Any:
    if (back := _ask("cause")) is not None:
        return back
    current = journey.answers()
    form = forms.CauseForm(data=current)
    if form.validate_on_submit():
        journey.save(cause=form.cause.data, route_seen=None)
        return _after_answer()
    return _form_page("public/cause.html", form, back=journey.previous_page(current, "cause"), cause_hints=CAUSE_HINTS)


@bp.route("/request/red-flags", methods=["GET", "POST"])
def red_flags() -> Any:
    if (back := _ask("red_flags")) is not None:
        return back
    current = journey.answers()
    kept = current.get("red_flags")
    form = forms.RedFlagsForm(data={"red_flags": (kept or [forms.NO_RED_FLAGS]) if kept is not None else []})
    if form.validate_on_submit():
        journey.save(red_flags=[f for f in form.red_flags.data if f != forms.NO_RED_FLAGS], route_seen=None)
        return _after_answer()
    return _form_page("public/red_flags.html", form, back=journey.previous_page(current, "red_flags"),
                      red_flag_hints=RED_FLAG_HINTS, no_red_flags=forms.NO_RED_FLAGS)  # fmt: skip


@bp.route("/request/referred", methods=["GET", "POST"])
def referred() -> Any:
    if (back := _ask("referred")) is not None:
        return back
    current = journey.answers()
    form = forms.ReferredForm(data=current)
    if form.validate_on_submit():
        journey.save(referred=form.referred.data, route_seen=None)
        return _after_answer()
    return _form_page("public/question.html", form, field=form.referred, hint="For example your family doctor or a "
                      "spine specialist.", back=journey.previous_page(current, "referred"))  # fmt: skip


@bp.get("/request/route")
def route() -> Any:
    if (back := _require()) is not None:
        return back
    offer = _offer()
    current = journey.save(route_seen=True)
    decision = journey.decision(current, offer)
    return render_template(
        "public/route.html",
        decision=decision,
        clinic_now=urgent.clinic_status() if decision.urgent else None,
        visit_type=offer.visit_type(decision.visit_type),
        specialty=offer.specialties[decision.specialty],
        books=journey.books_a_time(current, offer),
        next_url=url_for(journey.next_step(current, offer)),
        back=journey.previous_page(current, "route"),
    )


def _time_page(
    form: forms.TimeForm, current: dict[str, Any], offer: Catalog, notice: str | None = None
) -> tuple[str, int]:
    """The picker: a day, then a time on it (see picker.py); 422 for a refused time or a bad
    value in the address."""
    decision = journey.decision(current, offer)
    capable = offer.capable_providers(decision.visit_type, decision.specialty)
    chosen = picker.build(decision.visit_type, decision.specialty, capable, "public.time")
    held = journey.held_slot(current)
    if form.slot.data is None and held is not None:
        form.slot.data = f"{held.start.isoformat()}|{held.provider_id}"
    page = render_template(
        "public/time.html",
        form=form,
        picker=chosen,
        problem=bool(chosen.problems),
        visit_type=offer.visit_type(decision.visit_type),
        specialty=offer.specialties[decision.specialty],
        notice=notice,
    )
    return page, 422 if form.errors or chosen.problems else 200


@bp.route("/request/time", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def time() -> Any:
    if (back := _require("route_seen")) is not None:
        return back
    offer = _offer()
    current = journey.answers()
    if not journey.books_a_time(current, offer):
        return redirect(url_for("public.preferences"))
    form = forms.TimeForm()
    notice = session.pop("time_notice", None)
    if form.validate_on_submit():
        start, provider_id = parse_choice(form.slot.data)
        if start is None:
            form.slot.errors = ["Select a time for your visit"]
        else:
            decision = journey.decision(current, offer)
            previous = journey.held_slot(current)
            try:
                held = holds.hold_time(
                    decision.visit_type,
                    start,
                    specialty=decision.specialty,
                    provider_id=provider_id,
                    replaces=previous.token if previous else None,
                    client=holds.HoldClient.at_address(request.remote_addr),
                )
            except DomainError as refusal:
                form.slot.errors = [describe_refusal(refusal, decision.visit_type, start, decision.specialty)]
            else:
                journey.save(
                    waitlist=None,  # a time chosen after all: no waitlist
                    slot={
                        "start": held.starts_at.isoformat(),
                        "provider_id": held.provider_id,
                        "token": held.token,
                        "expires_at": held.expires_at.isoformat(),
                        "visit_type": held.visit_type_code,
                    },
                )
                return _after_answer()
    return _time_page(form, current, offer, notice)


@bp.route("/request/waitlist", methods=["GET", "POST"])
def join_waitlist() -> Any:
    """None of the times suits: join the waitlist with the days and parts of the day that do."""
    if (back := _require("route_seen")) is not None:
        return back
    current = journey.answers()
    if not journey.books_a_time(current, _offer()):
        return redirect(url_for("public.preferences"))
    form = forms.EarlierForm(data=current.get("waitlist") or {})
    if form.validate_on_submit():
        journey.save(waitlist={"days": form.days.data or [], "parts_of_day": form.parts_of_day.data or []}, slot=None)
        return _after_answer()
    return _form_page("public/join_waitlist.html", form)


@bp.post("/request/time/instead")
def request_instead() -> Response:
    """Nothing free (or nothing that suits): send a request with preferred times instead."""
    journey.save(request_instead=True)
    return redirect(url_for("public.preferences"))


@bp.route("/request/preferences", methods=["GET", "POST"])
def preferences() -> Any:
    if (back := _require("route_seen")) is not None:
        return back
    current = journey.answers()
    form = forms.PreferencesForm(data=current.get("preferences") or {})
    if form.validate_on_submit():
        journey.save(
            preferences={"days": form.days.data, "parts_of_day": form.parts_of_day.data, "notes": form.notes.data or ""}
        )
        return _after_answer()
    return _form_page("public/preferences.html", form)


@bp.route("/request/details", methods=["GET", "POST"])
def details() -> Any:
    if (back := _require("route_seen")) is not None:
        return back
    current = journey.answers()
    form = forms.DetailsForm(data=current.get("typed") or {})
    form.phone_required = journey.is_urgent(current, _offer())
    if form.is_submitted() and (form.website.data or "").strip():
        abort(400, "This form could not be sent.")  # the honeypot: only robots fill it in
    if form.validate_on_submit():
        typed = {name: form[name].data for name in ("given_name", "family_name", "birth_month", "birth_day",
                                                     "birth_year", "phone", "email", "sms_consent")}  # fmt: skip
        assert form.birth_date is not None  # validate() guarantees it
        journey.save(
            typed=typed,
            details={
                "given_name": form.given_name.data.strip(),
                "family_name": form.family_name.data.strip(),
                "birth_date": form.birth_date.isoformat(),
                "phone": form.phone_e164,
                "email": form.email_normalized,
                "sms_consent": bool(form.sms_consent.data),
            },
        )
        return _after_answer()
    return _form_page("public/details.html", form, urgent=form.phone_required)


@bp.route("/request/check", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def check() -> Any:
    offer = _offer()
    current = journey.answers()
    if journey.next_step(current, offer) != "public.check":
        return redirect(url_for(journey.next_step(current, offer)))
    form = forms.CheckForm()
    problem = None
    if form.validate_on_submit():
        try:
            return _submit(current, offer)
        except SlotTaken:
            journey.save(slot=None)
            session["time_notice"] = TAKEN_KINDLY
            return redirect(url_for("public.time"))
        except RoutedElsewhere as moved:
            journey.save(slot=None, route_seen=None)
            problem = moved.message
        except InvalidInput as refusal:  # joining the waitlist: nothing to send offers to
            problem = " ".join(refusal.fields.values())
        except DomainError as refusal:
            problem = refusal.message
    decision = journey.decision(current, offer)
    return render_template(
        "public/check.html",
        form=form,
        problem=problem,
        answers=current,
        decision=decision,
        visit_type=offer.visit_type(decision.visit_type),
        specialty=offer.specialties[decision.specialty],
        requested_name=_requested_name(current, offer),
        asked=journey.asked(current),
        cause_name=CAUSES.get(current.get("cause", ""), ""),
        red_flag_names=[RED_FLAGS[f] for f in current.get("red_flags", []) if f in RED_FLAGS],
        slot=journey.held_slot(current),
        provider_name=_provider_name(current, offer),
        patient=journey.patient_details(current),
        phone_display=contact.phone_display((current.get("details") or {}).get("phone")),
        books=journey.books_a_time(current, offer),
        waitlist=(preferred(current["waitlist"]) or ANY_TIME) if journey.joins_waitlist(current) else None,
        when=when,
    ), (422 if problem else 200)


def _requested_name(current: dict[str, Any], offer: Catalog) -> str:
    code = current.get("requested", UNSURE)
    return "Not sure: I have SI joint pain" if code == UNSURE else offer.visit_type(code).choice_label


def _provider_name(current: dict[str, Any], offer: Catalog) -> str:
    slot = journey.held_slot(current)
    provider = offer.providers.get(slot.provider_id) if slot else None
    return provider.described if provider else ""


def _submit(current: dict[str, Any], offer: Catalog) -> Response:
    patient = journey.patient_details(current)
    assert patient is not None  # next_step() == check guarantees the details
    intake = journey.intake(current)
    if journey.joins_waitlist(current) and journey.books_a_time(current, offer):
        chosen = current["waitlist"]
        joined = waitlist.join(
            visit_type_code=journey.decision(current, offer).visit_type,
            patient=patient,
            windows=waitlist.windows_from(
                weekdays=[WEEKDAY_NUMBERS[d] for d in chosen.get("days") or [] if d in WEEKDAY_NUMBERS],
                parts_of_day=chosen.get("parts_of_day") or [],
            ),
            channel="web",
        )
        journey.clear()
        session[WAITLIST_NOTICE] = (
            "You are on the waitlist. When a time that suits you opens, we will send you a link to take it. "
            "Keep this page's link: it is also in every offer we send."
        )
        return redirect(url_for("public.waitlist_entry", reference=joined.view.reference, token=joined.manage_token))
    elif journey.books_a_time(current, offer):
        slot = journey.held_slot(current)
        assert slot is not None
        decision = journey.decision(current, offer)
        booked = booking.book_appointment(
            visit_type_code=decision.visit_type,
            start=slot.start,
            # The patient's own words chose this visit type; booking routes it again with their records.
            intake=Intake(decision.visit_type, intake.seen_before, intake.cause, intake.referred, intake.red_flags),
            patient=patient,
            channel="web",
            provider_id=slot.provider_id,
            hold_token=slot.token,
        )
        session["confirmation"] = {"kind": "appointment", "reference": booked.appointment.reference,
                                   "token": booked.manage_token, "at": utc_now().isoformat()}  # fmt: skip
    else:
        submitted = visit_requests.submit_request(
            intake=intake, patient=patient, preferences=current.get("preferences") or {}, channel="web"
        )
        call_back_by = submitted.request.call_back_by
        session["confirmation"] = {"kind": "request", "reference": submitted.request.reference,
                                   "request_id": submitted.request.id,
                                   "call_back_by": call_back_by.isoformat() if call_back_by else None,
                                   "at": utc_now().isoformat()}  # fmt: skip
    journey.clear()
    return redirect(url_for("public.confirmation"))


# The confirmation (with the manage link) is shown to the browser that booked, for a short while
# and only until it goes to another page: the next person at a shared computer never sees it.
CONFIRMATION_SHOWN_FOR = timedelta(minutes=15)


@bp.before_request
def _forget_confirmation() -> None:
    if request.endpoint != "public.confirmation":
        session.pop("confirmation", None)


@bp.get("/request/confirmation")
def confirmation() -> Any:
    done: dict[str, Any] = session.get("confirmation") or {}
    shown_since = datetime.fromisoformat(done["at"]) if done.get("at") else None
    if shown_since is None or utc_now() - shown_since > CONFIRMATION_SHOWN_FOR:
        session.pop("confirmation", None)
        return redirect(url_for("public.start"))
    if done["kind"] == "appointment":
        appointment = booking.appointment_for_token(done["reference"], done["token"])
        promised = outbox.promised(MessageKind.CONFIRMED, appointment_id=appointment.id, version=appointment.version)
        return render_template(
            "public/confirmation.html",
            appointment=appointment,
            manage_url=url_for("public.manage", reference=appointment.reference, token=done["token"]),
            calendar_url=url_for("public.calendar_file", reference=appointment.reference, token=done["token"]),
            when=when,
            promised=promised,
            by_channels=by_channels,
            reminder=reminder_sentence(promised),
        )
    call_back_by = done.get("call_back_by")
    return render_template(
        "public/request_sent.html",
        reference=done["reference"],
        call_back_by=datetime.fromisoformat(call_back_by) if call_back_by else None,
        promised=outbox.promised(MessageKind.REQUEST_RECEIVED, request_id=done["request_id"]),
        by_channels=by_channels,
    )
