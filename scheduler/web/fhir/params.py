"""FHIR search parameters read from the query string: dates with prefixes, tokens, references, paging.

Every function raises InvalidInput naming the parameter (a 400 OperationOutcome) for a value it
cannot use, so nothing malformed reaches a query. Only the prefixes that make sense for a start
time are accepted (eq, ge, gt, le, lt); the others are refused rather than silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from werkzeug.datastructures import MultiDict

from scheduler.domain.clock import clinic_instant
from scheduler.domain.errors import InvalidInput

DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_OFFSET = 100_000
# Dates and times the API will search at all: far enough either way for any real question, and
# inside what Python's datetime can add a day to.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

_DATE = re.compile(r"(?P<prefix>eq|ne|ge|gt|le|lt|sa|eb|ap)?(?P<value>[0-9].*)")
_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_SECONDS = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}")
_CODE = re.compile(r"[a-z][a-z0-9-]{0,39}")
ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
DIGITS = re.compile(r"[0-9]{1,9}")

CODE_MESSAGE = "Use codes of lower-case letters, digits and hyphens, such as 'evaluation'."
DATE_MESSAGE = "Use a date (2027-03-08) or a time with its offset (2027-03-08T08:00:00-06:00), with ge, gt, le or lt."


@dataclass(frozen=True)
class Window:
    """Half-open bounds on an instant: ``start`` inclusive, ``end`` exclusive; None is unbounded."""

    start: datetime | None = None
    end: datetime | None = None

    def narrowed(self, start: datetime | None, end: datetime | None) -> Window:
        lo = max((t for t in (self.start, start) if t is not None), default=None)
        hi = min((t for t in (self.end, end) if t is not None), default=None)
        return Window(lo, hi)


def moment_range(text: str, param: str) -> tuple[datetime, datetime]:
    """The instants a date or date-time value covers, [first, after): a Central calendar day (or
    month or year) for a date, the second (or minute) named for a time."""
    try:
        if _DATE_TIME.fullmatch(text):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            with_seconds = _SECONDS.match(text.split("T", 1)[1]) is not None
            precision = timedelta(seconds=1) if with_seconds else timedelta(minutes=1)
            _check_year(moment.year, param)
            return moment, moment + precision
        if _DAY.fullmatch(text):
            day = date.fromisoformat(text)
            _check_year(day.year, param)
            return clinic_instant(day, time()), clinic_instant(day + timedelta(days=1), time())
        if _MONTH.fullmatch(text):
            first = date(int(text[:4]), int(text[5:7]), 1)
            _check_year(first.year, param)
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return clinic_instant(first, time()), clinic_instant(after, time())
        if _YEAR.fullmatch(text):
            _check_year(int(text), param)
            year = int(text)
            return clinic_instant(date(year, 1, 1), time()), clinic_instant(date(year + 1, 1, 1), time())
    except ValueError:
        pass
    raise InvalidInput({param: DATE_MESSAGE})


def _check_year(year: int, param: str) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInput({param: f"Use a year from {EARLIEST_YEAR} to {LATEST_YEAR}."})


def date_window(values: list[str], param: str) -> Window:
    """The window every value of a date parameter allows together (they are ANDed, as in FHIR)."""
    window = Window()
    for raw in values:
        if "," in raw:
            raise InvalidInput({param: "Give one value per parameter (repeat the parameter to AND them)."})
        # An unencoded "+" in an offset arrives as a space: read it as the "+" it was.
        match = _DATE.fullmatch(raw.strip().replace(" ", "+"))
        if match is None:
            raise InvalidInput({param: DATE_MESSAGE})
        prefix = match["prefix"] or "eq"
        first, after = moment_range(match["value"], param)
        if prefix == "ge":
            window = window.narrowed(first, None)
        elif prefix == "gt":
            window = window.narrowed(after, None)
        elif prefix == "lt":
            window = window.narrowed(None, first)
        elif prefix == "le":
            window = window.narrowed(None, after)
        elif prefix == "eq":
            window = window.narrowed(first, after)
        else:
            raise InvalidInput({param: f"The prefix '{prefix}' is not supported here. {DATE_MESSAGE}"})
    return window


def codes(args: MultiDict[str, str], param: str) -> list[str]:
    """Token values (``system|code`` or ``code``) as codes, in order; comma-separated values OR."""
    found: list[str] = []
    for raw in args.getlist(param):
        for text in raw.split(","):
            code = text.rsplit("|", 1)[-1].strip()
            if not _CODE.fullmatch(code):
                raise InvalidInput({param: CODE_MESSAGE})
            found.append(code)
    return found


def reference_ids(args: MultiDict[str, str], param: str, resource_type: str) -> list[str]:
    """Ids from references (``Type/id``, a full URL ending so, or a bare id); comma-separated values OR."""
    found: list[str] = []
    for raw in args.getlist(param):
        for text in raw.split(","):
            text = text.strip()
            kind, _, ident = text.rpartition("/")
            if kind and not kind.endswith(resource_type):
                raise InvalidInput({param: f"Refer to a {resource_type}, e.g. {resource_type}/3."})
            if not ID.fullmatch(ident):
                raise InvalidInput({param: f"Refer to a {resource_type}, e.g. {resource_type}/3."})
            found.append(ident)
    return found


def identifiers(args: MultiDict[str, str], param: str) -> list[str]:
    """Identifier values (``system|value`` or ``value``) that could be ids; comma-separated values OR."""
    found = [text.rsplit("|", 1)[-1].strip() for raw in args.getlist(param) for text in raw.split(",")]
    if not all(ID.fullmatch(value) for value in found):
        raise InvalidInput({param: "Use an appointment reference, such as SIJ-7K3M-Q9TX."})
    return found


def numeric_ids(args: MultiDict[str, str], param: str, resource_type: str) -> list[int]:
    ids = reference_ids(args, param, resource_type)
    if not all(DIGITS.fullmatch(i) for i in ids):
        raise InvalidInput({param: f"Refer to a {resource_type} by its number, e.g. {resource_type}/3."})
    return [int(i) for i in ids]


def whole_number(args: MultiDict[str, str], param: str, default: int, lowest: int, highest: int) -> int:
    raw = args.get(param)
    if raw is None:
        return default
    if not DIGITS.fullmatch(raw.strip()) or not lowest <= int(raw) <= highest:
        raise InvalidInput({param: f"Use a whole number from {lowest} to {highest}."})
    return int(raw)


@dataclass(frozen=True)
class Page:
    offset: int
    count: int


def paging(args: MultiDict[str, str]) -> Page:
    """``_count`` (default DEFAULT_COUNT, at most MAX_COUNT) and ``_offset`` (where the page starts)."""
    return Page(
        offset=whole_number(args, "_offset", 0, 0, MAX_OFFSET),
        count=whole_number(args, "_count", DEFAULT_COUNT, 1, MAX_COUNT),
    )
