"""Forms of the schedulers' pages (calendars, visits, the request queue)."""

from __future__ import annotations

from wtforms import BooleanField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from scheduler.domain.visit_status import VisitAction
from scheduler.services.staff_visits import DECLINE_REASONS
from scheduler.web.forms import Form
from scheduler.web.public.forms import options


class StatusForm(Form):
    action = SelectField(choices=options([(a.value, a.value) for a in VisitAction]), validators=[InputRequired()])


class MoveForm(Form):
    # Parsed and checked by the booking rules (which say why a time is refused), like the patients' form.
    slot = RadioField("New time", choices=[], validate_choice=False,
                      validators=[InputRequired("Choose the new time")])  # fmt: skip
    notify = BooleanField("Tell the patient (email and, with consent, a text)", default=True)


class CancelForm(Form):
    reason = StringField(
        "Reason for cancelling",
        validators=[
            InputRequired("Give the reason for cancelling"),
            Length(max=300, message="Use 300 characters or fewer"),
        ],
    )
    notify = BooleanField("Tell the patient (email and, with consent, a text)", default=True)


class PlaceForm(Form):
    slot = RadioField(
        "Time", choices=[], validate_choice=False, validators=[InputRequired("Choose a time to place it")]
    )


class DeclineForm(Form):
    reason = SelectField("Reason", choices=options(list(DECLINE_REASONS.items())),
                         validators=[InputRequired("Choose a reason")])  # fmt: skip
