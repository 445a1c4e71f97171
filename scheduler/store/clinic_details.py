"""The clinic's details: one row (id 1), loaded as a domain value and saved from one."""

from __future__ import annotations

from scheduler.domain.clinic_details import ClinicDetails
from scheduler.store import models
from scheduler.store.engine import db

ROW_ID = 1


def load() -> ClinicDetails | None:
    """The stored details (``name`` empty, ``phone`` as stored: empty means the configured one),
    or None when there is no row. Looked up by primary key: a second look in the same
    transaction is answered from the session while the first answer is still held."""
    row = db.session.get(models.ClinicDetails, ROW_ID)
    if row is None:
        return None
    lines = tuple(line for line in (row.address_line1, row.address_line2) if line)
    return ClinicDetails(
        address_lines=lines,
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        building=row.building,
        parking=row.parking,
        map_url=row.map_url,
        after_hours=row.after_hours,
        nurse_line=row.nurse_line,
        phone=row.phone,
    )


def save(details: ClinicDetails) -> None:
    """Write ``details`` (checked by the caller: at most two address lines) as the one row,
    inside the caller's unit of work. ``name`` is not stored (it is configured)."""
    if len(details.address_lines) > 2:
        raise ValueError("at most two address lines")
    row = db.session.get(models.ClinicDetails, ROW_ID)
    if row is None:
        row = models.ClinicDetails(id=ROW_ID)
        db.session.add(row)
    lines = (*details.address_lines, "", "")
    row.address_line1, row.address_line2 = lines[0], lines[1]
    row.city, row.state, row.postal_code = details.city, details.state, details.postal_code
    row.building, row.parking, row.map_url = details.building, details.parking, details.map_url
    row.after_hours, row.nurse_line, row.phone = details.after_hours, details.nurse_line, details.phone
    db.session.flush()


def add_unless_present(details: ClinicDetails) -> bool:
    """Save ``details`` when there is no row yet (seeding); whether it did."""
    if db.session.get(models.ClinicDetails, ROW_ID) is not None:
        return False
    save(details)
    return True
