"""The phone-staff console: find the caller (or start a new patient), ask the patients' questions in
the order of the call, find the next free time in the routed specialty, read it back, book.

Privacy: the search is POSTed (a fetch with the ``X-CSRFToken`` header while typing, a form post
without JavaScript), so names, birth dates and phone numbers never appear in a URL, a browser
history or an access log; only patient and appointment ids do. Every step posts the whole booking
form, so nothing typed is lost on an error, a duplicate warning or a time taken meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from scheduler.domain import time_words
from scheduler.domain.bookings import describe_time
from scheduler.domain.catalog import Specialty
from scheduler.domain.catalog import VisitType
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.errors import SlotTaken
from scheduler.domain.offer import Catalog
from scheduler.domain.patient_file import PatientFile
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.routing import QUESTIONS
from scheduler.domain.routing import RoutingDecision
from scheduler.domain.routing import questions_asked
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.services import clinic
from scheduler.services import clinic_details
from scheduler.services import routing
from scheduler.services import staff_visits
from scheduler.services.patient_file import read_file
from scheduler.services.patient_search import likely_duplicates
from scheduler.services.patient_search import open_record
from scheduler.services.patient_search import search_patients
from scheduler.services.patients import find_patient
from scheduler.services.patients import history
from scheduler.services.patients import patient_with_id
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.public.present import describe_refusal
from scheduler.web.public.present import when
from scheduler.web.public.times import offered_days
from scheduler.web.public.times import parse_choice
from scheduler.web.staff import bp
from scheduler.web.staff import phone_forms as forms
from scheduler.web.staff import time_picker

EVERYONE = (ADMIN, SCHEDULER, PHONE)
ACTIONS = ("find", "readback", "book")

TAKEN = "That time was just taken by someone else. Everything typed is kept: choose one of the fresh times below."
RETURNING_HINT = "If yes, the questions the clinic's records answer (the likely cause, the referral) are not asked."
CHANGED = "Something changed after the read-back. Read the details back to the caller again, then book."
MATCHED = "These details match a patient already on record (same name, birth date and phone or email): " \
          "the visit will be booked for that patient."  # fmt: skip
UNMATCHED = "The details typed no longer match the record you picked, so booking would make a new patient record."
NEW_ANYWAY = "Booking makes a new patient record, as you chose over the likely duplicates (this is recorded)."
USING = "Using the record on file. Check the phone number and email address with the caller."


def _actor() -> staff_visits.Actor:
    return staff_visits.Actor(staff_id=current_user.id, role=current_user.role, channel="phone")


def _offer() -> Catalog:
    return clinic.current_catalog(utc_now())


def us_date(day: date) -> str:
    """A birth date as every staff page writes it (domain.time_words.birth_date): "03/27/1970"."""
    return time_words.birth_date(day)


# ----- finding the caller ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    id: int
    name: str
    birth_date: str
    phone: str
    email: str


def search_results(text: str) -> list[Found]:
    """The patients matching what staff typed (a name, a birth date, a phone number, a reference)."""
    return [
        Found(p.id, f"{p.family_name}, {p.given_name}", us_date(p.birth_date), phone_display(p.phone), p.email or "")
        for p in search_patients(text)
    ]


@bp.route("/phone", methods=["GET", "POST"])
@staff_required(*EVERYONE)
def phone() -> tuple[str, int]:
    """The console. A POST is the search without JavaScript (the results come back on the page)."""
    form = forms.SearchForm()
    searched = request.method == "POST" and form.validate_on_submit()
    query = (form.q.data or "").strip() if searched else ""
    page = render_template("staff/phone.html", form=form, query=query, results=search_results(query) if query else None)
    return page, 422 if form.errors else 200


@bp.post("/phone/search")
@staff_required(*EVERYONE)
def phone_search() -> str:
    """The results as an HTML fragment, for the search box as staff type (POST: no details in URLs)."""
    form = forms.SearchForm()
    query = (form.q.data or "").strip() if form.validate_on_submit() else ""
    return render_template("staff/phone_results.html", query=query, results=search_results(query) if query else None)


# ----- the booking form --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    decision: RoutingDecision
    visit_type: VisitType
    specialty: Specialty
    picker: time_picker.TimePicker


@dataclass(frozen=True)
class ReadBack:
    when: str
    provider: str
    location: str
    visit_type: VisitType
    patient_name: str
    birth_date: str
    phone: str
    email: str
    sms_consent: bool


@dataclass
class Step:
    """What the page shows under the questions, as far as the call has got."""

    patient: PatientRecord | None = None
    duplicates: list[PatientRecord] = field(default_factory=list)
    create_anyway: bool = False
    notices: list[str] = field(default_factory=list)
    route: Route | None = None
    read_back: ReadBack | None = None
    problem: str | None = None
    on_file: PatientFile | None = None  # what the record holds, when the caller was picked from it


def _booking_form(offer: Catalog, **data: Any) -> forms.BookingForm:
    form = forms.BookingForm(data=data or None)
    form.set_visit_types([(vt.code, vt.name) for vt in offer.visit_types.values()])
    return form


def _page(form: forms.BookingForm, offer: Catalog, step: Step, status: int = 200) -> tuple[str, int]:
    if status == 200 and (form.errors or step.problem):
        status = 422
    picked = step.patient if step.patient is not None else _picked(form)
    # What the clinic's records answer for a returning caller: hidden in the page when staff
    # answer "Seen at the clinic before?" with yes, and skipped on the server (form.intake).
    returning_skips = [q for q in QUESTIONS if q not in questions_asked(True)]
    return render_template(
        "staff/phone_book.html",
        form=form,
        offer=offer,
        step=step,
        picked=picked,
        problem=step.problem,
        sms_terms=forms.SMS_TERMS,
        us_date=us_date,
        phone_display=phone_display,
        when=when,
        time_of=describe_time,
        today=clinic_today(utc_now()),
        red_flag_names=form.intake().red_flag_names if step.route and step.route.decision.urgent else [],
        asked=form.asked(),
        returning_skips=returning_skips,
        returning_hint=RETURNING_HINT if returning_skips else None,
    ), status


def _picked(form: forms.BookingForm) -> PatientRecord | None:
    return patient_with_id(form.picked_patient_id)


@bp.get("/phone/new")
@staff_required(*EVERYONE)
def phone_new() -> tuple[str, int]:
    offer = _offer()
    return _page(_booking_form(offer), offer, Step())


@bp.get("/phone/patients/<int(max=2147483647):patient_id>")
@staff_required(*EVERYONE)
def phone_patient(patient_id: int) -> tuple[str, int]:
    patient = open_record(patient_id, staff_id=current_user.id, channel="phone")
    if patient is None:
        abort(404)
    offer = _offer()
    on_file = read_file(patient)
    typed = _as_typed(patient)
    if on_file.seen_before:
        typed["seen_before"] = "yes"  # what the record knows: a visit here has taken place
    form = _booking_form(offer, **typed)
    return _page(form, offer, Step(patient=patient, on_file=on_file))


def _as_typed(patient: PatientRecord) -> dict[str, Any]:
    """A record's details as they would be typed into the form."""
    return {
        "patient_id": str(patient.id),
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date_text": us_date(patient.birth_date),
        "phone": phone_display(patient.phone),
        "email": patient.email or "",
        "sms_consent": patient.sms_consent,
    }


