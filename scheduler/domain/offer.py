"""What the clinic offers, as of one catalog revision: the catalog every placing decision reads."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from scheduler.domain import catalog
from scheduler.domain import routing
from scheduler.domain.errors import InvalidInput
from scheduler.domain.hours import ClinicCalendar


@dataclass(frozen=True)
class Catalog:
    """What the clinic offers, as of one catalog revision. Time off and closures are those from
    yesterday on: nothing earlier can affect a time that may still be booked."""

    specialties: dict[str, catalog.Specialty]
    specialty_ids: dict[str, int]
    visit_types: dict[str, catalog.VisitType]  # active ones, by code
    visit_type_ids: dict[str, int]
    visit_types_by_id: dict[int, catalog.VisitType]  # all, for presenting older appointments
    rules: tuple[routing.RoutingRule, ...]
    providers: dict[int, catalog.Provider]  # active ones
    provider_names: dict[int, str]  # all
    rooms: dict[int, catalog.Room]  # all
    active_room_ids: frozenset[int]
    calendar: ClinicCalendar = field(default_factory=ClinicCalendar)

    def visit_type(self, code: str, *, field: str = "visit_type") -> catalog.VisitType:
        """Raises InvalidInput, naming ``field``, for a code the clinic does not offer."""
        try:
            return self.visit_types[code]
        except KeyError:
            raise InvalidInput(
                {field: f"There is no visit type '{code[:40]}'. See /api/v1/visit-types for the list."}
            ) from None

    def providers_of(self, specialty: str, provider_id: int | None = None) -> list[catalog.Provider]:
        return [
            p
            for p in self.providers.values()
            if p.specialty == specialty and (provider_id is None or p.id == provider_id)
        ]

    def rooms_of(self, kind: str | None) -> list[catalog.Room]:
        if not kind:
            return []
        return [r for r in self.rooms.values() if r.kind == kind and r.id in self.active_room_ids]
