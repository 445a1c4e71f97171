"""What staff may do to a visit's status on the day: check in, complete, mark a no-show, and undo.

Statuses are FHIR's (booked -> arrived -> fulfilled; booked -> noshow). Undo steps one back and
is for schedulers and admins only: phone staff book and cancel, they do not rewrite the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from scheduler.domain.bookings import AppointmentStatus as S
from scheduler.domain.bookings import describe_day
from scheduler.domain.clock import clinic_today
from scheduler.domain.errors import DomainError


class VisitAction(StrEnum):
    CHECK_IN = "check-in"
    COMPLETE = "complete"
    NO_SHOW = "no-show"
    UNDO = "undo"


class NotAllowed(DomainError):
    code = "not_allowed"


@dataclass(frozen=True)
class Transition:
    before: S
    after: S
    label: str


TRANSITIONS: dict[VisitAction, tuple[Transition, ...]] = {
    VisitAction.CHECK_IN: (Transition(S.BOOKED, S.ARRIVED, "Checked in"),),
    VisitAction.COMPLETE: (Transition(S.ARRIVED, S.FULFILLED, "Completed"),),
    VisitAction.NO_SHOW: (Transition(S.BOOKED, S.NOSHOW, "No-show"),),
    VisitAction.UNDO: (
        Transition(S.ARRIVED, S.BOOKED, "Check-in undone"),
        Transition(S.FULFILLED, S.ARRIVED, "Completion undone"),
        Transition(S.NOSHOW, S.BOOKED, "No-show undone"),
    ),
}
# Who may take each action (roles as in the staff accounts).
ROLES: dict[VisitAction, frozenset[str]] = {
    VisitAction.CHECK_IN: frozenset({"admin", "scheduler", "phone"}),
    VisitAction.COMPLETE: frozenset({"admin", "scheduler"}),
    VisitAction.NO_SHOW: frozenset({"admin", "scheduler"}),
    VisitAction.UNDO: frozenset({"admin", "scheduler"}),
}


def next_status(action: VisitAction, current: S, *, role: str, starts_at: datetime, now: datetime) -> Transition:
    """The transition ``action`` makes from ``current``, or NotAllowed with the reason.

    A visit cannot be checked in, completed or marked a no-show before its day has come: a
    patient is checked in on the visit's own day (Central), and a no-show is only known once its
    start time has passed.
    """
    if role not in ROLES[action]:
        raise NotAllowed("Your role cannot do that. Ask a scheduler.")
    for transition in TRANSITIONS[action]:
        if transition.before == current:
            if action is VisitAction.NO_SHOW and now < starts_at:
                raise NotAllowed("A visit can only be marked a no-show after its start time.")
            if action is VisitAction.CHECK_IN and clinic_today(now) != clinic_today(starts_at):
                day = describe_day(starts_at)
                raise NotAllowed(f"A patient is checked in on the day of their visit ({day}), not before or after.")
            return transition
    raise NotAllowed(f"A visit that is {current.value} cannot be changed that way.")
