"""What the service accepts from outside at all, checked once at the edge: text without control
characters, and dates and times in years a clinic could mean.

Why at the edge: PostgreSQL refuses a NUL in text ("A string literal cannot contain NUL"), and
Python's date arithmetic overflows near years 1 and 9999 (``OverflowError``, "year 10000 is out
of range"); either would otherwise surface as a 500 deep inside a service. One rule each, here:

- text: no C0 control character (NUL included), no DEL and no lone surrogate; a multi-line field
  may hold tab, newline and carriage return (:func:`control_problem`);
- dates and times: years EARLIEST_YEAR to LATEST_YEAR (:func:`sane_day`, :func:`sane_moment`,
  :func:`query_day` for a date in the query string).

Forms get these through :class:`scheduler.web.forms.Form`; the JSON schemas through annotated
types built on these functions; query strings and paths through :func:`register`'s guard, which
refuses a control character anywhere in them before any view runs.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from flask import Flask
from flask import abort
from flask import request

from scheduler.domain.errors import InvalidInput

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
YEAR_MESSAGE = f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}."
CONTROL_MESSAGE = "Use letters, numbers and punctuation only (no control characters such as a NUL byte)."
QUERY_NAME = "query"  # the field named when a parameter's name itself is unusable
LINE_BREAKS = frozenset("\t\n\r")
# Blueprints whose views refuse a malformed path value themselves, with the same answer as a wrong
# one (the JSON API: a reference with a NUL is "no such appointment", as for a guessed reference).
CHECK_THEIR_OWN_PATHS = frozenset({"api"})


def control_problem(text: str, *, multiline: bool = False) -> str | None:
    """CONTROL_MESSAGE when ``text`` holds a character no person types: a C0 control (tab, newline
    and carriage return are allowed when ``multiline``), DEL or a lone surrogate; else None."""
    for ch in text:
        code = ord(ch)
        if (code < 32 and not (multiline and ch in LINE_BREAKS)) or code == 127 or 0xD800 <= code <= 0xDFFF:
            return CONTROL_MESSAGE
    return None


def sane_year(year: int) -> bool:
    return EARLIEST_YEAR <= year <= LATEST_YEAR


def sane_day(day: date) -> date:
    """``day`` itself, or ValueError(YEAR_MESSAGE) when its year is outside the range."""
    if not sane_year(day.year):
        raise ValueError(YEAR_MESSAGE)
    return day


def sane_moment(moment: datetime) -> datetime:
    """``moment`` itself, or ValueError(YEAR_MESSAGE): checked on its own wall-clock year, before
    any conversion (turning 9999-12-31T23:00-06:00 into UTC is already an overflow)."""
    if not sane_year(moment.year):
        raise ValueError(YEAR_MESSAGE)
    return moment


def query_day(name: str) -> date | None:
    """The date (YYYY-MM-DD) in query parameter ``name``: None when it is absent or not a date
    (the page then shows its default day), InvalidInput naming ``name`` when the year is outside
    the range (there is no sensible page to show for year 9999)."""
    text = request.args.get(name, "")[:10]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    try:
        return sane_day(day)
    except ValueError as problem:
        raise InvalidInput({name: str(problem)}) from None


def register(app: Flask) -> None:
    app.before_request(_refuse_control_characters_in_the_address)


def _refuse_control_characters_in_the_address() -> None:
    """The last guard before any view: no path or query string with a control character reaches
    a view (nobody types one into an address; a NUL would reach PostgreSQL as an error). A path is
    a page that does not exist (404); a query parameter is named in a 4xx in the area's format."""
    if control_problem(request.path) and request.blueprint not in CHECK_THEIR_OWN_PATHS:
        abort(404)
    for name, value in request.args.items(multi=True):
        if control_problem(name):
            raise InvalidInput({QUERY_NAME: f"A parameter's name: {CONTROL_MESSAGE}"})
        if problem := control_problem(value):
            raise InvalidInput({name: problem})
