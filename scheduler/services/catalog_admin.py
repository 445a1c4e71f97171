"""Changing what the clinic offers: providers and their weekly hours and time off, closures,
visit types, rooms, the routing rules' order, and staff accounts. Each change is audited in its
own transaction; database triggers bump the catalog revision, so every cache sees it at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import time

from scheduler.domain import catalog
from scheduler.domain import npi as npi_rules
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.domain.offer import Catalog
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffRole
from scheduler.domain.urgent import describe_urgent_blocks
from scheduler.domain.urgent import urgent_blocks_refusal
from scheduler.domain.visits import ProviderRef
from scheduler.domain.waitlist import FreedCause
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.services import freed_times
from scheduler.store import catalog_admin as store
from scheduler.store import waitlist as store_waitlist
from scheduler.store.unit_of_work import unit_of_work


class AdminError(DomainError):
    code = "invalid_input"


class AdminFieldError(AdminError):
    """A refusal about one field of the form (``field``: its name), to be shown beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def npi_refusal(npi: str, provider_id: int | None) -> str | None:
    """Why ``npi`` (normalised, or "" for none) cannot be this provider's National Provider
    Identifier: not one at all (10 digits with a Luhn check digit), or another provider's."""
    if not npi:
        return None
    problem = npi_rules.problem(npi)
    if problem is not None:
        return problem
    holder = store.provider_with_npi(npi)  # a read: inside save_provider, its unit of work's
    if holder is not None and holder[0] != provider_id:
        return f"{holder[1]} already has this NPI: each provider has their own"
    return None


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
    kind: str = "",
    performs: Iterable[str] = (),
    urgent: dict[int, list[tuple[time, time]]] | None = None,
    urgent_release_hours: int | None = None,
    write_hours: bool = True,
    npi: str | None = None,
) -> SavedProvider:
    """Create (``provider_id`` None) or update a provider and replace their weekly hours
    (``pattern``: the blocks of each weekday, Monday=0, in Central wall-clock time), their kind
    and the visit types they perform. No ``kind``: the physician kind of the specialty. No
    ``performs``: what a provider of that kind usually does (DEFAULT_PERFORMS), in the specialty.
    ``urgent``: the weekly times they keep for urgent patients, like ``pattern`` (None: unchanged),
    released to everyone ``urgent_release_hours`` (0-168; None: unchanged) before each starts.
    Raises AdminError when a non-physician would keep urgent times, or a kept time is not inside
    their hours that weekday. ``write_hours`` False: ``pattern`` is only checked against (an
    existing provider's new hours are a schedule change: services.schedule_changes writes them).
    ``npi``: their National Provider Identifier ("": none on file; None: unchanged); raises
    AdminFieldError (field ``npi``) when it is not a valid NPI or another provider's."""
    with unit_of_work():
        offer = clinic.current_catalog(utc_now())
        if specialty_code not in offer.specialties:
            raise AdminError("Choose one of the specialties.")
        provider_kind = _kind(kind, specialty_code)
        codes = sorted(set(performs)) or _usual_visit_types(offer, provider_kind, specialty_code)
        for code in codes:
            visit_type = offer.visit_type(code, field="visit_types")
            if not catalog.performable_in(visit_type, specialty_code):
                raise AdminError(
                    f"{visit_type.name} is a {offer.specialties[visit_type.specialty].name} visit: a provider of "
                    f"{offer.specialties[specialty_code].name} is never offered for it. Untick it, or change the "
                    "specialty."
                )
        if not codes:
            raise AdminError("Tick at least one visit type this provider does.")
        blocks = [WorkBlock(day, s, e) for day, day_blocks in sorted(pattern.items()) for s, e in day_blocks]
        before = offer.providers.get(provider_id) if provider_id is not None else None
        had = before.urgent_blocks if before is not None else ()
        kept = had if urgent is None else tuple(WorkBlock(d, s, e) for d, day in sorted(urgent.items()) for s, e in day)
        if urgent_release_hours is not None and not 0 <= urgent_release_hours <= 168:
            raise AdminError("Release the urgent times to everyone 0 to 168 hours (a week) before they start.")
        refusal = urgent_blocks_refusal(provider_kind.is_physician, blocks, kept)
        if refusal:
            raise AdminError(refusal)
        had_npi = store.provider_npi(provider_id) if provider_id is not None else None
        if npi is not None and (npi_problem := npi_refusal(npi, provider_id)):
            raise AdminFieldError("npi", npi_problem)
        saved_id = store.save_provider(
            provider_id,
            name=name,
            specialty_id=offer.specialty_ids[specialty_code],
            active=active,
            pattern=blocks if write_hours else None,
            kind=provider_kind.value,
            visit_type_ids=[offer.visit_type_ids[code] for code in codes],
            urgent_blocks=None if urgent is None else kept,
            urgent_release_hours=urgent_release_hours,
            npi=npi,
        )
        if saved_id is None:
            raise NotFound("No such provider.")
        detail = f"{provider_kind.value}; performs {', '.join(codes)}"
        if npi is not None and (npi or None) != had_npi:
            detail += f"; NPI {npi}" if npi else "; NPI removed"
        if kept:
            release = urgent_release_hours if urgent_release_hours is not None else _hours(before)
            detail += f"; kept for urgent {describe_urgent_blocks(kept)}, released {release} h before"
        elif had:
            detail += "; no times kept for urgent patients"
        _audit(actor_id, "provider.create" if provider_id is None else "provider.update", "provider", saved_id, detail)
    return SavedProvider(ProviderRef(saved_id, name, specialty_code, provider_kind.value), provider_kind, tuple(codes))


