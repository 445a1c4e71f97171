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

# The statuses Slot and Appointment searches take (FHIR's codes, which are ours).
SLOT_STATUSES = ("free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error")
APPOINTMENT_STATUSES = (
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
)

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


def identifiers(args: MultiDict[str, str], param: str, systems: tuple[str, ...]) -> tuple[list[str], bool]:
    """Identifier values (``system|value``, ``|value`` or ``value``) that could be ids, of those
    whose system is one of ``systems`` or unstated; comma-separated values OR. The flag says whether any
    value was asked at all: values of another system (or ``|value``, no system) match nothing, so
    asked-but-none-left is an empty answer, not an unfiltered one."""
    found: list[str] = []
    asked = False
    for raw in args.getlist(param):
        for text in raw.split(","):
            asked = True
            named, bar, value = text.strip().rpartition("|")
            if not ID.fullmatch(value):
                raise InvalidInput({param: "Use an appointment reference, such as SIJ-7K3M-Q9TX."})
            if not bar or named in systems:
                found.append(value)
    return found, asked


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
    """``count`` 0 is a count only (``_summary=count`` or ``_count=0``): the total, no entries."""

    offset: int
    count: int


def paging(args: MultiDict[str, str]) -> Page:
    """``_count`` (default DEFAULT_COUNT; more than MAX_COUNT is read as MAX_COUNT, as FHIR lets a
    server cap a page; 0, or ``_summary=count``, asks only the total) and ``_offset``."""
    raw = args.get("_count")
    if raw is not None and not DIGITS.fullmatch(raw.strip()):
        raise InvalidInput({"_count": f"Use a whole number from 0 to {MAX_COUNT}."})
    count = DEFAULT_COUNT if raw is None else min(int(raw), MAX_COUNT)
    if summary_count(args):
        count = 0
    return Page(offset=whole_number(args, "_offset", 0, 0, MAX_OFFSET), count=count)


SUMMARY_VALUES = ("count", "false")


def summary_count(args: MultiDict[str, str]) -> bool:
    """Whether ``_summary=count`` was asked; ``false`` (the full resources) is the default, and
    the other summaries (true, text, data) are refused: this server cannot trim resources."""
    values = args.getlist("_summary")
    if any(v not in SUMMARY_VALUES for v in values):
        raise InvalidInput({"_summary": "Only _summary=count (the total, no entries) or false is supported."})
    return "count" in values


# ----- which parameters a search answers ------------------------------------------------------------

# Every search takes these: paging, the count-only summary and the format (see conventions.py).
# ``_total`` (and Aidbox's ``_totalMethod``, which fhirpy's count() sends) change nothing: the
# total given is always exact.
RESULT_PARAMETERS = frozenset({"_count", "_offset", "_summary", "_format", "_total", "_totalMethod"})


# What the query string of an operation called by POST may hold: its parameters are in the body.
POST_QUERY_PARAMETERS = frozenset({"_format"})


# The parameters that may be repeated (their values are ANDed): the date bounds. Any other is given
# once; comma-separated values in it are ORed.
REPEATABLE = frozenset({"start", "date", "_lastUpdated"})
# How often one of those may be given (a lower and an upper bound need two; the OpenAPI document
# says the same): more bounds of one instant add nothing but work.
REPEAT_LIMIT = 4


def repeated(args: MultiDict[str, str]) -> InvalidInput | None:
    """The 400 for parameters given more than once that may not be, or more often than
    REPEAT_LIMIT, or None."""
    problems: dict[str, str] = {}
    for name in args.keys():
        count = len(args.getlist(name))
        if name not in REPEATABLE and count > 1:
            problems[name[:80]] = f"Give '{name[:80]}' once; to match any of several values, separate them by commas."
        elif count > REPEAT_LIMIT:
            problems[name] = f"Give '{name}' at most {REPEAT_LIMIT} times (a lower and an upper bound are enough)."
    return InvalidInput(problems) if problems else None


def unsupported(
    args: MultiDict[str, str], supported: frozenset[str], result: frozenset[str] = RESULT_PARAMETERS
) -> list[str]:
    """The names in ``args`` a search (or operation) does not answer, in order: unknown names,
    modifiers (``status:not``) and chains (``patient.identifier``) not listed in ``supported``, and
    result parameters not in ``result`` (such as ``_include`` and ``_sort``)."""
    known = supported | result
    return list(dict.fromkeys(name for name in args.keys() if name not in known))


def refusal(
    names: list[str], supported: frozenset[str], result: frozenset[str] = RESULT_PARAMETERS, what: str = "search"
) -> InvalidInput:
    """The 400 for unsupported parameters: one issue per name, each naming it and what would do."""
    offered = ", ".join(sorted(supported | result))
    return InvalidInput(
        {
            name[:80]: f"The {what} parameter '{name[:80]}' is not supported here (supported: {offered}); "
            "send 'Prefer: handling=lenient' to have unsupported parameters ignored."
            for name in names
        }
    )
