"""The request queue as a call-back worklist (issue 14): a page of a specialty's open requests
with the patient's contact details, how long each has waited against its call-back target, its
contact log and times that suit the patient; the visits placed with nobody to tell, waiting for
a call to confirm; and the contact log itself.

Showing the page shows contact details: each view is one audit row naming the requests shown
(ids only). Each contact-log entry is an audit row of its own (see store.request_queue).
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from scheduler.domain.bookings import RequestStatus
from scheduler.domain.call_back import ContactEntry
from scheduler.domain.call_back import ContactOutcome
from scheduler.domain.call_back import Preferences
from scheduler.domain.call_back import confirmation_pending
from scheduler.domain.call_back import routine_call_back_by
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.hours import ClinicCalendar
from scheduler.domain.offer import Catalog
from scheduler.domain.urgent import CallBackClock
from scheduler.domain.urgent import call_back_clock
from scheduler.domain.visit_status import NotAllowed
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services.availability import find_availability
from scheduler.services.staff_visits import Actor
from scheduler.services.staff_visits import RequestRow
from scheduler.services.staff_visits import find_request
from scheduler.settings import settings
from scheduler.store import request_queue as store_requests
from scheduler.store.unit_of_work import unit_of_work

OUTCOMES = frozenset(o.value for o in ContactOutcome)
PAGE_SIZE = 10  # requests per page: their ids fit one audit row's detail
TO_CONFIRM_SHOWN = 5
SUGGESTIONS = 6  # times that suit the patient, offered first
PER_DAY = 2  # of them on one day at most, SPACING apart
SPACING = timedelta(hours=1)
ALL_TIMES_DAYS = 5  # "show all times": every free time on the next days with any (a working week)
HORIZON_DAYS = 62
_STEP_DAYS = 14


@dataclass(frozen=True)
class TimeChoice:
    value: str  # what the radio button posts: "<ISO start>|<provider id>"
    start: datetime
    provider_name: str
    fits: bool  # on a day and in a part of the day the patient gave

    @property
    def day(self) -> date:
        """The Central date it falls on (what the page groups times by)."""
        return to_clinic(self.start).date()


@dataclass(frozen=True)
class TimesShown:
    """The times offered for one request: ``mode`` "preferred" (the first that suit the patient),
    "all" (every time of the next days, suiting or not) or "day" (every time on ``day``), looked
    for from ``first`` on; ``later``: where later days continue (None when nothing more is free
    before the horizon, and in mode "day"). ``providers``: who may be offered the visit, (id,
    name with kind); ``provider_id``: the one the times are with, when asked for."""

    mode: str
    times: list[TimeChoice]
    day: date | None = None
    first: date | None = None
    later: date | None = None
    providers: tuple[tuple[int, str], ...] = ()
    provider_id: int | None = None


@dataclass(frozen=True)
class QueueItem:
    request: RequestRow
    preferences: Preferences
    clock: CallBackClock
    log: list[ContactEntry]
    times: TimesShown | None  # None: not looked for (the viewer does not place visits)


@dataclass(frozen=True)
class ToConfirm:
    """A visit placed for a patient nobody could tell: someone calls to confirm it."""

    request: RequestRow
    appointment_id: int
    starts_at: datetime
    log: list[ContactEntry]


@dataclass(frozen=True)
class QueuePage:
    specialty_code: str
    counts: dict[str, tuple[int, int]]  # specialty code -> (open, of which urgent)
    to_confirm_counts: dict[str, int]  # specialty code -> visits waiting for a call to confirm
    items: list[QueueItem]
    to_confirm: list[ToConfirm]
    page: int
    pages: int


@dataclass(frozen=True)
class TimesAsked:
    """What the person asked to see for one request (``request_id``): all times, or one day; from
    ``first`` on (None: today); with ``provider_id`` only (ignored when they may not be offered
    the visit)."""

    request_id: int | None = None
    all_times: bool = False
    day: date | None = None
    first: date | None = None
    provider_id: int | None = None


def queue_page(
    specialty_code: str, actor: Actor, *, page: int = 1, with_times: bool = True, asked: TimesAsked | None = None,
    now: datetime | None = None,
) -> QueuePage:  # fmt: skip
    """A page of the specialty's open requests in queue order, and its visits waiting for a call
    to confirm; audited as one view naming every request shown. ``with_times``: look for times
    to place each request at (schedulers); ``asked``: one request's times as asked for."""
    now = now or utc_now()
    asked = asked or TimesAsked()
    with unit_of_work():
        counts = store_requests.open_counts()
        total = counts.get(specialty_code, (0, 0))[0]
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        rows = store_requests.open_page(specialty_code, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        placed = store_requests.placed_with_confirm_task(None, now)  # every team's: the tabs count them
        logs = _logs({r.id: r.patient_id for r in [*rows, *(p.request for p in placed)]})
        pending = [p for p in placed if confirmation_pending(logs[p.request.id])]
        confirm_counts = Counter(p.request.routed_specialty.code for p in pending)
        to_confirm = [
            ToConfirm(p.request, p.appointment_id, p.starts_at, logs[p.request.id])
            for p in pending
            if p.request.routed_specialty.code == specialty_code
        ][:TO_CONFIRM_SHOWN]
        _audit_view(actor, specialty_code, [r.id for r in rows], [t.request.id for t in to_confirm])
    offer = clinic.current_catalog(now)
    calendar = offer.calendar
    routine_days = settings().routine_call_back_days
    items = []
    for row in rows:
        preferences = Preferences.from_stored(row.preferences)
        times = _times_for(row, preferences, asked, offer, now) if with_times else None
        items.append(QueueItem(row, preferences, _clock(row, calendar, routine_days, now), logs[row.id], times))
    return QueuePage(specialty_code, counts, dict(confirm_counts), items, to_confirm, page, pages)


def _audit_view(actor: Actor, specialty_code: str, shown: list[int], to_confirm: list[int]) -> None:
    detail = "requests " + (",".join(map(str, shown)) or "none")
    if to_confirm:
        detail += "; to confirm " + ",".join(map(str, to_confirm))
    audit.record(
        "queue.view",
        actor_kind="staff",
        actor_id=actor.staff_id,
        record_type="request_queue",
        record_id=specialty_code,
        channel=actor.channel,
        detail=detail,
    )


def _clock(row: RequestRow, calendar: ClinicCalendar, routine_days: int, now: datetime) -> CallBackClock:
    """Urgent: the call-back target kept with the request (2 open clinic hours, see domain.urgent);
    routine: ``routine_days`` clinic days, ROUTINE_CALL_BACK_DAYS (domain.call_back)."""
    due = row.call_back_by if row.urgent else routine_call_back_by(calendar, row.created_at, routine_days)
    return call_back_clock(row.created_at, due, now)


def _logs(requests: dict[int, int]) -> dict[int, list[ContactEntry]]:
    """Each request's contact log (``requests``: request id -> its patient's id)."""
    logs: dict[int, list[ContactEntry]] = defaultdict(list)
    for line in store_requests.contact_logs(requests):
        if line.action == store_requests.CONFIRM_TASK:
            logs[line.request_id].append(ContactEntry(line.at, line.who, None, task=True))
        elif line.detail in OUTCOMES:
            logs[line.request_id].append(ContactEntry(line.at, line.who, ContactOutcome(line.detail)))
    return logs


def _times_for(
    row: RequestRow, preferences: Preferences, asked: TimesAsked, offer: Catalog, now: datetime
) -> TimesShown:
    visit_type, specialty = row.routed_visit_type.code, row.routed_specialty.code
    today = clinic_today(now)
    horizon = today + timedelta(days=HORIZON_DAYS)
    mine = asked.request_id == row.id
    capable = offer.capable_providers(visit_type, specialty, urgent=row.urgent)
    providers = tuple((p.id, p.described) for p in capable)
    provider_id = asked.provider_id if mine and asked.provider_id in {p.id for p in capable} else None

    def shown(mode: str, times: list[TimeChoice], day: date | None = None, first: date | None = None,
              later: date | None = None) -> TimesShown:  # fmt: skip
        return TimesShown(mode, times, day, first, later, providers, provider_id)

    if mine and asked.day is not None:
        day = min(max(asked.day, today), horizon)
        found = _free(visit_type, specialty, row, preferences, day, 1, provider_id)
        return shown("day", [t for t in found if to_clinic(t.start).date() == day], day=day, first=day)
    everything = mine and asked.all_times
    first = min(max(asked.first or today, today), horizon) if mine else today
    chosen: list[TimeChoice] = []
    day, more = first, False
    while day < horizon and not more:
        found = _free(visit_type, specialty, row, preferences, day, _STEP_DAYS, provider_id)
        if everything:
            chosen += found
            more = len({t.day for t in chosen}) > ALL_TIMES_DAYS
        else:
            chosen += _spread([t for t in found if t.fits], chosen)
            more = len(chosen) > SUGGESTIONS
        day += timedelta(days=_STEP_DAYS)
    if everything:
        days = sorted({t.day for t in chosen})[:ALL_TIMES_DAYS]
        times = [t for t in chosen if t.day in days]
    else:
        times = chosen[:SUGGESTIONS]
    later = times[-1].day + timedelta(days=1) if more and times else None
    return shown("all" if everything else "preferred", times, first=first, later=later)


def _spread(times: list[TimeChoice], chosen: list[TimeChoice]) -> list[TimeChoice]:
    """Of ``times`` (earliest first), those that spread the offer: at most PER_DAY a day, an hour
    or more apart, so a caller hears a choice of days and times rather than one morning's first
    quarter hours (the day picker shows a whole day)."""
    taken = list(chosen)
    for time in times:
        same_day = [t.start for t in taken if t.day == time.day]
        if len(same_day) < PER_DAY and all(abs(time.start - s) >= SPACING for s in same_day):
            taken.append(time)
    return taken[len(chosen) :]


def _free(
    visit_type: str,
    specialty: str,
    row: RequestRow,
    preferences: Preferences,
    first: date,
    days: int,
    provider_id: int | None = None,
) -> list[TimeChoice]:
    """Each free start once, with the provider the clinic would choose (the engine ranks the
    lighter day first) or ``provider_id``, earliest first. An urgent request is placed with a
    physician, in the times kept for urgent patients too."""
    found = find_availability(
        visit_type, first, days, specialty_code=specialty, patient_id=row.patient_id, urgent=row.urgent,
        provider_id=provider_id,
    )  # fmt: skip
    chosen: dict[datetime, TimeChoice] = {}
    for slot in found.slots:
        if slot.start not in chosen:
            chosen[slot.start] = TimeChoice(
                f"{slot.start.isoformat()}|{slot.provider_id}",
                slot.start,
                found.providers[slot.provider_id].described,
                preferences.fits(slot.start),
            )
    return sorted(chosen.values(), key=lambda t: t.start)


def log_contact(request_id: int, outcome: str, *, actor: Actor) -> ContactOutcome:
    """Add a line to the request's contact log (an audit row: who, when, the outcome's code).
    Raises NotFound, InvalidInput for an unknown outcome, NotAllowed for a request that was
    declined or withdrawn (nothing left to call about)."""
    try:
        chosen = ContactOutcome(outcome)
    except ValueError:
        raise InvalidInput({"outcome": "Choose what came of the call."}) from None
    with unit_of_work():
        found = find_request(request_id)
        if found.status not in (RequestStatus.OPEN, RequestStatus.PLACED):
            raise NotAllowed("This request is closed: there is nothing to call about.")
        audit.record(
            store_requests.CONTACT,
            actor_kind="staff",
            actor_id=actor.staff_id,
            record_type="visit_request",
            record_id=request_id,
            patient_id=found.patient.id,
            channel="phone",  # a call to the patient, whichever page it is logged on
            detail=chosen.value,
        )
    return chosen