@dataclass(frozen=True)
class SavedProvider:
    ref: ProviderRef
    kind: catalog.ProviderKind
    performs: tuple[str, ...]  # visit type codes

    @property
    def id(self) -> int:
        return self.ref.id

    @property
    def name(self) -> str:
        return self.ref.name


def _hours(provider: catalog.Provider | None) -> int:
    """How many hours before they start the provider's urgent times are released (24: new)."""
    return 24 if provider is None else int(provider.urgent_release.total_seconds() // 3600)


def _kind(kind: str, specialty_code: str) -> catalog.ProviderKind:
    if not kind:
        return catalog.DEFAULT_KIND_OF_SPECIALTY.get(specialty_code, catalog.ProviderKind.PHYSICIAN)
    try:
        return catalog.ProviderKind(kind)
    except ValueError:
        raise AdminError("Choose one of the listed kinds of provider.") from None


def _usual_visit_types(offer: Catalog, kind: catalog.ProviderKind, specialty_code: str) -> list[str]:
    """What a provider of ``kind`` usually does, among the visit types offered in the specialty."""
    return sorted(
        code
        for code in catalog.DEFAULT_PERFORMS[kind]
        if code in offer.visit_types and catalog.performable_in(offer.visit_types[code], specialty_code)
    )


def remove_time_off(time_off_id: int, *, actor_id: int, now: datetime | None = None) -> None:
    now = now or utc_now()
    with unit_of_work():
        span = store_waitlist.time_off_span(time_off_id)
        provider_id = store.remove_time_off(time_off_id)
        if provider_id is None or span is None:
            raise NotFound("No such time off.")
        _audit(actor_id, "time-off.remove", "time_off", time_off_id, f"provider {provider_id}")
        # The provider's time is free again: the waitlist is offered what it can hold.
        freed_times.span_freed(provider_id, span[1], span[2], FreedCause.STAFF, now)


def remove_closure(closure_id: int, *, actor_id: int, now: datetime | None = None) -> None:
    now = now or utc_now()
    with unit_of_work():
        closure = store.remove_closure(closure_id)
        if closure is None:
            raise NotFound("No such closure.")
        _audit(actor_id, "closure.remove", "closure", closure_id, f"{closure.day.isoformat()} {closure.name}"[:200])
        # The clinic is open then after all: the waitlist is offered what each provider's time can hold.
        lifted = closure.interval(clinic.clinic_hours())
        for provider_id in sorted(clinic.current_catalog(now).providers):
            freed_times.span_freed(provider_id, lifted.start, lifted.end, FreedCause.STAFF, now)


def save_visit_type(code: str, *, minutes: int, prep_notes: str, active: bool, actor_id: int) -> None:
    if minutes <= 0 or minutes % 15 or minutes > 480:
        raise AdminError("Use a length in quarter hours: 15, 30, 45 ... up to 480 minutes.")
    with unit_of_work():
        visit_type_id = store.update_visit_type(code, minutes=minutes, prep_notes=prep_notes.strip(), active=active)
        if visit_type_id is None:
            raise NotFound("No such visit type.")
        _audit(actor_id, "visit-type.update", "visit_type", visit_type_id, code)


def add_room(name: str, kind: str, *, actor_id: int) -> None:
    with unit_of_work():
        if store.room_name_taken(name):
            raise AdminError("There is already a room with that name.")
        room_id = store.add_room(name, kind)
        _audit(actor_id, "room.add", "room", room_id, kind)


def set_room_active(room_id: int, active: bool, *, actor_id: int) -> None:
    with unit_of_work():
        if not store.set_room_active(room_id, active):
            raise NotFound("No such room.")
        _audit(actor_id, "room.activate" if active else "room.deactivate", "room", room_id)


class ConfirmationNeeded(DomainError):
    """A change that would stop urgent patients being routed as urgent: it is made only when the
    admin confirms it, and the message names what it would do."""

    code = "confirmation_needed"


URGENT_OFF = (
    "Switching off “{name}” stops routing patients with an urgent answer (an infection, a fever, "
    "suddenly unable to bear weight) as urgent: they would be offered routine visits like anyone else."
)
URGENT_DOWN = (
    "Moving “{name}” below “{other}” means a patient who matches both is routed by "
    "“{other}” first, and is no longer treated as urgent."
)


def move_rule(name: str, step: int, *, actor_id: int, confirmed: bool = False) -> None:
    """Swap a routing rule with its neighbour (``step`` -1 earlier, +1 later): first match wins.
    Raises ConfirmationNeeded, unless ``confirmed``, when an urgent rule would come later."""
    with unit_of_work():
        rules = store.rule_places()
        index = next((i for i, r in enumerate(rules) if r.name == name), None)
        if index is None:
            raise NotFound("No such rule.")
        other = index + step
        if not 0 <= other < len(rules):
            return
        later, earlier = (rules[index], rules[other]) if step > 0 else (rules[other], rules[index])
        if later.urgent and later.enabled and not earlier.urgent and not confirmed:
            raise ConfirmationNeeded(URGENT_DOWN.format(name=later.name, other=earlier.name))
        store.set_rule_positions({rules[index].id: rules[other].position, rules[other].id: rules[index].position})
        detail = f"{name} {'up' if step < 0 else 'down'}" + (", urgent rule demoted (confirmed)" if confirmed else "")
        _audit(actor_id, "routing.reorder", "routing_rule", rules[index].id, detail)


def set_rule_enabled(name: str, enabled: bool, *, actor_id: int, confirmed: bool = False) -> None:
    """Switch a routing rule on or off. Raises NotFound, or ConfirmationNeeded (unless
    ``confirmed``) for switching off an urgent rule."""
    with unit_of_work():
        place = next((r for r in store.rule_places() if r.name == name), None)
        if place is None:
            raise NotFound("No such rule.")
        if place.urgent and place.enabled and not enabled and not confirmed:
            raise ConfirmationNeeded(URGENT_OFF.format(name=name))
        store.set_rule_enabled(name, enabled)
        detail = name + (", urgent rule switched off (confirmed)" if place.urgent and not enabled else "")
        _audit(actor_id, "routing.enable" if enabled else "routing.disable", "routing_rule", place.id, detail)


def set_staff(account_id: int, *, role: str, active: bool, actor_id: int) -> None:
    """Change an account's role or switch it off; either ends its sessions at once."""
    if role not in ROLES:
        raise AdminError("Choose a role.")
    if account_id == actor_id and (role != "admin" or not active):
        raise AdminError("You cannot remove your own admin access: ask another admin.")
    with unit_of_work():
        if not store.set_staff_access(account_id, role=StaffRole(role), active=active):
            raise NotFound("No such account.")
        _audit(actor_id, "staff.update", "staff_account", account_id, f"role {role}, {'active' if active else 'off'}")
