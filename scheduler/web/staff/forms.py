"""Filters for the staff lists: GET forms, so no CSRF token (they change nothing).

Bad values never reach a query: they come back as a message on the page, and the list is shown
without that filter.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

from wtforms import Form
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import ValidationError
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from scheduler.domain.messages import OutboxStatus
from scheduler.services.outbox_admin import CHANNELS
from scheduler.services.outbox_admin import KINDS

MAX_ID = 2_147_483_647  # the largest id a 32-bit integer column holds
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _any(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice("", "Any")] + [SelectChoice(value, value) for value in values]


class PageField(IntegerField):
    """A page number: anything that is not a number from 1 up means page 1."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            number = int(valuelist[0]) if valuelist and valuelist[0] else 1
        except ValueError:
            number = 1
        self.data = number if 1 <= number <= 100_000 else 1


class IdField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if raw:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
                raise ValueError("Enter a patient id: a whole number from 1")
            self.data = int(raw)


class DayField(StringField):
    """A Central calendar date typed as year-month-day (what ``<input type="date">`` sends)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            try:
                self.data = datetime.strptime(self.raw, "%Y-%m-%d").date()
            except ValueError:
                self.data = None

    def pre_validate(self, form: Form) -> None:
        if getattr(self, "raw", "") and self.data is None:
            raise ValidationError("Enter a date as year-month-day, like 2027-03-08")
        if isinstance(self.data, date) and not EARLIEST_YEAR <= self.data.year <= LATEST_YEAR:
            raise ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}")

    def _value(self) -> str:
        return getattr(self, "raw", "") or (self.data.isoformat() if isinstance(self.data, date) else "")


class FilterSelect(SelectField):
    def pre_validate(self, form: Form) -> None:
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(f"Choose a {self.label.text.lower()} from the list")


class MessageFilterForm(Form):
    status = FilterSelect("Status", choices=_any(tuple(member.value for member in OutboxStatus)), default="")
    kind = FilterSelect("Kind", choices=_any(KINDS), default="")
    channel = FilterSelect("Channel", choices=_any(CHANNELS), default="")
    page = PageField("Page", default=1)

    def value(self, name: str) -> str | None:
        """The filter value when it is valid and set, else None (no filter)."""
        field = self[name]
        return field.data or None if not field.errors else None


class AuditFilterForm(Form):
    patient_id = IdField(
        "Patient id",
        validators=[Optional(), NumberRange(1, MAX_ID, "Enter a patient id: a whole number from 1")],
    )
    first_day = DayField("From (Central date)")
    last_day = DayField("To (Central date)")
    page = PageField("Page", default=1)

    def validate_last_day(self, field: DayField) -> None:
        if isinstance(field.data, date) and isinstance(self.first_day.data, date) and field.data < self.first_day.data:
            raise ValidationError("The 'to' date must be the same as or after the 'from' date")

    def query_args(self) -> dict[str, str]:
        """The filter as URL arguments, for page links and the CSV link."""
        args = {
            "patient_id": str(self.patient_id.data) if self.patient_id.data else "",
            "first_day": self.first_day._value(),
            "last_day": self.last_day._value(),
        }
        return {name: value for name, value in args.items() if value}
