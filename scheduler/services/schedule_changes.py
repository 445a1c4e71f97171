"""Schedule changes that show their impact first (DOMAIN.md, "Schedule changes").

``review`` lists the booked visits (and holds) a change of hours, new time off or a new closure
would leave outside their provider's hours or on a closed day, each with times it could move to
under the changed schedule. ``apply`` then makes the change and carries out what the person
decided for each visit (move, cancel with notice, or keep as a flagged exception) in one unit of
work; if the affected visits differ from those reviewed (someone booked meanwhile), nothing is
changed and the person reviews again. ``needing_attention`` finds any active visit outside its
provider's hours or on a closure, whatever made it so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.intervals import Interval
from scheduler.domain.offer import Catalog
from scheduler.domain.schedule_changes import LONGEST_CLOSURE_DAYS
from scheduler.domain.schedule_changes import ClosureChange
from scheduler.domain.schedule_changes import HoursChange
from scheduler.domain.schedule_changes import ScheduleChange
from scheduler.domain.schedule_changes import TimeOffChange
from scheduler.domain.schedule_changes import misfit
from scheduler.domain.waitlist import FreedCause
from scheduler.domain.waitlist import hours_added
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services import freed_times
from scheduler.services import staff_visits
from scheduler.services.availability import find_availability
from scheduler.store import catalog_admin as store_catalog_admin
from scheduler.store import schedule_changes as store
from scheduler.store.schedule_changes import BookedVisit
from scheduler.store.unit_of_work import unit_of_work

SUGGESTIONS = 3
SUGGESTION_DAYS = 14
CANCEL_REASON = "The clinic's schedule changed"


class ReviewAgain(DomainError):
    """The visits the change would affect are not those the person decided about."""

    code = "review_again"


class ScheduleChangeRefused(DomainError):
    code = "invalid_input"


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    provider_id: int
    provider_name: str

    @property
    def value(self) -> str:
        """What the page posts to choose it: "move:<ISO start>|<provider id>"."""
        return f"move:{self.start.isoformat()}|{self.provider_id}"


@dataclass(frozen=True)
class Affected:
    visit: BookedVisit
    visit_type_name: str
    provider_name: str
    reason: str
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class Review:
    change: ScheduleChange
    affected: tuple[Affected, ...]
    holds: int  # held times (someone choosing right now) the change releases

    @property
    def visit_ids(self) -> tuple[int, ...]:
        return tuple(a.visit.id for a in self.affected)


# What a person decided for one visit: "cancel", "keep", or a Suggestion's value.
Decisions = dict[int, str]


def check(change: ScheduleChange) -> None:
    """Refuse a change that makes no sense, saying what to fix."""
    if isinstance(change, TimeOffChange) and not change.starts_at < change.ends_at:
        raise ScheduleChangeRefused("The time off must end after it starts.")
    if isinstance(change, ClosureChange):
        if change.last_day < change.first_day:
            raise ScheduleChangeRefused("The last day must be on or after the first day.")
        if len(change.days()) > LONGEST_CLOSURE_DAYS:
            raise ScheduleChangeRefused(f"A closure may span at most {LONGEST_CLOSURE_DAYS} days: add it in parts.")
        if change.starts is not None and change.ends is not None and not change.starts < change.ends:
            raise ScheduleChangeRefused("A part-day closure must end after it starts.")
    if isinstance(change, HoursChange) and change.effective_from is not None:
        if change.effective_from < clinic_today(utc_now()):
            raise ScheduleChangeRefused("The new hours cannot start in the past: leave the date empty for today.")
        if not change.pattern:
            raise ScheduleChangeRefused(
                "Give the hours they will work from that date. To stop their bookings, untick Takes bookings."
            )


def review(change: ScheduleChange, now: datetime | None = None) -> Review:
    """What ``change`` would strand, with suggested new times (no writes)."""
    now = now or utc_now()
    check(change)
    return _review(change, clinic.current_catalog(now), now, suggest=True)


def _review(change: ScheduleChange, offer: Catalog, now: datetime, *, suggest: bool) -> Review:
    if not isinstance(change, ClosureChange) and change.provider_id not in offer.providers:
        raise NotFound("No such provider.")
    if isinstance(change, ClosureChange) and all(
        store_catalog_admin.closure_exists(c.day, c.starts, c.name) for c in change.closures()
    ):
        raise ScheduleChangeRefused("That closure is already on the calendar.")
    changed = change.apply(offer)
    providers = change.providers()
    affected = []
    for visit in store.booked_visits(change.affects_from(now), providers):
        reason = misfit(changed, visit.provider_id, Interval(visit.starts_at, visit.ends_at))
        if reason is None or visit.kept_outside_hours:
            continue
        visit_type = offer.visit_types_by_id[offer.visit_type_ids[visit.visit_type_code]]
        affected.append(
            Affected(
                visit,
                visit_type.name,
                offer.provider_names.get(visit.provider_id, ""),
                reason,
                _suggestions(visit, changed, now) if suggest else (),
            )
        )
    held = [
        h for h in store.holds(now, providers) if misfit(changed, h.provider_id, Interval(h.starts_at, h.ends_at))
    ]
    return Review(change, tuple(affected), len(held))


def _suggestions(visit: BookedVisit, changed: Catalog, now: datetime) -> tuple[Suggestion, ...]:
    """The first few times the visit could move to under the changed schedule, with a provider
    of its team who performs it (its own provider first when free at the same start)."""
    provider = changed.providers.get(visit.provider_id)
    specialty = provider.specialty if provider else changed.visit_types[visit.visit_type_code].specialty
    first = max(clinic_today(now), to_clinic(visit.starts_at).date())  # the same day first, then later
    found = find_availability(
        visit.visit_type_code, first, SUGGESTION_DAYS, specialty_code=specialty, patient_id=visit.patient_id,
        now=now, offer=changed,
    )  # fmt: skip
    chosen: list[Suggestion] = []
    for slot in found.slots:
        if any(s.start == slot.start for s in chosen):
            continue
        chosen.append(Suggestion(slot.start, slot.provider_id, found.providers[slot.provider_id].described))
        if len(chosen) == SUGGESTIONS:
            break
    return tuple(chosen)


def apply(
    change: ScheduleChange,
    decisions: Decisions,
    *,
    actor: staff_visits.Actor,
    now: datetime | None = None,
    along_with: Callable[[], object] | None = None,
) -> Review:
    """Make ``change`` and carry out ``decisions`` (one per affected visit) in one unit of work,
    with ``along_with`` (the rest of the same form: a provider's name and kind saved with their
    new hours) first. Raises ReviewAgain when the affected visits are not the ones decided about,
    and whatever a move, a cancellation or ``along_with`` raises (nothing is then changed)."""
    now = now or utc_now()
    check(change)
    with unit_of_work():
        # Compared as reviewed: against the schedule before anything of this form is saved.
        before = clinic.current_catalog(now)
        done = _review(change, before, now, suggest=False)
        if set(done.visit_ids) != set(decisions):
            raise ReviewAgain(
                "The visits this change affects have changed since you looked (a booking or a move meanwhile). "
                "Review them again."
            )
        moves = {visit_id: _move_target(d) for visit_id, d in decisions.items() if d not in ("cancel", "keep")}
        if along_with is not None:
            along_with()
        _write(change, actor)
        changed = change.apply(before)
        if isinstance(change, HoursChange):
            _offer_added_hours(change, before, changed, now)
        store.drop_holds(
            h.id for h in store.holds(now, change.providers())
            if misfit(changed, h.provider_id, Interval(h.starts_at, h.ends_at))
        )  # fmt: skip
        for visit_id, decision in sorted(decisions.items()):
            if decision == "cancel":
                staff_visits.cancel(visit_id, CANCEL_REASON, actor=actor, notify=True, now=now)
            elif decision == "keep":
                store.keep_outside_hours(visit_id)
                _audit(actor, "appointment.keep-outside-hours", "appointment", visit_id, "kept by a schedule change")
            else:
                start, provider_id = moves[visit_id]
                staff_visits.move(visit_id, start, actor=actor, notify=True, provider_id=provider_id, now=now)
    return done


def _offer_added_hours(change: HoursChange, before: Catalog, changed: Catalog, now: datetime) -> None:
    """Hours extended free time: the waitlist is offered it (the coming weeks), in this unit of work."""
    old, new = before.providers.get(change.provider_id), changed.providers.get(change.provider_id)
    if old is None or new is None:
        return
    for span in hours_added(old, new, clinic_today(change.affects_from(now))):
        freed_times.span_freed(change.provider_id, span.start, span.end, FreedCause.STAFF, now)


def _move_target(decision: str) -> tuple[datetime, int | None]:
    """The time and provider of a "move:<ISO start>|<provider id>" decision (a Suggestion's value).
    Anything else is refused before the change is made."""
    refused = ScheduleChangeRefused("Choose what happens to each visit: move it, cancel it or keep it.")
    if not decision.startswith("move:"):
        raise refused
    start_text, _, provider_text = decision.removeprefix("move:").partition("|")
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        raise refused from None
    if start.tzinfo is None or not (provider_text == "" or (provider_text.isdigit() and len(provider_text) < 10)):
        raise refused
    return start, int(provider_text) if provider_text else None


def _write(change: ScheduleChange, actor: staff_visits.Actor) -> None:
    if isinstance(change, HoursChange):
        store.write_hours(change.provider_id, change.pattern, change.effective_from)
        since = change.effective_from.isoformat() if change.effective_from else "now"
        _audit(actor, "provider.hours", "provider", change.provider_id, f"from {since}")
    elif isinstance(change, TimeOffChange):
        entry = store_catalog_admin.add_time_off(change.provider_id, change.starts_at, change.ends_at, change.reason)
        _audit(actor, "time-off.add", "time_off", entry, f"provider {change.provider_id}")
    else:
        for closure in change.closures():
            if not store_catalog_admin.closure_exists(closure.day, closure.starts, closure.name):
                entry = store_catalog_admin.add_closure(
                    closure.day, closure.starts, closure.ends, closure.name, source="admin"
                )
                _audit(actor, "closure.add", "closure", entry, closure.day.isoformat())


def _audit(actor: staff_visits.Actor, action: str, record_type: str, record_id: int, detail: str) -> None:
    audit.record(action, actor_kind="staff", actor_id=actor.staff_id, record_type=record_type, record_id=record_id,
                 channel="web", detail=detail)  # fmt: skip


@dataclass(frozen=True)
class Attention:
    visit: BookedVisit
    visit_type_name: str
    provider_name: str
    reason: str


def needing_attention(now: datetime | None = None) -> tuple[list[Attention], list[Attention]]:
    """Active future visits outside their provider's hours or on a closure: those nobody has
    decided about yet, and those kept there as exceptions."""
    now = now or utc_now()
    offer = clinic.current_catalog(now)
    open_: list[Attention] = []
    kept: list[Attention] = []
    for visit in store.booked_visits(now):
        reason = misfit(offer, visit.provider_id, Interval(visit.starts_at, visit.ends_at))
        if reason is None:
            continue
        visit_type = offer.visit_types_by_id[offer.visit_type_ids[visit.visit_type_code]]
        found = Attention(visit, visit_type.name, offer.provider_names.get(visit.provider_id, ""), reason)
        (kept if visit.kept_outside_hours else open_).append(found)
    return open_, kept

