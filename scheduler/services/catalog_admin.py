"""Changing what the clinic offers: providers and their weekly hours and time off, closures,
visit types, rooms, the routing rules' order, and staff accounts. Each change is audited in its
own transaction; database triggers bump the catalog revision, so every cache sees it at once."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time

from sqlalchemy import select

from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.staff import ROLES
from scheduler.services import audit
from scheduler.store import models
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work


class AdminError(DomainError):
    code = "invalid_input"


def _audit(actor_id: int, action: str, record_type: str, record_id: int | str | None, detail: str = "") -> None:
    audit.record(action, actor_kind="staff", actor_id=actor_id, record_type=record_type, record_id=record_id,
                 channel="web", detail=detail)  # fmt: skip


def save_provider(
    provider_id: int | None,
    *,
    name: str,
    specialty_code: str,
    active: bool,
    pattern: dict[int, list[tuple[time, time]]],
    actor_id: int,
) -> models.Provider:
    """Create (``provider_id`` None) or update a provider and replace their weekly hours."""
    with unit_of_work():
        specialty = db.session.execute(select(models.Specialty).filter_by(code=specialty_code)).scalar_one_or_none()
        if specialty is None:
            raise AdminError("Choose one of the specialties.")
        if provider_id is None:
            provider = models.Provider(name=name, specialty=specialty, active=active)
            db.session.add(provider)
        else:
            provider = db.session.get(models.Provider, provider_id)
            if provider is None:
                raise NotFound("No such provider.")
            provider.name, provider.specialty, provider.active = name, specialty, active
        provider.hours = [
            models.ProviderHours(weekday=day, starts=s, ends=e)
            for day, blocks in sorted(pattern.items())
            for s, e in blocks
        ]
        db.session.flush()
        _audit(actor_id, "provider.create" if provider_id is None else "provider.update", "provider", provider.id)
    return provider


def add_time_off(provider_id: int, starts_at: datetime, ends_at: datetime, reason: str, *, actor_id: int) -> None:
    if not starts_at < ends_at:
        raise AdminError("The time off must end after it starts.")
    with unit_of_work():
        if db.session.get(models.Provider, provider_id) is None:
            raise NotFound("No such provider.")
        entry = models.TimeOff(provider_id=provider_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:200])
        db.session.add(entry)
        db.session.flush()
        _audit(actor_id, "time-off.add", "time_off", entry.id, f"provider {provider_id}")


def remove_time_off(time_off_id: int, *, actor_id: int) -> None:
    with unit_of_work():
        entry = db.session.get(models.TimeOff, time_off_id)
        if entry is None:
            raise NotFound("No such time off.")
        db.session.delete(entry)
        _audit(actor_id, "time-off.remove", "time_off", time_off_id, f"provider {entry.provider_id}")


def add_closure(day: date, starts: time | None, ends: time | None, name: str, *, actor_id: int) -> None:
    if starts is not None and ends is not None and not starts < ends:
        raise AdminError("A part-day closure must end after it starts.")
    with unit_of_work():
        duplicate = db.session.execute(select(models.Closure.id).filter_by(day=day, starts=starts, name=name)).first()
        if duplicate:
            raise AdminError("That closure is already on the calendar.")
        closure = models.Closure(day=day, starts=starts, ends=ends, name=name, source="admin")
        db.session.add(closure)
        db.session.flush()
        _audit(actor_id, "closure.add", "closure", closure.id, f"{day.isoformat()} {name}"[:200])


def remove_closure(closure_id: int, *, actor_id: int) -> None:
    with unit_of_work():
        closure = db.session.get(models.Closure, closure_id)
        if closure is None:
            raise NotFound("No such closure.")
        db.session.delete(closure)
        _audit(actor_id, "closure.remove", "closure", closure_id, f"{closure.day.isoformat()} {closure.name}"[:200])


def save_visit_type(code: str, *, minutes: int, prep_notes: str, active: bool, actor_id: int) -> None:
    if minutes <= 0 or minutes % 15 or minutes > 480:
        raise AdminError("Use a length in quarter hours: 15, 30, 45 ... up to 480 minutes.")
    with unit_of_work():
        visit_type = db.session.execute(select(models.VisitType).filter_by(code=code)).scalar_one_or_none()
        if visit_type is None:
            raise NotFound("No such visit type.")
        visit_type.minutes, visit_type.prep_notes, visit_type.active = minutes, prep_notes.strip(), active
        _audit(actor_id, "visit-type.update", "visit_type", visit_type.id, code)


def add_room(name: str, kind: str, *, actor_id: int) -> None:
    with unit_of_work():
        if db.session.execute(select(models.Room.id).filter_by(name=name)).first():
            raise AdminError("There is already a room with that name.")
        room = models.Room(name=name, kind=kind, active=True)
        db.session.add(room)
        db.session.flush()
        _audit(actor_id, "room.add", "room", room.id, kind)


def set_room_active(room_id: int, active: bool, *, actor_id: int) -> None:
    with unit_of_work():
        room = db.session.get(models.Room, room_id)
        if room is None:
            raise NotFound("No such room.")
        room.active = active
        _audit(actor_id, "room.activate" if active else "room.deactivate", "room", room_id)


def move_rule(name: str, step: int, *, actor_id: int) -> None:
    """Swap a routing rule with its neighbour (``step`` -1 earlier, +1 later): first match wins."""
    with unit_of_work():
        rules = list(db.session.execute(select(models.RoutingRule).order_by(models.RoutingRule.position)).scalars())
        index = next((i for i, r in enumerate(rules) if r.name == name), None)
        if index is None:
            raise NotFound("No such rule.")
        other = index + step
        if not 0 <= other < len(rules):
            return
        rules[index].position, rules[other].position = rules[other].position, rules[index].position
        _audit(actor_id, "routing.reorder", "routing_rule", rules[index].id, f"{name} {'up' if step < 0 else 'down'}")


def set_rule_enabled(name: str, enabled: bool, *, actor_id: int) -> None:
    with unit_of_work():
        rule = db.session.execute(select(models.RoutingRule).filter_by(name=name)).scalar_one_or_none()
        if rule is None:
            raise NotFound("No such rule.")
        rule.enabled = enabled
        _audit(actor_id, "routing.enable" if enabled else "routing.disable", "routing_rule", rule.id, name)


def set_staff(account_id: int, *, role: str, active: bool, actor_id: int) -> None:
    """Change an account's role or switch it off; either ends its sessions at once."""
    if role not in ROLES:
        raise AdminError("Choose a role.")
    if account_id == actor_id and (role != "admin" or not active):
        raise AdminError("You cannot remove your own admin access: ask another admin.")
    with unit_of_work():
        account = db.session.get(models.StaffAccount, account_id)
        if account is None:
            raise NotFound("No such account.")
        account.role, account.active = role, active
        account.session_version += 1
        _audit(actor_id, "staff.update", "staff_account", account_id, f"role {role}, {'active' if active else 'off'}")
