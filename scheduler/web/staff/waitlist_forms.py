"""The phone console's "add to the waitlist" form: who (typed, or the caller found on record),
which visit, when they could come, which providers, and (schedulers only) urgent priority."""

from __future__ import annotations

from datetime import date

from wtforms import BooleanField
from wtforms import DateField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from scheduler.domain.patients import PatientDetails
from scheduler.domain.waitlist import Priority
from scheduler.web import contact
from scheduler.web.forms import Form
from scheduler.web.public.forms import NAME_LENGTH
from scheduler.web.public.forms import PARTS_OF_DAY
from scheduler.web.public.forms import Checkboxes
from scheduler.web.public.forms import _printable
from scheduler.web.public.forms import options
from scheduler.web.staff.phone_forms import BIRTH_DATE_FORMAT
from scheduler.web.staff.phone_forms import check_caller

PRIORITIES = [
    (Priority.ROUTINE.value, "Routine"),
    (Priority.URGENT.value, "Urgent: offered times before routine callers"),
]


class WaitlistCallerForm(Form):
    # Who (a caller typed in; a caller found on record brings their record instead)
    given_name = StringField("First name", validators=[Optional(), NAME_LENGTH, _printable])
    family_name = StringField("Last name", validators=[Optional(), NAME_LENGTH, _printable])
    birth_date_text = StringField("Date of birth", validators=[Optional(), Length(max=20, message=BIRTH_DATE_FORMAT)])
    phone = StringField("Phone number", validators=[Optional(), Length(max=30, message=contact.PHONE_MESSAGE)])
    email = StringField("Email address", validators=[Optional(), Length(max=254, message=contact.EMAIL_MESSAGE)])
    sms_consent = BooleanField("The caller agreed to text messages, after I read out the terms")
    # What and when
    visit_type = SelectField("Which visit are they waiting for?", choices=[],
                             validators=[InputRequired("Select the visit they are waiting for")])  # fmt: skip
    days = Checkboxes("Which days could they come? (none ticked: any)", choices=[], validators=[Optional()])
    parts_of_day = Checkboxes("Which part of the day? (none ticked: any)", choices=options(PARTS_OF_DAY),
                              validators=[Optional()])  # fmt: skip
    earliest = DateField("Not before (optional)", validators=[Optional()])
    latest = DateField("Not after (optional)", validators=[Optional()])
    providers = Checkboxes("Which providers? (none ticked: anyone who does the visit)", choices=[],
                           validators=[Optional()])  # fmt: skip
    priority = RadioField("Priority", choices=options(PRIORITIES), default=Priority.ROUTINE.value,
                          validators=[Optional()])  # fmt: skip

    birth_date: date | None = None
    phone_e164: str | None = None
    email_normalized: str | None = None

    def validate_caller(self) -> bool:
        """The "who" fields of a typed caller (not asked of a caller found on record)."""
        ok = True
        for field, message in ((self.given_name, "Enter the patient's first name"),
                               (self.family_name, "Enter the patient's last name")):  # fmt: skip
            if not field.errors and not (field.data or "").strip():
                field.errors = [message]
                ok = False
        return check_caller(self) and ok and not any(f.errors for f in (self.given_name, self.family_name))

    def details(self) -> PatientDetails:
        assert self.birth_date is not None
        return PatientDetails(
            given_name=(self.given_name.data or "").strip(),
            family_name=(self.family_name.data or "").strip(),
            birth_date=self.birth_date,
            phone=self.phone_e164,
            email=self.email_normalized,
            sms_consent=bool(self.sms_consent.data),
        )
