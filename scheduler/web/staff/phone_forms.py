"""Forms of the phone-staff console: the patient search and the one booking form that follows the
call (who, why, when, read-back).

The booking form is posted whole at every step (find times, read back, book), so nothing typed is
ever lost and nothing about the caller travels in a URL. Server-side validation is the truth (the
page carries ``novalidate``); messages say what to fix, in the GOV.UK style.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import StopValidation

from scheduler.domain.catalog import UNSURE
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAGS
from scheduler.domain.routing import Intake
from scheduler.domain.routing import questions_asked
from scheduler.web import contact
from scheduler.web.forms import Form
from scheduler.web.public.forms import NAME_LENGTH
from scheduler.web.public.forms import YES_NO
from scheduler.web.public.forms import Checkboxes
from scheduler.web.public.forms import _printable
from scheduler.web.public.forms import options

UNSURE_LABEL = "Not sure: SI joint pain"
NEW_PATIENT = "new"
# What staff read out before ticking the consent box: the same terms the patients' own form shows.
SMS_TERMS = (
    "We text only to confirm, remind you of, or change your visit, never what it is for. At most one text a day. "
    "Message and data rates may apply. Reply STOP at any time to stop. May we text you at this number?"
)
REACHABLE = "Give a phone number or an email address so the clinic can reach them."
BIRTH_DATE_FORMAT = "Enter the date of birth like 3/27/1970 or 1970-03-27"

_US_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DIGITS_DATE = re.compile(r"(\d{2})(\d{2})(\d{4})")


def parse_birth_date(text: str | None) -> date:
    """A date of birth typed in one box: "3/27/1970", "03-27-1970", "1970-03-27" or "03271970".

    Raises ValueError with the sentence to show."""
    text = (text or "").strip()[:20]
    if not text:
        raise ValueError("Enter the date of birth")
    parts: tuple[str, str, str] | None = None
    if found := _ISO_DATE.fullmatch(text):
        parts = (found[1], found[2], found[3])
    elif found := (_US_DATE.fullmatch(text) or _DIGITS_DATE.fullmatch(text)):
        parts = (found[3], found[1], found[2])
    if parts is None:
        raise ValueError(BIRTH_DATE_FORMAT)
    try:
        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValueError("Date of birth must be a real date, like 3/27/1970") from None
    return contact.birth_date(day)


def check_caller(form: Any) -> bool:
    """The birth date and contact fields a caller's form shares (the booking form, the waitlist
    form): parsed onto ``form.birth_date``, ``form.phone_e164`` and ``form.email_normalized``,
    each problem on its field. True when both are right."""
    ok = True
    if not form.birth_date_text.errors:
        try:
            form.birth_date = parse_birth_date(form.birth_date_text.data)
        except ValueError as problem:
            form.birth_date_text.errors = [str(problem)]
            ok = False
    form.phone_e164, form.email_normalized, contact_ok = contact.check_contact_fields(
        form.phone, form.email, bool(form.sms_consent.data), reachable_message=REACHABLE
    )
    return ok and contact_ok


class RequiredIfAsked:
    """InputRequired for an intake question the caller is asked (BookingForm.asked); a question
    they are not asked is not checked at all, whatever was sent for it."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.name not in form.asked():
            field.errors[:] = []  # not even "Not a valid choice": nothing sent for it counts
            raise StopValidation()
        if not (field.raw_data and field.raw_data[0]):
            field.errors[:] = []
            raise StopValidation(self.message)


class SearchForm(Form):
    """The search box; posted (never in the address), so a name or birth date is never logged."""

    q = StringField("Find a patient", validators=[Optional(), Length(max=200)])