def _use_record(form: forms.BookingForm, patient: PatientRecord) -> PatientDetails:
    """Fill the "who" boxes from ``patient``'s record (what staff chose in the duplicate warning).
    The record's own phone and email are kept, so the booking finds this record; a contact missing
    from it is taken from what was typed. Text consent given on this call or before stands (the
    box shows it, so staff can still untick it)."""
    typed = form.details()
    consent = typed.sms_consent or patient.sms_consent
    form.sms_consent.data = consent
    form.patient_id.data = str(patient.id)
    form.given_name.data, form.family_name.data = patient.given_name, patient.family_name
    form.birth_date_text.data = us_date(patient.birth_date)
    phone, email = patient.phone or typed.phone, patient.email or typed.email
    form.phone.data, form.email.data = phone_display(phone), email or ""
    form.duplicate_choice.data, form.duplicates_seen.data = None, ""
    return PatientDetails(patient.given_name, patient.family_name, patient.birth_date, phone, email, consent)


def _who(form: forms.BookingForm, details: PatientDetails, step: Step) -> PatientDetails:
    """Settle which patient record the caller is: ``step.patient`` (a record), ``step.duplicates``
    (a warning to answer first) or neither (a new patient, ``step.create_anyway`` when staff chose
    that over a warning). Returns the details to book with."""
    found = find_patient(details)
    picked_id = form.picked_patient_id
    if picked_id is not None:
        if found is not None and found.id == picked_id:
            step.patient = found
            return details
        form.patient_id.data = ""
        step.notices.append(UNMATCHED)
    if found is not None:
        form.patient_id.data = str(found.id)
        step.patient = found
        step.notices.append(MATCHED)
        return details
    candidates = likely_duplicates(details)
    if not candidates:
        return details
    ids = {c.id for c in candidates}
    choice = form.duplicate_choice.data or ""
    if choice == forms.NEW_PATIENT and ids <= form.seen_ids():
        step.create_anyway = True
        step.notices.append(NEW_ANYWAY)
        return details
    if choice.isdigit() and int(choice) in ids:
        chosen = next(c for c in candidates if c.id == int(choice))
        step.patient = chosen
        step.notices.append(USING)
        return _use_record(form, chosen)
    # Show the warning; "use this patient" (the closest match) is chosen unless staff say otherwise.
    form.duplicates_seen.data = ",".join(str(c.id) for c in candidates)
    form.duplicate_choice.data = str(candidates[0].id)
    step.duplicates = candidates
    return details


