"""One way to choose a time wherever staff do (issue 14): the move page, the request queue's
placing and the phone console's booking form show the same picker (templates/staff/time_picker.html,
static/css/time_picker.css, static/js/time_picker.js).

Day first: the days with free times loaded (how many times on each, the day shown marked), earlier
and later days; then the shown day's times under "Morning" and "Afternoon" (split at noon Central,
by domain.day_parts), each with its provider and the provider's kind; a provider filter. Nothing is
chosen for staff: a time is checked only when they chose it themselves (kept across a round trip
or an error).

Without JavaScript, showing another day, earlier or later days and the provider filter are round
trips. On a page whose form holds what staff typed (the console, the move page) they are buttons
of that form, so the whole form travels with them (POSTed) and comes back as it was; on the queue,
whose placing form holds nothing typed, they are links, and the filter is a small GET form. With
JavaScript the days already loaded are switched in the page, with no round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from scheduler.domain import time_words
from scheduler.domain.catalog import Provider
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.day_parts import PartOfDay
from scheduler.domain.day_parts import by_day_and_part
from scheduler.web.public.times import HORIZON_DAYS
from scheduler.web.sane_input import sane_year

# Where the picker keeps its state in a form or an address: the first day looked at, the day
# shown, the provider asked for. The buttons of a round trip carry the new value under their own
# names, so the form's current values (hidden fields) and the button's do not collide.
FROM, SHOWN, PROVIDER = "from", "shown", "provider"
GO_FROM, GO_SHOWN, GO_PROVIDER = "go_from", "go_shown", "go_provider"
DAYS_SHOWN = 5  # days with free times loaded at once: a working week's worth
EARLIER_STEP = timedelta(days=7)  # "Earlier days": a week back, never before today


@dataclass(frozen=True)
class Asked:
    """What staff asked the picker for (each None when not asked or unreadable), and which of
    its controls sent the round trip ("" when none did): "day", "days" (earlier or later) or
    "provider"."""

    first: date | None = None
    shown: date | None = None
    provider_id: int | None = None
    control: str = ""


def _day(text: str | None) -> date | None:
    try:
        day = date.fromisoformat((text or "")[:10])
    except ValueError:
        return None
    return day if sane_year(day.year) else None


def read_asked(values: Mapping[str, str]) -> Asked:
    """The picker's values in a posted form or a query string. Never raises: a value that cannot
    be read is as if not given (a form posted with a broken value keeps everything typed)."""
    provider = (values.get(PROVIDER) or "")[:10]
    control = ("day" if values.get(GO_SHOWN) else "days" if values.get(GO_FROM)
               else "provider" if values.get(GO_PROVIDER) else "")  # fmt: skip
    return Asked(
        first=_day(values.get(GO_FROM) or values.get(FROM)),
        shown=_day(values.get(GO_SHOWN) or values.get(SHOWN)),
        provider_id=int(provider) if provider.isdigit() else None,
        control=control,
    )


def first_day(asked: Asked, today: date | None = None) -> date:
    """The first day to look from: the one asked for, kept between today and the horizon."""
    today = today or clinic_today(utc_now())
    return min(max(asked.first or today, today), today + timedelta(days=HORIZON_DAYS))


def named(capable: Iterable[Provider]) -> tuple[tuple[int, str], ...]:
    """The provider filter's choices: (id, "Dr. Lin (physiatrist)") of each provider who may be
    offered the visit."""
    return tuple((p.id, p.described) for p in capable)


def provider_asked(asked: Asked, providers: Iterable[tuple[int, str]]) -> int | None:
    """The provider asked for when they are one of ``providers`` (see :func:`named`); else None
    (anyone)."""
    return asked.provider_id if asked.provider_id in {id for id, _ in providers} else None


@dataclass(frozen=True)
class Offered:
    """One time to choose: ``value`` is what the radio posts ("<ISO start>|<provider id>"),
    ``provider`` who it is with and their kind ("Dr. Lin (physiatrist)"), ``note`` what else
    staff should know of it ("suits them", "1 waiting fits")."""

    value: str
    start: datetime
    provider: str
    note: str = ""

    @property
    def clock(self) -> str:
        """ "9 a.m.", "12:30 p.m.", "noon": the zone is said once, above the times."""
        return time_words.time_of_day(self.start)

    @property
    def words(self) -> str:
        """The time standing alone, in a sentence: "Tue Mar 3, 2027 at 9 a.m. CST with Dr. Lin
        (physiatrist)"."""
        return f"{time_words.short_when(self.start)} with {self.provider}"


