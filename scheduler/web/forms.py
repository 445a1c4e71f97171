"""The base of every form of the app: what :mod:`scheduler.web.sane_input` accepts, checked on every
field, whatever its type and validators.

After a form's own validation, each text field (single-line, text area, hidden or password) that
received a control character (a NUL byte, ...: tab, newline and carriage return are fine in a
text area), and each date field holding a date outside the sane years, is refused with a message
saying what to fix on that field (its own message, when its validators already gave one), with
everything typed kept. The raw values are checked, not ``data``: a field whose ``Optional()``
stopped validation on blank-looking text is covered too. Choices (radio buttons, selects) are not
text: they are checked against their options, or parsed strictly by their view.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import StringField
from wtforms import TextAreaField

from scheduler.web.sane_input import control_problem
from scheduler.web.sane_input import sane_day


def field_problem(field: Field) -> str | None:
    """What to fix in ``field`` by the app-wide rules, or None."""
    if isinstance(field, StringField):  # text areas, hidden and password fields too
        for raw in field.raw_data or ():
            if isinstance(raw, str) and (problem := control_problem(raw, multiline=isinstance(field, TextAreaField))):
                return problem
    if isinstance(field.data, date):  # DateField, DateTimeField (a datetime is a date)
        try:
            sane_day(field.data)
        except ValueError as problem:
            return str(problem)
    return None


class Form(FlaskForm):
    """A FlaskForm (CSRF token and all) that also refuses control characters and insane dates."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        for field in self:
            if problem := field_problem(field):
                # A field's own message (not a valid choice, ...) stays when it already has one.
                field.errors = list(field.errors) or [problem]
                ok = False
        return ok
