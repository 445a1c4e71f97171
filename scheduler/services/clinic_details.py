"""The clinic's own details (address, entrance, parking, map link, after-hours guidance, nurse
line, phone): read for every place patients are told them, and changed by admins, audited."""

from __future__ import annotations

from dataclasses import fields
from dataclasses import replace

from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clinic_details import checked
from scheduler.domain.clock import utc_now
from scheduler.domain.offer import Catalog
from scheduler.services import audit
from scheduler.services import clinic
from scheduler.settings import settings
from scheduler.store import clinic_details as store
from scheduler.store.unit_of_work import unit_of_work

RECORD_TYPE = "clinic_details"


def current(offer: Catalog | None = None) -> ClinicDetails:
    """The details as patients see them: with the configured clinic name, and the configured
    clinic phone when none is stored. With no row (a database emptied by hand) just those two.

    Taken from the catalog snapshot (``offer``, or the current one): the details are part of it,
    so a caller holding one (a booking) reads nothing, and others read only the revision."""
    config = settings()
    stored = (offer or clinic.current_catalog(utc_now())).clinic_details or ClinicDetails()
    return replace(stored, name=config.clinic_name).with_default_phone(config.clinic_phone)


def stored() -> ClinicDetails:
    """The details as stored, for the admin page: ``phone`` empty when the configured one is used."""
    return store.load() or ClinicDetails()


def save(details: ClinicDetails, *, actor_id: int) -> list[str]:
    """Check ``details`` (raises ClinicDetailsError naming the field to fix) and save them with an
    audit row naming the fields that changed (their names only). Returns those names; nothing is
    written when none changed."""
    details = checked(details)
    with unit_of_work():
        before = store.load() or ClinicDetails()
        changed = [
            f.name
            for f in fields(ClinicDetails)
            if f.name != "name" and getattr(before, f.name) != getattr(details, f.name)
        ]
        if changed:
            store.save(details)
            audit.record(
                "clinic-details.update",
                actor_kind="staff",
                actor_id=actor_id,
                record_type=RECORD_TYPE,
                record_id=store.ROW_ID,
                channel="web",
                detail="changed " + ", ".join(changed),
            )
    return changed
