"""The clinic's own details as patients are told them: where it is, how to get in and park, a map,
what to do out of hours, the nurse line and the clinic's phone.

Pure values: the store loads them (one row), the admin page changes them, and the patient pages,
emails, invites and FHIR ``Location`` all present them from here, so they say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from urllib.parse import urlsplit

# Limits of the columns (store/models.py ClinicDetails), and of the admin form's fields.
LINE_MAX = 120
CITY_MAX = 80
STATE_MAX = 40
POSTAL_CODE_MAX = 10
NOTE_MAX = 500  # building and entrance, parking
URL_MAX = 500
GUIDANCE_MAX = 1000  # after-hours guidance
PHONE_MAX = 30

# Printable text: no NUL or other control characters (PostgreSQL refuses NUL in text, and a
# control character in an address would break an email header or an iCalendar line).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,}$")


class ClinicDetailsError(ValueError):
    """A value the clinic's details cannot take; ``field`` names it, the message says what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ClinicDetails:
    """Where the clinic is and how to reach it. Empty text means "not given" and is left out of
    every presentation. ``phone`` empty means the configured clinic phone (CLINIC_PHONE)."""

    name: str = ""
    address_lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    building: str = ""  # building and entrance
    parking: str = ""
    map_url: str = ""
    after_hours: str = ""
    nurse_line: str = ""
    phone: str = ""

    @property
    def city_line(self) -> str:
        """ "Rochester, MN 55905": the city, then the state and postal code."""
        region = " ".join(part for part in (self.state, self.postal_code) if part)
        return ", ".join(part for part in (self.city, region) if part)

    @property
    def address_parts(self) -> tuple[str, ...]:
        """The postal address, line by line (no clinic name)."""
        return tuple(part for part in (*self.address_lines, self.city_line) if part)

    def one_line(self) -> str:
        """The clinic's name and full address on one line, as for an invite's LOCATION:
        "SI Joint Clinic, 200 First Street SW, Rochester, MN 55905"."""
        return ", ".join(part for part in (self.name, *self.address_parts) if part)

    def multi_line(self) -> str:
        """The name and address as an envelope shows them, one part per line."""
        return "\n".join(part for part in (self.name, *self.address_parts) if part)

    @property
    def nurse_line_href(self) -> str:
        return tel_href(self.nurse_line)

    @property
    def phone_href(self) -> str:
        return tel_href(self.phone)

    def with_default_phone(self, phone: str) -> ClinicDetails:
        """These details, with ``phone`` when none is given here."""
        return self if self.phone else replace(self, phone=phone)


def tel_href(number: str) -> str:
    """A ``tel:`` link for a North American number as typed ("507-538-1280" ->
    "tel:+15075381280"); a number given with its country code (+...) keeps it."""
    digits = "".join(c for c in number if c.isdigit())
    if not digits:
        return ""
    if number.strip().startswith("+"):
        return f"tel:+{digits}"
    return f"tel:+1{digits[-10:]}" if len(digits) in (10, 11) else f"tel:{digits}"


def checked(details: ClinicDetails) -> ClinicDetails:
    """``details`` with surrounding spaces removed and empty address lines dropped, or
    ClinicDetailsError naming the first field that cannot be used (the admin form says the same
    before it gets here; this is the rule whatever calls)."""
    text_fields = {
        "city": (details.city, CITY_MAX),
        "state": (details.state, STATE_MAX),
        "postal_code": (details.postal_code, POSTAL_CODE_MAX),
        "building": (details.building, NOTE_MAX),
        "parking": (details.parking, NOTE_MAX),
        "map_url": (details.map_url, URL_MAX),
        "after_hours": (details.after_hours, GUIDANCE_MAX),
        "nurse_line": (details.nurse_line, PHONE_MAX),
        "phone": (details.phone, PHONE_MAX),
    }
    lines = tuple(line.strip() for line in details.address_lines)
    for index, line in enumerate(lines):
        _check_text(f"address_line{index + 1}", line, LINE_MAX, one_line=True)
    for field, (value, limit) in text_fields.items():
        _check_text(field, value.strip(), limit, one_line=field not in ("building", "parking", "after_hours"))
    lines = tuple(line for line in lines if line)
    if not lines:
        raise ClinicDetailsError("address_line1", "Enter the street address.")
    if not details.city.strip():
        raise ClinicDetailsError("city", "Enter the city.")
    map_url = details.map_url.strip()
    if map_url:
        parts = urlsplit(map_url)
        if parts.scheme != "https" or not parts.netloc or " " in map_url:
            raise ClinicDetailsError("map_url", "Enter a map link that starts with https://, or leave it blank.")
    for field in ("nurse_line", "phone"):
        number = text_fields[field][0].strip()
        if number and not _PHONE.match(number):
            raise ClinicDetailsError(field, "Enter a phone number like 507-538-1280, or leave it blank.")
    return replace(
        details,
        address_lines=lines,
        **{field: value.strip() for field, (value, _) in text_fields.items()},
    )


def _check_text(field: str, value: str, limit: int, *, one_line: bool) -> None:
    if _CONTROL.search(value) or (one_line and _LINE_BREAK.search(value)):
        raise ClinicDetailsError(field, "Use letters, numbers and punctuation only (no control characters).")
    if len(value) > limit:
        raise ClinicDetailsError(field, f"Use {limit} characters or fewer.")


# The demo's details, every one a placeholder and marked as such (DOMAIN.md): migration 0009
# inserts the same row, and seeding adds it to a database that has none.
PLACEHOLDER = ClinicDetails(
    address_lines=("200 First Street SW (placeholder)",),
    city="Rochester",
    state="MN",
    postal_code="55905",
    building="Placeholder: Main building, east entrance; check in at the first-floor desk.",
    parking="Placeholder: visitor parking ramp across the street; bring your ticket to be validated.",
    map_url="https://www.openstreetmap.org/search?query=200%20First%20Street%20SW%20Rochester%20MN",
    after_hours=(
        "Placeholder: outside clinic hours, call the nurse line for advice. "
        "In an emergency, call 911 or go to the nearest emergency department."
    ),
    nurse_line="507-555-0148",
)
