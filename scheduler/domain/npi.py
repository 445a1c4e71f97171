"""National Provider Identifiers: 10 digits whose last is a Luhn check digit.

CMS computes the check digit over the nine first digits with the card issuer prefix 80840 in
front (ISO 7812), so that an NPI is a valid health-card number: ``80840`` + the ten digits passes
the Luhn check. 1234567893 is a valid NPI, 1234567890 is not.
"""

from __future__ import annotations

import re

PREFIX = "80840"
FORMAT_MESSAGE = "Enter the NPI as its 10 digits, for example 1234567893"
CHECK_MESSAGE = "This is not a valid NPI: its last digit does not match the others. Check it for a typo"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:  # every second digit from the right is doubled
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def normalised(text: str) -> str:
    """An NPI as typed, without the spaces or hyphens a person may group its digits with."""
    return re.sub(r"[\s-]", "", text)


def problem(npi: str) -> str | None:
    """Why ``npi`` (normalised) is not a National Provider Identifier, or None when it is one."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return FORMAT_MESSAGE
    if not _luhn_valid(PREFIX + npi):
        return CHECK_MESSAGE
    return None
