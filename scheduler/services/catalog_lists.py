"""What the admin pages list: the catalog's providers (with hours and time off), closures, visit
types, rooms and routing rules. Reads only; changing them is :mod:`scheduler.services.catalog_admin`.

The pages render rows (the ``*Row`` aliases), loaded with what they read; nothing else should
compute with them (the booking rules read the catalog as values, from ``services.clinic``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from datetime import datetime
from typing import TypeAlias

from scheduler.domain import catalog
from scheduler.domain.clock import utc_now
from scheduler.services import clinic
from scheduler.store import catalog_lists as store_lists
from scheduler.store import models

ProviderRow: TypeAlias = models.Provider
TimeOffRow: TypeAlias = models.TimeOff
ClosureRow: TypeAlias = models.Closure
VisitTypeRow: TypeAlias = models.VisitType
RoomRow: TypeAlias = models.Room
RoutingRuleRow: TypeAlias = models.RoutingRule


def any_providers() -> bool:
    """Whether the clinic has any providers on file yet (the demo seed's "is there data" test)."""
    return store_lists.any_providers()


def specialty_choices() -> list[tuple[str, str]]:
    """(code, name) of every specialty, in the clinic's order."""
    return store_lists.specialty_choices()


def provider_kind_choices() -> list[tuple[str, str]]:
    """(value, words) of every kind of provider."""
    return [(kind.value, kind.label) for kind in catalog.ProviderKind]


def visit_type_choices() -> list[tuple[str, str]]:
    """(code, name) of every visit type the clinic offers, in its order, with its specialty's name."""
    offer = clinic.current_catalog(utc_now())
    return [
        (code, f"{vt.name} ({offer.specialties[vt.specialty].name})" if vt.code != catalog.FOLLOW_UP else vt.name)
        for code, vt in offer.visit_types.items()
    ]


def visit_type_names(codes: Iterable[str]) -> str:
    """The visit types' names in words, for telling staff what a provider does."""
    offer = clinic.current_catalog(utc_now())
    names = [offer.visit_types[c].name.lower() if c in offer.visit_types else c for c in codes]
    return ", ".join(names) or "nothing yet"


def current_pattern(provider: ProviderRow) -> set[catalog.WorkBlock]:
    """The weekly blocks the provider works now (not those set to take effect on a later date)."""
    return {catalog.WorkBlock(h.weekday, h.starts, h.ends) for h in provider.hours if h.effective_from is None}


def providers() -> list[ProviderRow]:
    """Every provider, active or not, by name."""
    return store_lists.providers()


def provider(provider_id: int) -> ProviderRow | None:
    """The provider with their specialty and weekly hours."""
    return store_lists.provider(provider_id)


def time_off_ending_after(provider_id: int, moment: datetime) -> list[TimeOffRow]:
    """The provider's time off that ends after ``moment``, earliest first."""
    return store_lists.time_off_ending_after(provider_id, moment)


def provider_of_time_off(time_off_id: int) -> int | None:
    """Whose time off this is (None: there is no such entry)."""
    return store_lists.provider_of_time_off(time_off_id)


def closures_from(first_day: date, *, limit: int) -> list[ClosureRow]:
    """Closures on ``first_day`` or later, soonest first; at most ``limit``."""
    return store_lists.closures_from(first_day, limit=limit)


def visit_types() -> list[VisitTypeRow]:
    """Every visit type, active or not, in the clinic's order."""
    return store_lists.visit_types()


def rooms() -> list[RoomRow]:
    """Every room, by kind and name."""
    return store_lists.rooms()


def routing_rules() -> list[RoutingRuleRow]:
    """In the order routing tries them."""
    return store_lists.routing_rules()
