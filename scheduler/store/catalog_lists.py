"""The catalog's rows as the admin pages list and edit them (providers with their hours and time
off, closures, visit types, rooms, routing rules), loaded with what the pages read. Changes to
them are ``store.catalog_admin``'s."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler.store import models
from scheduler.store.engine import db


def any_providers() -> bool:
    return bool(db.session.execute(select(func.count()).select_from(models.Provider)).scalar_one())


def specialty_choices() -> list[tuple[str, str]]:
    """(code, name) of every specialty, in the order the clinic lists them."""
    s = models.Specialty
    return [(code, name) for code, name in db.session.execute(select(s.code, s.name).order_by(s.position))]


def providers() -> list[models.Provider]:
    """Every provider, active or not, by name (with their specialty)."""
    p = models.Provider
    return list(
        db.session.execute(
            select(p).options(selectinload(p.visit_types), selectinload(p.urgent_blocks)).order_by(p.name)
        ).scalars()
    )


def provider(provider_id: int) -> models.Provider | None:
    """The provider with their specialty and weekly hours."""
    p = models.Provider
    return db.session.execute(
        select(p)
        .options(selectinload(p.hours), selectinload(p.visit_types), selectinload(p.urgent_blocks))
        .where(p.id == provider_id)
    ).scalar_one_or_none()


def time_off_ending_after(provider_id: int, moment: datetime) -> list[models.TimeOff]:
    """The provider's time off that ends after ``moment``, earliest first."""
    t = models.TimeOff
    return list(
        db.session.execute(
            select(t).where(t.provider_id == provider_id, t.ends_at > moment).order_by(t.starts_at)
        ).scalars()
    )


def provider_of_time_off(time_off_id: int) -> int | None:
    """Whose time off this is (None: there is no such entry)."""
    t = models.TimeOff
    return db.session.execute(select(t.provider_id).where(t.id == time_off_id)).scalar_one_or_none()


def closures_from(first_day: date, *, limit: int) -> list[models.Closure]:
    c = models.Closure
    return list(db.session.execute(select(c).where(c.day >= first_day).order_by(c.day).limit(limit)).scalars())


def visit_types() -> list[models.VisitType]:
    """Every visit type, active or not, in the order the clinic lists them."""
    return list(db.session.execute(select(models.VisitType).order_by(models.VisitType.position)).scalars())


def rooms() -> list[models.Room]:
    return list(db.session.execute(select(models.Room).order_by(models.Room.kind, models.Room.name)).scalars())


def routing_rules() -> list[models.RoutingRule]:
    """In the order routing tries them."""
    return list(db.session.execute(select(models.RoutingRule).order_by(models.RoutingRule.position)).scalars())
