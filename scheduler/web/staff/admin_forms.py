"""Forms of the admin pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import FloatField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import TimeField
from wtforms import ValidationError
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from scheduler.domain import npi
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.weekly_pattern import parse_day_blocks
from scheduler.web.forms import Form

NAME = [InputRequired("Enter a name"), Length(max=120, message="Use 120 characters or fewer")]


def _blocks(form: FlaskForm, field: StringField) -> None:
    try:
        parse_day_blocks(field.data or "")
    except ValueError as problem:
        raise ValidationError(str(problem)) from None


def _npi(form: FlaskForm, field: StringField) -> None:
    field.data = npi.normalised(field.data or "")
    problem = npi.problem(field.data) if field.data else None
    if problem:
        raise ValidationError(problem)


class ProviderForm(Form):
    name = StringField("Name", validators=NAME)
    npi = StringField("NPI (National Provider Identifier, optional)", validators=[Length(max=40), _npi])
    specialty = SelectField("Specialty", choices=[], validators=[InputRequired("Choose a specialty")])
    kind = SelectField("Kind of provider (shown to patients)", choices=[], validators=[Optional()])
    # No choice ticked on a new provider: what their kind usually does (the service decides).
    visit_types = SelectMultipleField("Visit types they do", choices=[], validators=[Optional()])
    active = BooleanField("Takes bookings", default=True)
    monday = StringField(WEEKDAY_NAMES[0], validators=[Optional(), Length(max=60), _blocks])
    tuesday = StringField(WEEKDAY_NAMES[1], validators=[Optional(), Length(max=60), _blocks])
    wednesday = StringField(WEEKDAY_NAMES[2], validators=[Optional(), Length(max=60), _blocks])
    thursday = StringField(WEEKDAY_NAMES[3], validators=[Optional(), Length(max=60), _blocks])
    friday = StringField(WEEKDAY_NAMES[4], validators=[Optional(), Length(max=60), _blocks])
    hours_from = DateField("The hours above apply from (blank: from today)", validators=[Optional()])
    # Times kept for urgent patients (physicians only), in the same syntax as the weekly hours.
    urgent_monday = StringField(WEEKDAY_NAMES[0], validators=[Optional(), Length(max=60), _blocks])
    urgent_tuesday = StringField(WEEKDAY_NAMES[1], validators=[Optional(), Length(max=60), _blocks])
    urgent_wednesday = StringField(WEEKDAY_NAMES[2], validators=[Optional(), Length(max=60), _blocks])
    urgent_thursday = StringField(WEEKDAY_NAMES[3], validators=[Optional(), Length(max=60), _blocks])
    urgent_friday = StringField(WEEKDAY_NAMES[4], validators=[Optional(), Length(max=60), _blocks])
    urgent_release_hours = IntegerField(
        "Released to everyone this many hours before they start (0 to 168)",
        default=24,
        validators=[Optional(), NumberRange(0, 168, "Enter a number of hours from 0 to 168")],
    )

    DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
    URGENT_DAYS = tuple(f"urgent_{day}" for day in DAYS)


class TimeOffForm(Form):
    first_day = DateField("First day", validators=[InputRequired("Enter the first day")])
    starts = TimeField("From (optional: blank for the whole day)", validators=[Optional()])
    last_day = DateField("Last day", validators=[InputRequired("Enter the last day")])
    ends = TimeField("Until (optional: blank for the whole day)", validators=[Optional()])
    reason = StringField("Reason (not shown to patients)", validators=[Optional(), Length(max=200)])


class ClosureForm(Form):
    day = DateField("First day", validators=[InputRequired("Enter the day")])
    last_day = DateField("Last day (blank: just the first day)", validators=[Optional()])
    starts = TimeField("Closes from (blank: the whole day; on every day of a range)", validators=[Optional()])
    ends = TimeField("Until (blank: to the end of the day)", validators=[Optional()])
    name = StringField("Name, shown to patients", validators=NAME)


class VisitTypeForm(Form):
    minutes = IntegerField("Length in minutes", validators=[InputRequired("Enter the length"), NumberRange(15, 480)])
    prep_notes = TextAreaField("Preparation notes", validators=[Optional(), Length(max=2000)])
    active = BooleanField("Offered")


class WaitlistRulesForm(Form):
    """A visit type's waitlist rules (services.waitlist_staff.save_rules checks the ranges again)."""

    notice_hours = FloatField(
        "Minimum notice of an offer, in hours (blank: the clinic's booking notice)",
        validators=[Optional(), NumberRange(0, 336, "Enter a number of hours from 0 to 336 (14 days)")],
    )
    batch_size = IntegerField(
        "Offer each freed time to this many people at once (1 to 20)",
        validators=[InputRequired("Enter how many people to offer a time to"),
                    NumberRange(1, 20, "Enter a number from 1 to 20")],
    )  # fmt: skip
    hold_minutes = IntegerField(
        "Hold an offered time this many minutes (5 to 240)",
        validators=[InputRequired("Enter how many minutes to hold a time"),
                    NumberRange(5, 240, "Enter a number of minutes from 5 to 240")],
    )  # fmt: skip


class RoomForm(Form):
    name = StringField("Name", validators=NAME)
    kind = SelectField("Kind", choices=[], validators=[InputRequired("Choose the kind of room")])


class StaffForm(Form):
    username = StringField("Username", validators=[InputRequired("Enter a username"), Length(max=80)])
    display_name = StringField("Name", validators=NAME)
    role = SelectField("Role", choices=[], validators=[InputRequired("Choose a role")])
    password = PasswordField("First password (at least 12 characters)", validators=[InputRequired("Enter a password")])


class StaffChangeForm(Form):
    role = SelectField("Role", choices=[], validators=[InputRequired()])
    active = BooleanField("Can sign in")


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""
