"""The patient's forms. Server-side validation is the truth (the pages carry ``novalidate``); each
message says what to fix, in the GOV.UK style ("Select ...", "Enter ...")."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import Field
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms import widgets
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import RED_FLAGS
from scheduler.services.find_visit import normalize_reference
from scheduler.web import contact
from scheduler.web.forms import Form


def options(pairs: object) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


YES_NO = [("yes", "Yes"), ("no", "No")]
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")  # fmt: skip
WEEKDAYS = [("monday", "Monday"), ("tuesday", "Tuesday"), ("wednesday", "Wednesday"), ("thursday", "Thursday"),
            ("friday", "Friday")]  # fmt: skip
PARTS_OF_DAY = [("morning", "Morning (8 a.m. to noon)"), ("afternoon", "Afternoon (noon to 5 p.m.)")]
CANCEL_REASONS = [
    ("better", "I am feeling better"),
    ("cannot-attend", "I cannot come at that time"),
    ("elsewhere", "I am being seen somewhere else"),
    ("other", "Another reason"),
]
NAME_LENGTH = Length(max=100, message="Use 100 characters or fewer")
PRINTABLE = "Use letters, numbers and punctuation only."


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _printable(form: FlaskForm, field: Field) -> None:
    if field.data and any(ord(ch) < 32 and ch not in "\r\n\t" or ord(ch) == 127 for ch in field.data):
        raise ValidationError(PRINTABLE)


class WhatForm(Form):
    requested = RadioField(
        "What are you asking for?", validators=[InputRequired("Select what you are asking for")], choices=[]
    )


class SeenBeforeForm(Form):
    seen_before = RadioField(
        "Have you been seen at the SI Joint Clinic before?",
        choices=options(YES_NO),
        validators=[InputRequired("Select yes if you have been seen at the clinic before")],
    )


class CauseForm(Form):
    cause = RadioField(
        "What is the likely cause of your SI joint pain?",
        choices=options(list(CAUSES.items())),
        validators=[InputRequired("Select the likely cause, or 'Unknown' if you are not sure")],
    )


NO_RED_FLAGS = "none"  # "No, none of these": an answer, so a patient who skips the question is asked again
NO_RED_FLAGS_LABEL = "No, none of these"
RED_FLAGS_MESSAGE = f"Select any of these you have, or '{NO_RED_FLAGS_LABEL}'"


class RedFlagsForm(Form):
    red_flags = Checkboxes(
        "Do you have any of these right now?",
        choices=options([*RED_FLAGS.items(), (NO_RED_FLAGS, NO_RED_FLAGS_LABEL)]),
        validators=[InputRequired(RED_FLAGS_MESSAGE)],
    )

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        chosen = self.red_flags.data or []
        if ok and NO_RED_FLAGS in chosen and len(chosen) > 1:
            self.red_flags.errors = [f"Select '{NO_RED_FLAGS_LABEL}' on its own, or only the ones you have"]
            return False
        return ok


class ReferredForm(Form):
    referred = RadioField(
        "Did a physician refer you to the clinic?",
        choices=options(YES_NO),
        validators=[InputRequired("Select yes if a physician referred you")],
    )


class TimeForm(Form):
    # Any value is parsed and checked by the booking rules, which say why a time is refused;
    # the page offers only times the clinic really has.
    slot = RadioField("Choose a time", choices=[], validate_choice=False,
                      validators=[InputRequired("Select a time for your visit")])  # fmt: skip


class NewTimeForm(TimeForm):
    # Rescheduling: the same choice, in words that say the visit is moving.
    slot = RadioField("Choose a new time", choices=[], validate_choice=False,
                      validators=[InputRequired("Select a new time for your visit")])  # fmt: skip


class EarlierForm(Form):
    """When an earlier time would suit (nothing ticked: any day, any time)."""

    days = Checkboxes("Which days could you come?", choices=options(WEEKDAYS), validators=[Optional()])
    parts_of_day = Checkboxes("Which part of the day?", choices=options(PARTS_OF_DAY), validators=[Optional()])


class PreferencesForm(Form):
    days = Checkboxes("Which days suit you?", choices=options(WEEKDAYS),
                      validators=[InputRequired("Select at least one day that suits you")])  # fmt: skip
    parts_of_day = Checkboxes("Which part of the day?", choices=options(PARTS_OF_DAY),
                              validators=[InputRequired("Select mornings, afternoons or both")])  # fmt: skip
    notes = TextAreaField(
        "Anything else we should know about when you can come? (optional)",
        validators=[Optional(), Length(max=500, message="Use 500 characters or fewer"), _printable],
    )


def _month_number(text: str) -> int | None:
    """ "3", "03", "Mar" and "March" are all March."""
    text = text.strip().lower().rstrip(".")
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    if len(text) >= 3:
        for number, name in enumerate(MONTHS, start=1):
            if name.startswith(text):
                return number
    return None


class DetailsForm(Form):
    given_name = StringField("First name", validators=[InputRequired("Enter your first name"), NAME_LENGTH, _printable])
    family_name = StringField("Last name", validators=[InputRequired("Enter your last name"), NAME_LENGTH, _printable])
    birth_month = StringField("Month", validators=[Optional(), Length(max=12)])
    birth_day = StringField("Day", validators=[Optional(), Length(max=4)])
    birth_year = StringField("Year", validators=[Optional(), Length(max=6)])
    phone = StringField("Phone number", validators=[Optional(), Length(max=30, message=contact.PHONE_MESSAGE)])
    email = StringField("Email address", validators=[Optional(), Length(max=254, message=contact.EMAIL_MESSAGE)])
    sms_consent = BooleanField("Yes, send me text messages about my visits")
    # A honeypot: hidden from people (and from screen readers); bots fill every field.
    website = StringField("Leave this empty", validators=[Optional()])

    birth_date: date | None = None
    phone_e164: str | None = None
    email_normalized: str | None = None
    # An urgent patient is called back: the phone number is then required.
    phone_required = False

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if self.phone_required and not (self.phone.data or "").strip():
            self.phone.errors = [*self.phone.errors, "Enter a phone number: we will call you back on it"]
            ok = False
        self.birth_date = self._birth_date()
        if self.birth_date is None:
            ok = False
        self.phone_e164, self.email_normalized, contact_ok = contact.check_contact_fields(
            self.phone, self.email, bool(self.sms_consent.data)
        )
        return ok and contact_ok

    def _birth_date(self) -> date | None:
        return birth_date_from(self.birth_month, self.birth_day, self.birth_year)


def birth_date_from(month_box: Field, day_box: Field, year_box: Field) -> date | None:
    """The date from the three boxes, or None with the error on the first box to fix."""
    month_text, day_text, year_text = (f.data or "" for f in (month_box, day_box, year_box))
    if not (month_text.strip() or day_text.strip() or year_text.strip()):
        month_box.errors = [*month_box.errors, "Enter your date of birth"]
        return None
    month = _month_number(month_text)
    if month is None:
        month_box.errors = [*month_box.errors, "Date of birth must include a month, like 3 or March"]
        return None
    if not day_text.strip().isdigit():
        day_box.errors = [*day_box.errors, "Date of birth must include a day, like 27"]
        return None
    if not (year_text.strip().isdigit() and len(year_text.strip()) == 4):
        year_box.errors = [*year_box.errors, "Year must include 4 numbers, like 1970"]
        return None
    try:
        return contact.birth_date(date(int(year_text), month, int(day_text)))
    except ValueError:
        month_box.errors = [*month_box.errors, "Date of birth must be a real date in the past"]
        return None


class CheckForm(Form):
    """Submitting the answers: nothing but the CSRF token."""


class CancelForm(Form):
    reason = RadioField(
        "Why are you cancelling?",
        choices=options(CANCEL_REASONS),
        validators=[InputRequired("Select why you are cancelling")],
    )
    details = TextAreaField(
        "Tell us more (optional)",
        validators=[Optional(), Length(max=400, message="Use 400 characters or fewer"), _printable],
    )


REFERENCE_FORMAT = re.compile(r"^(SIJ|REQ)-[A-Z0-9]{4}-[A-Z0-9]{4}$")
REFERENCE_MESSAGE = "Enter your reference as it is written in your email or text, like SIJ-ABCD-EFGH or REQ-ABCD-EFGH"


class FindForm(Form):
    """Find my visit: the reference and the date of birth (the same three boxes as "Your details")."""

    reference = StringField(
        "Reference", validators=[InputRequired("Enter your reference"), Length(max=40, message=REFERENCE_MESSAGE)]
    )
    birth_month = StringField("Month", validators=[Optional(), Length(max=12)])
    birth_day = StringField("Day", validators=[Optional(), Length(max=4)])
    birth_year = StringField("Year", validators=[Optional(), Length(max=6)])

    birth_date: date | None = None
    normalized: str = ""

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if not self.reference.errors:
            self.normalized = normalize_reference(self.reference.data or "")
            if not REFERENCE_FORMAT.match(self.normalized):
                self.reference.errors = [REFERENCE_MESSAGE]
                ok = False
        self.birth_date = birth_date_from(self.birth_month, self.birth_day, self.birth_year)
        return ok and self.birth_date is not None
