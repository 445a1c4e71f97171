"""Reading what phone staff type into the patient search box.

One box takes a name ("lee ann"), a date of birth ("3/27/1970", "1970-03-27", "03271970"), a
phone number (any four or more digits: "555-0101") or a reference read out by the patient (a
visit's "SIJ-7KQ4-M2XD", a request's "REQ-..."; case, spaces and dashes as they come), or a mix
("lee 3/27/1970"); every part must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DATE_FORMS = (
    re.compile(r"(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<m>\d{2})(?P<d>\d{2})(?P<y>\d{4})"),
)
# A reference: its prefix and two groups of four, read out with or without the dashes.
_REFERENCE = re.compile(r"\b(SIJ|REQ)[\s-]*([A-Z0-9]{4})[\s-]*([A-Z0-9]{4})\b", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^\+?[\d().\-]+$")
MIN_PHONE_DIGITS = 4


@dataclass(frozen=True)
class PatientQuery:
    words: tuple[str, ...] = ()  # lower-case name beginnings
    birth_date: date | None = None
    phone_digits: str | None = None
    reference: str | None = None  # "SIJ-XXXX-XXXX" or "REQ-XXXX-XXXX", upper case

    @property
    def empty(self) -> bool:
        return not (self.words or self.birth_date or self.phone_digits or self.reference)


def _as_birth_date(token: str, today: date) -> date | None:
    for form in _DATE_FORMS:
        found = form.fullmatch(token)
        if found:
            try:
                day = date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
            return day if date(1900, 1, 1) <= day <= today else None
    return None


def parse_patient_query(text: str, today: date) -> PatientQuery:
    """What ``text`` asks for; parts that are none of a name, a date or a phone are ignored."""
    words: list[str] = []
    birth_date: date | None = None
    digits = ""
    text = text[:200]
    reference = None
    if found := _REFERENCE.search(text):
        reference = "-".join(part.upper() for part in found.groups())
        text = text[: found.start()] + " " + text[found.end() :]
    for token in text.split():
        as_date = _as_birth_date(token, today)
        if as_date is not None and birth_date is None:
            birth_date = as_date
        elif _PHONE_CHARS.match(token):
            digits += re.sub(r"\D", "", token)
        else:
            word = re.sub(r"[^\w'\-]", "", token.lower())
            if any(ch.isalpha() for ch in word):  # "2/30/1970" is a mistyped date, not a name
                words.append(word)
    if digits.startswith("1") and len(digits) == 11:
        digits = digits[1:]  # a US number typed with its country code
    return PatientQuery(tuple(words[:4]), birth_date, digits if len(digits) >= MIN_PHONE_DIGITS else None, reference)
