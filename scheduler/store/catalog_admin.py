"""Changes to what the clinic offers (providers, time off, closures, visit types, rooms, routing
rules) and to staff accounts' access, written inside the caller's unit of work.

Database triggers bump the catalog revision with any of these changes; nothing here does. A
function that changes a record that does not exist changes nothing and says so (None or False):
what that means for the person asking is the caller's to say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time

from sqlalchemy import select
from sqlalchemy import update

from scheduler.domain import hours
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.staff import StaffRole
from scheduler.store import models
from scheduler.store.engine import db

# ----- providers and their time --------------------------------------------------------------------


def save_provider(
    provider_id: int | None,
    *,
    name: str,
    specialty_id: int,
    active: bool,
    pattern: Iterable[WorkBlock] | None,
    kind: str,
    visit_type_ids: Iterable[int],
    urgent_blocks: Iterable[WorkBlock] | None = None,
    urgent_release_hours: int | None = None,
    npi: str | None = None,
) -> int | None:
    """Add a provider (``provider_id`` None) or change one, with ``pattern`` as their weekly hours
    and ``visit_type_ids`` as the visit types they perform (each replacing what they had), and,
    when given, ``urgent_blocks`` as the weekly times they keep for urgent patients and
    ``urgent_release_hours`` as how long before each starts it is released, and ``npi`` as their
    National Provider Identifier ("": none on file; None: unchanged); their id, or None when
    there is no provider ``provider_id``."""
    if provider_id is None:
        provider = models.Provider(name=name, specialty_id=specialty_id, active=active, kind=kind)
        db.session.add(provider)
    else:
        found = db.session.get(models.Provider, provider_id)
        if found is None:
            return None
        provider = found
        provider.name, provider.specialty_id, provider.active, provider.kind = name, specialty_id, active, kind
    if pattern is not None:  # None: the hours stay (a change of an existing provider's hours is a schedule change)
        provider.hours = [models.ProviderHours(weekday=b.weekday, starts=b.starts, ends=b.ends) for b in pattern]
    if urgent_blocks is not None:
        provider.urgent_blocks = [
            models.UrgentBlock(weekday=b.weekday, starts=b.starts, ends=b.ends) for b in urgent_blocks
        ]
    if urgent_release_hours is not None:
        provider.urgent_release_hours = urgent_release_hours
    if npi is not None:
        provider.npi = npi or None
    wanted = list(visit_type_ids)
    provider.visit_types = list(
        db.session.execute(select(models.VisitType).where(models.VisitType.id.in_(wanted))).scalars()
    )
    db.session.flush()
    return provider.id


def provider_with_npi(npi: str) -> tuple[int, str] | None:
    """The provider (id, name) whose National Provider Identifier is ``npi``, if any."""
    found = db.session.execute(select(models.Provider.id, models.Provider.name).where(models.Provider.npi == npi))
    row = found.first()
    return (row.id, row.name) if row is not None else None


def provider_npi(provider_id: int) -> str | None:
    """The provider's National Provider Identifier on file (None: none, or no such provider)."""
    return db.session.execute(select(models.Provider.npi).where(models.Provider.id == provider_id)).scalar()


def add_time_off(provider_id: int, starts_at: datetime, ends_at: datetime, reason: str) -> int:
    entry = models.TimeOff(provider_id=provider_id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def remove_time_off(time_off_id: int) -> int | None:
    """Delete the time off; the provider it was for, or None when there is no such time off."""
    entry = db.session.get(models.TimeOff, time_off_id)
    if entry is None:
        return None
    db.session.delete(entry)
    return entry.provider_id


# ----- closures ------------------------------------------------------------------------------------


def closure_exists(day: date, starts: time | None, name: str) -> bool:
    """Whether a closure of that name starts then (``starts`` None: at the start of the day)."""
    found = db.session.execute(select(models.Closure.id).filter_by(day=day, starts=starts, name=name)).first()
    return found is not None


def add_closure(day: date, starts: time | None, ends: time | None, name: str, *, source: str) -> int:
    """A new closure's id. ``source``: "admin" (entered by staff) or "holiday" (the default list)."""
    closure = models.Closure(day=day, starts=starts, ends=ends, name=name, source=source)
    db.session.add(closure)
    db.session.flush()
    return closure.id


def remove_closure(closure_id: int) -> hours.Closure | None:
    """Delete the closure; what it was, or None when there is no such closure."""
    closure = db.session.get(models.Closure, closure_id)
    if closure is None:
        return None
    db.session.delete(closure)
    return closure.to_domain()


# ----- visit types and rooms -----------------------------------------------------------------------


def update_visit_type(code: str, *, minutes: int, prep_notes: str, active: bool) -> int | None:
    """Change a visit type's length, preparation notes and whether it is offered; its id, or
    None when there is no visit type ``code``."""
    visit_type = db.session.execute(select(models.VisitType).filter_by(code=code)).scalar_one_or_none()
    if visit_type is None:
        return None
    visit_type.minutes, visit_type.prep_notes, visit_type.active = minutes, prep_notes, active
    return visit_type.id


def room_name_taken(name: str) -> bool:
    return db.session.execute(select(models.Room.id).filter_by(name=name)).first() is not None


def add_room(name: str, kind: str) -> int:
    room = models.Room(name=name, kind=kind, active=True)
    db.session.add(room)
    db.session.flush()
    return room.id


def set_room_active(room_id: int, active: bool) -> bool:
    """Take a room into use or out of it; False when there is no such room."""
    room = db.session.get(models.Room, room_id)
    if room is None:
        return False
    room.active = active
    return True


# ----- routing rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulePlace:
    """Where a routing rule stands in the order they are tried (lowest position first)."""

    id: int
    name: str
    position: int
    urgent: bool = False
    enabled: bool = True


def rule_places() -> list[RulePlace]:
    """Every routing rule's place, in the order they are tried."""
    r = models.RoutingRule
    rows = db.session.execute(select(r.id, r.name, r.position, r.urgent, r.enabled).order_by(r.position))
    return [RulePlace(*row) for row in rows]


def set_rule_positions(positions: dict[int, int]) -> None:
    """Give each rule (by id) its new position, in one statement."""
    db.session.execute(
        update(models.RoutingRule), [{"id": rule_id, "position": position} for rule_id, position in positions.items()]
    )


def set_rule_enabled(name: str, enabled: bool) -> int | None:
    """Switch a routing rule on or off; its id, or None when there is no rule ``name``."""
    rule = db.session.execute(select(models.RoutingRule).filter_by(name=name)).scalar_one_or_none()
    if rule is None:
        return None
    rule.enabled = enabled
    return rule.id


# ----- staff accounts ------------------------------------------------------------------------------


def set_staff_access(account_id: int, *, role: StaffRole, active: bool) -> bool:
    """Give an account its role and switch it on or off, ending its sessions (their version moves
    on); False when there is no such account."""
    account = db.session.get(models.StaffAccount, account_id)
    if account is None:
        return False
    account.role, account.active = role, active
    account.session_version += 1
    return True