class BookingForm(Form):
    # The record picked (from the search or the duplicate warning); empty for a new patient.
    patient_id = HiddenField()
    # Who
    given_name = StringField(
        "First name", validators=[InputRequired("Enter the patient's first name"), NAME_LENGTH, _printable]
    )
    family_name = StringField(
        "Last name", validators=[InputRequired("Enter the patient's last name"), NAME_LENGTH, _printable]
    )
    birth_date_text = StringField("Date of birth", validators=[Optional(), Length(max=20, message=BIRTH_DATE_FORMAT)])
    phone = StringField("Phone number", validators=[Optional(), Length(max=30, message=contact.PHONE_MESSAGE)])
    email = StringField("Email address", validators=[Optional(), Length(max=254, message=contact.EMAIL_MESSAGE)])
    sms_consent = BooleanField("The caller agreed to text messages, after I read out the terms")
    # Why
    requested = SelectField("What are they asking for?", choices=[],
                            validators=[InputRequired("Select what the caller is asking for")])  # fmt: skip
    seen_before = RadioField(
        "Seen at the clinic before?",
        choices=options(YES_NO),
        validators=[InputRequired("Select yes if the caller has been seen at the clinic before")],
    )
    # Asked of new callers only (routing.questions_asked): the clinic's records answer them for
    # one seen here before, as on the patients' own pages.
    cause = RadioField(
        "Likely cause of the pain",
        choices=options(list(CAUSES.items())),
        validators=[RequiredIfAsked("Select the likely cause, or 'Unknown'")],
    )
    red_flags = Checkboxes("Any of these right now?", choices=options(list(RED_FLAGS.items())), validators=[Optional()])
    referred = RadioField(
        "Referred by a physician?",
        choices=options(YES_NO),
        validators=[RequiredIfAsked("Select yes if a physician referred the caller")],
    )
    # The duplicate warning: which record this caller is (a patient id, or NEW_PATIENT), and the
    # ids of the records the warning listed (so "create anyway" answers exactly that warning).
    duplicate_choice = RadioField("Is the caller one of these patients?", choices=[], validate_choice=False,
                                  validators=[Optional()])  # fmt: skip
    duplicates_seen = HiddenField()
    # When: "<ISO start>|<provider id>", checked again by the booking rules.
    slot = RadioField("Choose a time", choices=[], validate_choice=False, validators=[Optional()])
    # A fingerprint of what was read back, so "Book" books exactly that (not what was typed after).
    read_back = HiddenField()

    birth_date: date | None = None
    phone_e164: str | None = None
    email_normalized: str | None = None

    def set_visit_types(self, pairs: list[tuple[str, str]]) -> None:
        self.requested.choices = options([("", "Choose…"), *pairs, (UNSURE, UNSURE_LABEL)])

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if self.requested.data == "":
            self.requested.errors = ["Select what the caller is asking for"]
            ok = False
        return check_caller(self) and ok

    @property
    def picked_patient_id(self) -> int | None:
        value = (self.patient_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

    def details(self) -> PatientDetails:
        """The caller's details as validated (call after :meth:`validate` returned True)."""
        assert self.birth_date is not None
        return PatientDetails(
            given_name=(self.given_name.data or "").strip(),
            family_name=(self.family_name.data or "").strip(),
            birth_date=self.birth_date,
            phone=self.phone_e164,
            email=self.email_normalized,
            sms_consent=bool(self.sms_consent.data),
        )

    def asked(self) -> tuple[str, ...]:
        """The intake questions this caller is asked, by their answer to "Seen at the clinic
        before?" so far: the domain's one rule (routing.questions_asked), as on the patient pages."""
        seen_before = self.seen_before.data
        return questions_asked(seen_before == "yes" if seen_before in ("yes", "no") else None)

    def intake(self) -> Intake:
        """The answers as routing reads them: a question the caller was not asked counts as
        unanswered (the cause "unknown", not referred), whatever its hidden boxes still hold."""
        asked = self.asked()
        return Intake(
            requested=self.requested.data or UNSURE,
            seen_before=self.seen_before.data == "yes",
            cause=(self.cause.data or "unknown") if "cause" in asked else "unknown",
            referred=self.referred.data == "yes" and "referred" in asked,
            red_flags=frozenset(self.red_flags.data or []),
        )

    def seen_ids(self) -> frozenset[int]:
        return frozenset(int(p) for p in (self.duplicates_seen.data or "").split(",") if p.isdigit() and len(p) < 10)

    def fingerprint(self, visit_type: str) -> str:
        """What the read-back said, as a digest (no details in the page beyond the form's own fields)."""
        details = self.details()
        parts = [str(self.picked_patient_id or ""), details.given_name, details.family_name,
                 details.birth_date.isoformat(), details.phone or "", details.email or "",
                 str(details.sms_consent), visit_type, self.slot.data or ""]  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
