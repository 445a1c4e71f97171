"""The patient's time picker, shared by booking (/request/time) and rescheduling (the manage link):
first a day with free times, then a time on that day (morning, afternoon), optionally with one
provider. Server-rendered: the day, the provider and the first date shown travel in the query
string (``?day=YYYY-MM-DD&provider=N&from=YYYY-MM-DD``), each checked here before it is used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import request
from flask import url_for

from scheduler.domain.bookings import describe_time
from scheduler.domain.catalog import Provider
from scheduler.domain.catalog import ProviderKind
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.day_parts import PartOfDay
from scheduler.domain.day_parts import by_day_and_part
from scheduler.web.public.times import DAYS_PER_STEP
from scheduler.web.public.times import HORIZON_DAYS
from scheduler.web.public.times import OfferedDay
from scheduler.web.public.times import OfferedTime
from scheduler.web.public.times import days_with_times
from scheduler.web.public.times import first_day_asked
from scheduler.web.public.times import times_on

# One line on who each kind of provider is, in words a patient understands (the kind's own words).
KIND_WORDS: dict[str, str] = {
    ProviderKind.PHYSIATRIST: "A doctor who treats joint and back pain without surgery.",
    ProviderKind.PAIN_PHYSICIAN: "A doctor who gives image-guided injections and nerve treatments for pain.",
    ProviderKind.SPINE_SURGEON: "A surgeon for the spine and pelvis, including SI joint fusion.",
    ProviderKind.ENDOCRINOLOGIST: "A doctor for hormones and bone health.",
    ProviderKind.PHYSICAL_THERAPIST: "Exercises and hands-on treatment to ease pain and move better.",
    ProviderKind.OCCUPATIONAL_THERAPIST: "Help with everyday tasks at home and at work while you recover.",
    ProviderKind.IMAGING_TECHNOLOGIST: "Takes your X-rays or scans.",
    ProviderKind.PHYSICIAN: "A doctor of the clinic.",
}

DAY_MISSING = "Select a day for your visit"
DAY_UNREADABLE = "Choose a day from the list: the day in the web address could not be read"
DAY_OUT_OF_RANGE = "Choose a day from the list: we can only book from today to {last}"
PROVIDER_UNKNOWN = "Choose who you would like to see from the list, or Anyone"


def day_label(day: date) -> str:
    """ "Tuesday, December 8" (the year only when it is not this year's)."""
    label = f"{day:%A}, {day:%B} {day.day}"
    return label if day.year == clinic_today(utc_now()).year else f"{label}, {day.year}"


@dataclass(frozen=True)
class ProviderOption:
    id: int
    name: str
    kind: str
    words: str


@dataclass
class Picker:
    """What a picker page shows: step "day" (days, pager, provider filter) or step "time" (the
    chosen day's morning and afternoon times). ``problems``: field -> message for bad query values
    (the page is then step "day", answered 422)."""

    step: str
    url: Callable[..., str]  # the picker's own address with the given query values
    providers: list[ProviderOption]
    provider_id: int | None
    first: date
    problems: dict[str, str] = field(default_factory=dict)
    days: list[OfferedDay] = field(default_factory=list)
    earliest_page: bool = True
    earlier: date | None = None
    later: date | None = None
    day: date | None = None
    morning: list[OfferedTime] = field(default_factory=list)
    afternoon: list[OfferedTime] = field(default_factory=list)

    @property
    def day_heading(self) -> str:
        return day_label(self.day) if self.day else ""

    @property
    def provider(self) -> ProviderOption | None:
        return next((p for p in self.providers if p.id == self.provider_id), None)

    @property
    def query(self) -> dict[str, Any]:
        """The provider and first date chosen, to carry into the next address."""
        first = self.first if self.first > clinic_today(utc_now()) else None
        return {"provider": self.provider_id, "from": first.isoformat() if first else None}

    def day_url(self, **changes: Any) -> str:
        return self.url(**{**self.query, **changes})

    def label(self, day: date) -> str:
        return day_label(day)

    @staticmethod
    def clock(moment: datetime) -> str:
        """ "8:15 a.m.": a tile's time, the zone said once above the tiles, not on each."""
        return describe_time(moment).rsplit(" ", 1)[0]

    @property
    def zone(self) -> str:
        """ "CST" or "CDT" on the chosen day."""
        times = self.morning + self.afternoon
        return describe_time(times[0].start).rsplit(" ", 1)[-1] if times else ""


def _read_day(problems: dict[str, str]) -> date | None:
    raw = request.args.get("day")
    if raw is None:
        if "step" in request.args:  # the day form sent with no day chosen
            problems["day"] = DAY_MISSING
        return None
    if raw == "":
        problems["day"] = DAY_MISSING
        return None
    try:
        day = date.fromisoformat(raw[:10]) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        problems["day"] = DAY_UNREADABLE
        return None
    today = clinic_today(utc_now())
    last = today + timedelta(days=HORIZON_DAYS)
    if not today <= day <= last:
        problems["day"] = DAY_OUT_OF_RANGE.format(last=day_label(last))
        return None
    return day


def _read_provider(capable: list[Provider], problems: dict[str, str]) -> int | None:
    raw = request.args.get("provider", "")
    if raw in ("", "any"):
        return None
    if raw.isdigit() and len(raw) < 10 and int(raw) in {p.id for p in capable}:
        return int(raw)
    problems["provider"] = PROVIDER_UNKNOWN
    return None


def build(
    visit_type: str,
    specialty: str,
    capable: list[Provider],
    endpoint: str,
    *,
    patient_id: int | None = None,
    **url_args: Any,
) -> Picker:
    """Read the query (day, provider, from) and gather what the page shows. Never raises for a
    bad value in the query: it becomes a problem on step "day" (a year 9999 in ``from`` is
    refused by sane_input.query_day, as everywhere)."""
    problems: dict[str, str] = {}
    provider_id = _read_provider(capable, problems)
    day = _read_day(problems)
    first = first_day_asked()

    def url(**query: Any) -> str:
        return url_for(endpoint, **url_args, **{k: v for k, v in query.items() if v not in (None, "")})

    options = [ProviderOption(p.id, p.name, p.kind_label, KIND_WORDS.get(p.kind, "")) for p in capable]
    picker = Picker("day", url, options, provider_id, first, problems)
    if day is not None and not problems:
        times = times_on(visit_type, specialty, day, provider_id=provider_id, patient_id=patient_id)
        picker.step, picker.day = "time", day
        parts = {part: list(found) for group in by_day_and_part(times) for part, found in group.parts}
        picker.morning = parts.get(PartOfDay.MORNING, [])
        picker.afternoon = parts.get(PartOfDay.AFTERNOON, [])
        return picker
    today = clinic_today(utc_now())
    picker.days, picker.later = days_with_times(
        visit_type, specialty, first, provider_id=provider_id, patient_id=patient_id
    )
    if first > today:
        picker.earliest_page = False
        # Two working weeks back (DAYS_PER_STEP weekdays), never before today.
        picker.earlier = max(today, first - timedelta(days=DAYS_PER_STEP * 7 // 5))
    return picker