@dataclass(frozen=True)
class PickerDay:
    day: date
    parts: tuple[tuple[PartOfDay, tuple[Offered, ...]], ...]
    count: int

    @property
    def iso(self) -> str:
        return self.day.isoformat()

    @property
    def label(self) -> str:
        """ "Tuesday, March 3, 2027": the heading of the day's times."""
        return time_words.long_day(self.day)

    @property
    def short(self) -> str:
        """ "Tue Mar 3, 2027": the day in the row of days."""
        return time_words.short_day(self.day)


@dataclass(frozen=True)
class TimePicker:
    """What the picker macro shows. ``name`` is its radios' (the form field's); ``id`` its
    element's (an error summary's link lands on it), its radios being ``id``-0, ``id``-1, ... in
    the order shown. ``link``: the address with the given picker values, for a picker whose
    controls are links (None: buttons of the page's own form); ``filter_query``: the values the
    provider filter's GET form carries (links only)."""

    name: str
    id: str
    days: tuple[PickerDay, ...]
    shown: date | None
    chosen: str | None
    providers: tuple[tuple[int, str], ...]
    provider_id: int | None
    first: date
    earlier: date | None
    later: date | None
    link: Callable[..., str] | None = None
    filter_query: dict[str, Any] = field(default_factory=dict)
    focus: str = ""  # "day", "provider" or "time": what takes the focus when the page loads

    @property
    def shown_day(self) -> PickerDay | None:
        return next((d for d in self.days if d.day == self.shown), None)

    @property
    def chosen_time(self) -> Offered | None:
        return next((t for d in self.days for _, times in d.parts for t in times if t.value == self.chosen), None)

    @property
    def focus_value(self) -> str | None:
        """The time that takes the focus (with ``focus`` "time"): the one chosen when it is on the
        day shown, else the shown day's first."""
        day = self.shown_day
        if day is None:
            return None
        values = [t.value for _, times in day.parts for t in times]
        return self.chosen if self.chosen in values else values[0]

    @property
    def zone(self) -> str:
        """ "CST" or "CDT" on the day shown (the first day loaded when none is)."""
        day = self.shown_day or (self.days[0] if self.days else None)
        if day is None:
            return ""
        return to_clinic(day.parts[0][1][0].start).tzname() or ""

    @property
    def count(self) -> int:
        return sum(d.count for d in self.days)

    def url(self, **changes: Any) -> str:
        """The address of a link picker with ``changes`` (from, shown, provider) over its own values."""
        assert self.link is not None
        values: dict[str, Any] = {FROM: self.first.isoformat(), PROVIDER: self.provider_id}
        values.update(changes)
        return self.link(**{k: v for k, v in values.items() if v not in (None, "")})


def build(
    times: Iterable[Offered],
    *,
    field_name: str,
    element_id: str,
    asked: Asked,
    first: date,
    later: date | None,
    providers: Iterable[tuple[int, str]] = (),
    provider_id: int | None = None,
    chosen: str | None = None,
    link: Callable[..., str] | None = None,
    filter_query: dict[str, Any] | None = None,
    focus: str = "",
    paged: bool = True,
    today: date | None = None,
) -> TimePicker:
    """The picker over ``times`` (the free times loaded from ``first``; ``later``: where later days
    continue, None when nothing more is free). The day shown is the one asked for if loaded, else
    the day of the time chosen, else the first. A time chosen stays chosen only on the day shown:
    staff who go to another day have left it (and a checked radio on a hidden day would keep the
    keyboard out of the group: browsers tab to a group's checked radio only). ``focus``: "time"
    to put the focus on the shown day's first time (or the chosen one) when nothing else asks for
    it; after another day was asked for, its first time has it; after other days, the first day;
    after a provider, the filter. ``paged``: False for times that are one day's only (no earlier
    or later days)."""
    today = today or clinic_today(utc_now())
    days = tuple(PickerDay(group.day, group.parts, group.count) for group in by_day_and_part(times))
    loaded = {d.day for d in days}
    chosen_day = next((d.day for d in days for t in d.parts for o in t[1] if o.value == chosen), None)
    shown = asked.shown if asked.shown in loaded else chosen_day or (days[0].day if days else None)
    focus = {"day": "time", "days": "day", "provider": "provider"}.get(asked.control, focus)
    return TimePicker(
        name=field_name,
        id=element_id,
        days=days,
        shown=shown,
        chosen=chosen if chosen_day is not None and chosen_day == shown else None,
        providers=tuple(providers),
        provider_id=provider_id,
        first=first,
        earlier=max(today, first - EARLIER_STEP) if paged and first > today else None,
        later=later if paged else None,
        link=link,
        filter_query=filter_query or {},
        focus=focus,
    )
