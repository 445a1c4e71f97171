"""The phone console's "add to the waitlist" (issue 17): a caller for whom no time suits, typed in
or found on record, put on the waitlist for a visit with the days and parts of the day that suit
them and the providers they accept (or anyone). Phone staff and schedulers add callers; only
schedulers (and admins) may make an entry urgent. The entry is made as a phone join
(``channel="phone"``, the staff member recorded in the audit trail)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from scheduler.domain.catalog import with_kind
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientDetails
from scheduler.domain.patients import PatientRecord
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.domain.waitlist import Priority
from scheduler.services import clinic
from scheduler.services import waitlist
from scheduler.services.patients import patient_with_id
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.public.forms import options
from scheduler.web.staff import bp
from scheduler.web.staff.phone_forms import SMS_TERMS
from scheduler.web.staff.waitlist_forms import WaitlistCallerForm

EVERYONE = (ADMIN, SCHEDULER, PHONE)
URGENT_ROLES = (ADMIN, SCHEDULER)
URGENT_REFUSED = "Only a scheduler can make a waitlist entry urgent: choose routine, or ask a scheduler."
# What join's refusals name, as the form's fields.
FIELDS = {"visit_type": "visit_type", "provider_ids": "providers", "weekdays": "days", "earliest": "earliest",
          "latest": "latest", "patient.email": "email", "patient": "given_name"}  # fmt: skip


def _form(offer: Catalog) -> WaitlistCallerForm:
    form = WaitlistCallerForm()
    form.visit_type.choices = options([("", "Choose…"), *((vt.code, vt.name) for vt in offer.visit_types.values())])
    open_days = sorted(clinic.clinic_hours().weekdays)
    form.days.choices = options([(str(d), WEEKDAY_NAMES[d]) for d in open_days])
    form.providers.choices = options(
        [
            (str(p.id), f"{with_kind(p.name, p.kind)} ({offer.specialties[p.specialty].name})")
            for p in sorted(offer.providers.values(), key=lambda p: (p.specialty, p.name))
        ]
    )
    return form


def _record_details(patient: PatientRecord) -> PatientDetails:
    return PatientDetails(patient.given_name, patient.family_name, patient.birth_date, patient.phone, patient.email,
                          patient.sms_consent)  # fmt: skip


@bp.route("/phone/waitlist", methods=["GET", "POST"], defaults={"patient_id": None})
@bp.route("/phone/patients/<int(max=2147483647):patient_id>/waitlist", methods=["GET", "POST"])
@staff_required(*EVERYONE)
def phone_waitlist(patient_id: int | None) -> Any:
    """Add a caller to the waitlist: typed in (``/phone/waitlist``) or found on record."""
    offer = clinic.current_catalog(utc_now())
    patient = patient_with_id(patient_id) if patient_id is not None else None
    if patient_id is not None and patient is None:
        abort(404)
    form = _form(offer)
    may_urge = current_user.role in URGENT_ROLES
    # From the booking form's "Add to the waitlist instead": what was typed there fills this form
    # (posted, so nothing about the caller is in an address), with the visit the answers led to.
    routed = request.form.get("from_booking", "")[:40] if request.method == "POST" else ""
    if routed or request.method == "GET":
        asked = routed or request.args.get("visit_type", "")[:40]
        form.visit_type.data = asked if asked in offer.visit_types else ""
    elif form.is_submitted():
        form_ok = form.validate()
        caller_ok = patient is not None or form.validate_caller()  # every mistake at once
        if form.priority.data == Priority.URGENT.value and not may_urge:
            form.priority.errors = [URGENT_REFUSED]
        elif form_ok and caller_ok:
            try:
                joined = waitlist.join(
                    visit_type_code=form.visit_type.data or "",
                    patient=_record_details(patient) if patient is not None else form.details(),
                    windows=waitlist.windows_from(
                        earliest=form.earliest.data,
                        latest=form.latest.data,
                        weekdays=[int(d) for d in form.days.data or []],
                        parts_of_day=form.parts_of_day.data or [],
                    ),
                    provider_ids=[int(p) for p in form.providers.data or []],
                    priority=Priority(form.priority.data or Priority.ROUTINE.value),
                    channel="phone",
                    staff_id=current_user.id,
                )
            except InvalidInput as refusal:
                for name, message in refusal.fields.items():
                    field = getattr(form, FIELDS.get(name, "visit_type"))
                    field.errors = [*field.errors, _staff_words(message, patient)]
            else:
                view = joined.view
                specialty = offer.visit_types[view.visit_type_code].specialty
                flash(f"Added to the waitlist ({view.reference}). Offers go to the patient by email"
                      f"{' and text' if _texts(patient, form) else ''}.", "success")  # fmt: skip
                return redirect(url_for("staff.waitlist", specialty=specialty, _anchor=view.reference), 303)
    return render_template(
        "staff/phone_waitlist.html",
        form=form,
        patient=patient,
        may_urge=may_urge,
        sms_terms=SMS_TERMS,
        phone_display=phone_display,
    ), (422 if form.errors else 200)


def _texts(patient: PatientRecord | None, form: WaitlistCallerForm) -> bool:
    return bool(patient.sms_consent and patient.phone) if patient is not None else bool(form.sms_consent.data)


def _staff_words(message: str, patient: PatientRecord | None) -> str:
    """join's refusals are worded for the patient; staff read a few of them about the caller."""
    if message.startswith("Give an email address, or agree to texts"):
        if patient is not None:
            return (
                "The record has no email address and no consent to texts: update the patient's contact details first."
            )
        return "Give an email address, or tick that the caller agreed to texts, so that offers can reach them."
    if message.startswith("You are already on the waitlist"):
        return "The caller is already on the waitlist for this visit."
    return message
