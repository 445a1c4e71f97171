"""The patient record (/staff/patients/<id>) and the patient search that leads to it.

The search is POSTed (as the phone console's is), so a name, a birth date or a phone number never
appears in a URL, a browser history or an access log; the record's address holds only the id.
Every view of a record is written in the audit trail (services.patient_file.open_file).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from wtforms import BooleanField
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import Optional

from scheduler.domain.errors import NotFound
from scheduler.domain.patient_file import ContactNeeds
from scheduler.domain.routing import CAUSES
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.services import patient_file
from scheduler.services import patient_merge
from scheduler.services.patients import patient_with_id
from scheduler.services.staff_visits import DECLINE_REASONS
from scheduler.web import contact
from scheduler.web.auth import roles_of
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.forms import Form
from scheduler.web.public.forms import _printable
from scheduler.web.staff import bp
from scheduler.web.staff.phone import search_results
from scheduler.web.staff.phone import us_date
from scheduler.web.staff.phone_forms import SMS_TERMS
from scheduler.web.staff.phone_forms import SearchForm

# Schedulers and admins work with the record; phone staff too: they talk to the patients.
READERS = (ADMIN, SCHEDULER, PHONE)
REACHABLE = "Give a phone number or an email address so the clinic can reach the patient."
KIND_WORDS = {
    "request-received": "Request received",
    "confirmed": "Visit confirmed",
    "reminder": "Reminder",
    "rescheduled": "Visit moved",
    "cancelled": "Visit cancelled",
    "link-resent": "Link sent again",
    "waitlist-offer": "Waitlist offer",
    "offer-taken": "Offer taken",
    "waitlist-expiring": "Waitlist ending",
}


class ContactForm(Form):
    phone = StringField("Phone number", validators=[Optional(), Length(max=30, message=contact.PHONE_MESSAGE)])
    email = StringField("Email address", validators=[Optional(), Length(max=254, message=contact.EMAIL_MESSAGE)])
    sms_consent = BooleanField("The patient agreed to text messages, after I read out the terms")
    interpreter_language = StringField(
        "Interpreter needed for (language)",
        validators=[Optional(), Length(max=60, message="Use 60 characters or fewer"), _printable],
    )
    access_needs = StringField(
        "Access needs",
        validators=[Optional(), Length(max=300, message="Use 300 characters or fewer"), _printable],
    )

    phone_e164: str | None = None
    email_normalized: str | None = None

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        # The same contact rules as the patients' own pages and the phone console.
        self.phone_e164, self.email_normalized, contact_ok = contact.check_contact_fields(
            self.phone, self.email, bool(self.sms_consent.data), reachable_message=REACHABLE
        )
        return ok and contact_ok

    def contact(self) -> patient_file.Contact:
        return patient_file.Contact(
            phone=self.phone_e164,
            email=self.email_normalized,
            sms_consent=bool(self.sms_consent.data),
            needs=ContactNeeds((self.interpreter_language.data or "").strip(), (self.access_needs.data or "").strip()),
        )


# ----- finding a patient ---------------------------------------------------------------------------


@bp.route("/patients", methods=["GET", "POST"])
@staff_required(*READERS)
def patients() -> tuple[str, int]:
    """The search page. A POST is the search without JavaScript (the results come back on the page)."""
    form = SearchForm()
    searched = request.method == "POST" and form.validate_on_submit()
    query = (form.q.data or "").strip() if searched else ""
    page = render_template(
        "staff/patients.html", form=form, query=query, results=search_results(query) if query else None
    )
    return page, 422 if form.errors else 200


@bp.post("/patients/search")
@staff_required(*READERS)
def patients_search() -> str:
    """The results as an HTML fragment, for the search box as staff type (POST: no details in URLs)."""
    form = SearchForm()
    query = (form.q.data or "").strip() if form.validate_on_submit() else ""
    return render_template(
        "staff/phone_results.html", query=query, results=search_results(query) if query else None, to_record=True
    )


# ----- the record --------------------------------------------------------------------------------


@bp.get("/patients/<int(max=2147483647):patient_id>")
@staff_required(*READERS)
def patient(patient_id: int) -> Any:
    try:
        record = patient_file.open_file(patient_id, staff_id=current_user.id)
    except NotFound:
        kept = patient_merge.merged_into(patient_id)
        if kept is None:
            abort(404)
        flash(f"Record {patient_id} was merged into this record.", "info")
        return redirect(url_for("staff.patient", patient_id=kept))
    return render_template(
        "staff/patient.html",
        record=record,
        duplicates=patient_merge.possible_duplicates(record.patient),
        us_date=us_date,
        phone_display=phone_display,
        causes=CAUSES,
        kind_words=KIND_WORDS,
        decline_reasons=DECLINE_REASONS,
        can_search_audit=current_user.role in (roles_of("staff.audit") or ()),
        can_merge=current_user.role in (roles_of("staff.patient_merge_find") or ()),
    )


@bp.route("/patients/<int(max=2147483647):patient_id>/contact", methods=["GET", "POST"])
@staff_required(*READERS)
def patient_contact(patient_id: int) -> Any:
    """Change the patient's contact details (validated like the patients' own; audited)."""
    found = patient_with_id(patient_id)
    if found is None:
        abort(404)
    on_file = patient_file.contact_of(found)
    if request.method == "GET":
        form = ContactForm(
            data={
                "phone": phone_display(on_file.phone),
                "email": on_file.email or "",
                "sms_consent": on_file.sms_consent,
                "interpreter_language": on_file.needs.interpreter_language,
                "access_needs": on_file.needs.access_needs,
            }
        )
    else:
        form = ContactForm()
        if form.validate_on_submit():
            try:
                changed = patient_file.change_contact(patient_id, form.contact(), staff_id=current_user.id)
            except NotFound:
                abort(404)
            flash("Contact details saved." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("staff.patient", patient_id=patient_id), 303)
    return render_template(
        "staff/patient_contact.html", form=form, patient=found, us_date=us_date, sms_terms=SMS_TERMS
    ), (422 if form.errors else 200)
