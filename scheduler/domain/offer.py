"""What the clinic offers, as of one catalog revision: the catalog every placing decision reads."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from scheduler.domain import catalog
from scheduler.domain import routing
from scheduler.domain.clinic_details import ClinicDetails
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
    provider_kinds: dict[int, str]  # all
    rooms: dict[int, catalog.Room]  # all
    active_room_ids: frozenset[int]
    calendar: ClinicCalendar = field(default_factory=ClinicCalendar)
    provider_npis: dict[int, str] = field(default_factory=dict)  # National Provider Identifiers on file
    # The clinic's details as stored (None: no row), at the same revision: its table bumps the
    # catalog's counter, so whoever holds a snapshot tells patients where to go without a read.
    clinic_details: ClinicDetails | None = None

    def visit_type(self, code: str, *, field: str = "visit_type") -> catalog.VisitType:
        """Raises InvalidInput, naming ``field``, for a code the clinic does not offer."""
        try:
            return self.visit_types[code]
        except KeyError:
            raise InvalidInput(
                {field: f"There is no visit type '{code[:40]}'. See /api/v1/visit-types for the list."}
            ) from None

    def providers_of(self, specialty: str) -> list[catalog.Provider]:
        """Every active provider of ``specialty``, whatever they do (the specialty's calendar)."""
        return [p for p in self.providers.values() if p.specialty == specialty]

    def capable_providers(
        self, visit_type_code: str, specialty: str, provider_id: int | None = None, *, urgent: bool = False
    ) -> list[catalog.Provider]:
        """The active providers of ``specialty`` who perform ``visit_type_code``: the only ones any
        entry point may offer or accept for it (``urgent``: physicians only, who see urgent
        patients). With ``provider_id``, that provider if capable; raises InvalidInput (field
        ``provider_id``) if not, saying why."""
        capable = [
            p for p in self.providers_of(specialty) if p.does(visit_type_code) and (p.is_physician or not urgent)
        ]
        if provider_id is None:
            return capable
        chosen = [p for p in capable if p.id == provider_id]
        if not chosen:
            provider = self.providers.get(provider_id)
            if urgent and provider is not None and provider.does(visit_type_code) and not provider.is_physician:
                message = f"{provider.described} is not a physician: urgent patients see a physician."
                raise InvalidInput({"provider_id": message})
            raise InvalidInput({"provider_id": self.not_capable_message(provider_id, visit_type_code)})
        return chosen

    def not_capable_message(self, provider_id: int, visit_type_code: str) -> str:
        name = self.visit_types[visit_type_code].name if visit_type_code in self.visit_types else "this visit"
        provider = self.providers.get(provider_id)
        if provider is None:
            return "That provider does not see patients here now. Choose another provider, or leave it out."
        return (
            f"{provider.name} ({provider.kind_label}) does not do {name.lower()} visits. "
            "Choose another provider, or leave it out to get anyone who does."
        )

    def rooms_of(self, kind: str | None) -> list[catalog.Room]:
        if not kind:
            return []
        return [r for r in self.rooms.values() if r.kind == kind and r.id in self.active_room_ids]
