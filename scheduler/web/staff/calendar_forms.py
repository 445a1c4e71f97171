"""The calendars' pickers: GET forms (they change nothing, so no CSRF token) that work without
JavaScript. A bad value is a 422 with the calendar shown again and the problem named next to the
field, never a 500 and never a silent jump to another day."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from wtforms import Form
from wtforms import SelectField
from wtforms import StringField
from wtforms import ValidationError

from scheduler.web.sane_input import YEAR_MESSAGE
from scheduler.web.sane_input import sane_year

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PickedDay(StringField):
    """A date as year-month-day (what ``<input type="date">`` sends), in years 1900-2200 (the
    calendar's arithmetic overflows near year 9999). What was typed is shown back as typed."""

    def __init__(self, label: str, wrong: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.wrong = wrong  # what to say for text that is not such a date
        self.raw = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()[:40]
        self.data = None
        if ISO_DAY.fullmatch(self.raw):
            try:
                self.data = date.fromisoformat(self.raw)
            except ValueError:  # 2027-02-30
                self.data = None

    def pre_validate(self, form: Form) -> None:
        if self.raw and self.data is None:
            raise ValidationError(self.wrong)
        if isinstance(self.data, date) and not sane_year(self.data.year):
            raise ValidationError(YEAR_MESSAGE)

    def _value(self) -> str:
        return self.raw or (self.data.isoformat() if isinstance(self.data, date) else "")


class ChoiceField(SelectField):
    def pre_validate(self, form: Form) -> None:
        if self.data not in {value for value, _ in self.choices or ()}:
            raise ValidationError(f"Choose a {self.label.text.lower()} from the list")


class DayPicker(Form):
    """``?day=YYYY-MM-DD``: the day of a specialty's or the rooms' calendar."""

    day = PickedDay("Go to day", "Enter the day as year-month-day, like 2027-03-08")


class WeekPicker(Form):
    """``?provider=ID&week=YYYY-MM-DD``: whose week, and any day of it (its Monday is shown).
    ``provider`` is offered among the providers of the shown provider's specialty."""

    provider = ChoiceField("Provider", choices=[])
    week = PickedDay("Week of", "Enter a day of the week as year-month-day, like 2027-03-08")
