"""The patient's answers between pages, kept in their (signed, HttpOnly) session cookie.

Nothing is saved in the database until they submit on "Check your answers", so a half-finished
journey leaves no half-saved record; the answers stay on the patient's own device, never in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from flask import session

from scheduler.domain import routing as routing_rules
from scheduler.domain.catalog import UNSURE
from scheduler.domain.catalog import BookingMode
from scheduler.domain.offer import Catalog
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import History
from scheduler.domain.routing import Intake
from scheduler.domain.routing import RoutingDecision
from scheduler.services import routing

KEY = "journey"
# The page that asks each intake question (the answer is kept under the question's name). Which
# questions a patient is asked, and in what order, is the domain's rule: routing.questions_asked.
PAGES = {
    "requested": "public.what",
    "seen_before": "public.seen_before",
    "cause": "public.cause",
    "red_flags": "public.red_flags",
    "referred": "public.referred",
}


def answers() -> dict[str, Any]:
    return dict(session.get(KEY) or {})


def save(**changes: Any) -> dict[str, Any]:
    current = answers()
    for name, value in changes.items():
        if value is None:
            current.pop(name, None)
        else:
            current[name] = value
    session[KEY] = current
    return current


def clear() -> None:
    session.pop(KEY, None)


def asked(current: dict[str, Any]) -> tuple[str, ...]:
    """The questions this patient is asked, in order, by their answers so far."""
    seen_before = current.get("seen_before")
    return routing_rules.questions_asked(None if seen_before is None else seen_before == "yes")


def previous_page(current: dict[str, Any], question: str) -> str:
    """The endpoint of the question asked before ``question`` (its page's back link); the start
    page before the first. ``question`` may be "route": the page after the last question."""
    order = asked(current)
    before = order[: order.index(question)] if question in order else order
    return PAGES[before[-1]] if before else "public.start"


def intake(current: dict[str, Any]) -> Intake:
    """The answers as routing reads them. A question the patient was not asked (an answer kept
    from before they changed an earlier one) counts as unanswered, as "Check your answers" shows."""
    questions = asked(current)
    return Intake(
        requested=current.get("requested", UNSURE),
        seen_before=current.get("seen_before") == "yes",
        cause=current.get("cause", "unknown") if "cause" in questions else "unknown",
        referred=current.get("referred") == "yes" if "referred" in questions else False,
        red_flags=frozenset(current.get("red_flags", [])),
    )


def decision(current: dict[str, Any], offer: Catalog) -> RoutingDecision:
    """Where the answers lead. The patient is not known yet, so their records play no part here;
    the booking itself routes again with them."""
    return routing.decide(intake(current), History(), offer)


def books_a_time(current: dict[str, Any], offer: Catalog) -> bool:
    """True when the patient picks a time now; False when schedulers place a request. An urgent
    patient never picks a routine time: the clinic calls them (see is_urgent)."""
    routed = decision(current, offer)
    return (
        offer.visit_type(routed.visit_type).mode is BookingMode.BOOK
        and not routed.urgent
        and not current.get("request_instead")
    )


def joins_waitlist(current: dict[str, Any]) -> bool:
    """No time offered suited them: they join the waitlist for one, with the days and parts of
    the day that suit (empty: any), instead of choosing a time."""
    return "waitlist" in current


def is_urgent(current: dict[str, Any], offer: Catalog) -> bool:
    """The answers need an urgent visit: the request is a call-back request (phone required, no
    preferred times asked)."""
    return decision(current, offer).urgent


@dataclass(frozen=True)
class HeldSlot:
    start: datetime
    provider_id: int
    token: str
    expires_at: datetime
    visit_type: str


def held_slot(current: dict[str, Any]) -> HeldSlot | None:
    slot = current.get("slot")
    if not slot:
        return None
    return HeldSlot(
        start=datetime.fromisoformat(slot["start"]),
        provider_id=int(slot["provider_id"]),
        token=str(slot["token"]),
        expires_at=datetime.fromisoformat(slot["expires_at"]),
        visit_type=str(slot["visit_type"]),
    )


def patient_details(current: dict[str, Any]) -> PatientDetails | None:
    details = current.get("details")
    if not details:
        return None
    return PatientDetails(
        given_name=details["given_name"],
        family_name=details["family_name"],
        birth_date=date.fromisoformat(details["birth_date"]),
        phone=details.get("phone"),
        email=details.get("email"),
        sms_consent=bool(details.get("sms_consent")),
    )


def unanswered(current: dict[str, Any], before: str | None = None) -> str | None:
    """The first question asked of this patient (before ``before``, when given) still without an
    answer; None when they are all answered."""
    for question in asked(current):
        if question == before:
            return None
        if question not in current:
            return question
    return None


def next_step(current: dict[str, Any], offer: Catalog) -> str:
    """The endpoint of the first page still to answer, or the check page when all are done."""
    if (question := unanswered(current)) is not None:
        return PAGES[question]
    if not current.get("route_seen"):
        return "public.route"
    if books_a_time(current, offer):
        slot = held_slot(current)
        if not joins_waitlist(current) and (slot is None or slot.visit_type != decision(current, offer).visit_type):
            return "public.time"
    elif "preferences" not in current and not is_urgent(current, offer):
        return "public.preferences"
    if "details" not in current:
        return "public.details"
    return "public.check"


def start_again(requested: str, asked: Intake | None, patient: PatientDetails) -> dict[str, Any]:
    """A new journey for a patient whose visit was cancelled ("Book a new time"): what they asked
    for (``asked``: their answers when they booked, when the visit kept them) and their details
    are kept, so they only choose a time. Answers the visit did not keep are asked again."""
    clear()
    current: dict[str, Any] = {"requested": requested}
    if asked is not None:
        current.update(
            seen_before="yes" if asked.seen_before else "no",
            cause=asked.cause,
            referred="yes" if asked.referred else "no",
            red_flags=sorted(asked.red_flags),
            route_seen=True,
        )
    born = patient.birth_date
    current["typed"] = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_month": str(born.month),
        "birth_day": str(born.day),
        "birth_year": str(born.year),
        "phone": patient.phone or "",
        "email": patient.email or "",
        "sms_consent": patient.sms_consent,
    }
    current["details"] = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": born.isoformat(),
        "phone": patient.phone,
        "email": patient.email,
        "sms_consent": patient.sms_consent,
    }
    session[KEY] = current
    return current