def _route(form: forms.BookingForm, offer: Catalog, patient: PatientRecord | None, asked: time_picker.Asked) -> Route:
    """Where the answers lead, and the free times as the picker was asked for them (from the
    first day, with the provider asked for). No time is chosen for staff."""
    decision = routing.decide(form.intake(), history(patient), offer)
    # An urgent caller is offered physicians only, including the times they keep for urgent patients.
    providers = time_picker.named(offer.capable_providers(decision.visit_type, decision.specialty,
                                                          urgent=decision.urgent))  # fmt: skip
    provider_id = time_picker.provider_asked(asked, providers)
    first = time_picker.first_day(asked)
    days, later = offered_days(decision.visit_type, decision.specialty, first,
                               patient_id=patient.id if patient is not None else None, urgent=decision.urgent,
                               provider_id=provider_id, days_wanted=time_picker.DAYS_SHOWN)  # fmt: skip
    picker = time_picker.build(
        [time_picker.Offered(t.value, t.start, t.provider_name) for times in days.values() for t in times],
        field_name="slot", element_id="slot", asked=asked, first=first, later=later, providers=providers,
        provider_id=provider_id, chosen=form.slot.data, focus="time",
    )  # fmt: skip
    return Route(decision, offer.visit_type(decision.visit_type), offer.specialties[decision.specialty], picker)


def _read_back(
    offer: Catalog, route: Route, start: datetime, provider_id: int | None, details: PatientDetails
) -> ReadBack:
    provider = offer.providers.get(provider_id) if provider_id is not None else None
    return ReadBack(
        when=when(start),
        provider=provider.name if provider else f"The first free {route.specialty.name} provider",
        location=clinic_details.current().one_line(),
        visit_type=route.visit_type,
        patient_name=f"{details.given_name} {details.family_name}",
        birth_date=us_date(details.birth_date),
        phone=phone_display(details.phone),
        email=details.email or "",
        sms_consent=details.sms_consent,
    )


@bp.post("/phone/book")
@staff_required(*EVERYONE)
def phone_book() -> Any:
    """Every step of the booking form: find times (and answer a duplicate warning), show other
    days or one provider's times (the picker's buttons: "times"), read back, book."""
    offer = _offer()
    form = _booking_form(offer)
    asked = time_picker.read_asked(request.form)
    action = "times" if asked.control else request.form.get("action", "find")
    if action not in (*ACTIONS, "times"):
        action = "find"
    if action == "find":  # the next available again: from today, for the provider asked for
        asked = time_picker.Asked(provider_id=asked.provider_id)
    step = Step()
    if not form.validate_on_submit():
        return _page(form, offer, step)
    details = _who(form, form.details(), step)
    if step.duplicates:
        return _page(form, offer, step)
    route = step.route = _route(form, offer, step.patient, asked)
    if action in ("find", "times"):
        form.read_back.data = ""
        return _page(form, offer, step)
    start, provider_id = parse_choice(form.slot.data)
    if start is None:
        form.slot.errors = ["Select a time for the visit"]
        return _page(form, offer, step)
    fingerprint = form.fingerprint(route.decision.visit_type)
    if action == "readback" or form.read_back.data != fingerprint:
        if action == "book":
            step.problem = CHANGED
        form.read_back.data = fingerprint
        step.read_back = _read_back(offer, route, start, provider_id, details)
        return _page(form, offer, step)
    return _book(form, offer, step, route, details, start, provider_id, asked)


def _book(form: forms.BookingForm, offer: Catalog, step: Step, route: Route, details: PatientDetails,
          start: datetime, provider_id: int | None, asked: time_picker.Asked) -> Any:  # fmt: skip
    try:
        booked = staff_visits.book_for_patient(
            visit_type_code=route.decision.visit_type, start=start, patient=details, actor=_actor(),
            provider_id=provider_id, duplicates_shown=tuple(form.seen_ids()) if step.create_anyway else (),
            intake=form.intake(), urgent=route.decision.urgent, specialty_code=route.decision.specialty,
        )  # fmt: skip
    except SlotTaken:
        form.slot.data, form.read_back.data = None, ""  # fresh times, the same days, nothing chosen
        step.route = _route(form, offer, step.patient, asked)
        form.slot.errors = [TAKEN]
        return _page(form, offer, step, status=409)
    except DomainError as refusal:
        form.slot.errors = [describe_refusal(refusal, route.decision.visit_type, start, route.decision.specialty)]
        form.read_back.data = ""
        return _page(form, offer, step)
    appointment = booked.appointment
    return redirect(url_for("staff.phone_booked", appointment_id=appointment.id), 303)


@bp.get("/phone/booked/<int(max=2147483647):appointment_id>")
@staff_required(*EVERYONE)
def phone_booked(appointment_id: int) -> str:
    try:
        appointment = staff_visits.view_visit(appointment_id, _actor())
    except NotFound:
        abort(404)
    return render_template(
        "staff/phone_booked.html",
        appointment=appointment,
        location=clinic_details.current().one_line(),
        when=when,
        us_date=us_date,
        phone=phone_display(appointment.patient.phone),
    )
