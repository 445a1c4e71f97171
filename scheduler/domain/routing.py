"""Which calendar a request lands on: ordered, named rules held as data; first match wins.

A rule is a list of conditions (all must hold) and an outcome. Conditions name tests from the
fixed vocabulary in ``_TESTS`` with a value, so the clinic can reorder, edit, add or disable
rules without code changes. Every decision carries its rule's one-line reason.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from scheduler.domain.catalog import IMAGING_VISIT_TYPES
from scheduler.domain.catalog import UNSURE
from scheduler.domain.catalog import Specialty
from scheduler.domain.catalog import VisitType

CAUSES: dict[str, str] = {
    "congenital": "Congenital (present from birth)",
    "trauma": "Trauma, such as a fall or car crash",
    "spine-surgery": "After spine surgery",
    "postpartum": "After childbirth",
    "inflammatory": "An inflammatory condition",
    "infection": "Infection",
    "unknown": "Unknown",
}

RED_FLAGS: dict[str, str] = {
    "fever": "Fever",
    "cannot-bear-weight": "Sudden inability to bear weight",
}

# What a patient may not know the words for, in plain words under the choice.
CAUSE_HINTS: dict[str, str] = {
    "congenital": "Such as one leg shorter than the other, or a curve in the spine.",
    "inflammatory": "A long-term illness that makes joints swollen and painful, such as some kinds of arthritis.",
    "infection": "Germs in the joint. This needs a doctor quickly.",
}
RED_FLAG_HINTS: dict[str, str] = {
    "fever": "A temperature of 100.4°F (38°C) or higher.",
    "cannot-bear-weight": "You suddenly cannot stand or walk on your leg.",
}

# The intake questions, by their Intake field, in the order the patient pages ask them.
QUESTIONS: tuple[str, ...] = ("requested", "seen_before", "cause", "red_flags", "referred")
# What the clinic's own records hold for a patient seen here before, so they are not asked again.
# The rules still decide the same for them: rule 2 reads the referral only for new patients, and
# urgency is asked of everyone through the red flags (the cause counts as "unknown", the referral
# as "no").
ON_RECORD_FOR_RETURNING: frozenset[str] = frozenset({"cause", "referred"})


def questions_asked(seen_before: bool | None) -> tuple[str, ...]:
    """The intake questions a patient is asked, in order. ``seen_before`` is their answer so
    far (None: not given yet, so every question may still be asked)."""
    if seen_before:
        return tuple(q for q in QUESTIONS if q not in ON_RECORD_FOR_RETURNING)
    return QUESTIONS


# Outcomes other than a plain visit type code.
ROUTE_REQUESTED = "requested"  # the visit type asked for, in its own specialty
ROUTE_LAST_VISIT = "last-visit"  # follow-up: the specialty (and provider) of the most recent visit


@dataclass(frozen=True)
class Intake:
    """What the patient (or phone staff) tells us."""

    requested: str  # a visit type code, or UNSURE
    seen_before: bool
    cause: str
    referred: bool
    red_flags: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        """Plain values, as stored with a request or a visit."""
        return {
            "requested": self.requested,
            "seen_before": self.seen_before,
            "cause": self.cause,
            "referred": self.referred,
            "red_flags": sorted(self.red_flags),
        }

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Intake:
        return cls(
            requested=str(stored.get("requested", UNSURE)),
            seen_before=bool(stored.get("seen_before")),
            cause=str(stored.get("cause", "unknown")),
            referred=bool(stored.get("referred")),
            red_flags=frozenset(stored.get("red_flags") or ()),
        )

    @property
    def red_flag_names(self) -> list[str]:
        """The red flags in words, as staff read them."""
        return [RED_FLAGS.get(flag, flag) for flag in sorted(self.red_flags)]


@dataclass(frozen=True)
class LastVisit:
    visit_type: str
    specialty: str
    provider_id: int | None


@dataclass(frozen=True)
class History:
    """What the clinic's own records say about the patient."""

    fulfilled_visit_types: frozenset[str] = frozenset()
    last_visit: LastVisit | None = None


@dataclass(frozen=True)
class Condition:
    test: str
    value: Any = True
    negate: bool = False


@dataclass(frozen=True)
class RoutingRule:
    name: str
    route_to: str  # a visit type code, ROUTE_REQUESTED or ROUTE_LAST_VISIT
    reason: str  # may use {visit_type} and {specialty}
    conditions: tuple[Condition, ...] = ()
    urgent: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class RoutingDecision:
    rule: str
    visit_type: str
    specialty: str
    reason: str
    urgent: bool = False
    preferred_provider_id: int | None = field(default=None)


def is_new_patient(intake: Intake, history: History) -> bool:
    """New means no completed evaluation here. Records from before this system exist only in the
    patient's answer, so "seen before" counts too."""
    return not (intake.seen_before or "evaluation" in history.fulfilled_visit_types)


def _any_of(intake: Intake, history: History, value: Any) -> bool:
    return any(_holds(Condition(**c) if isinstance(c, Mapping) else c, intake, history) for c in value)


_TESTS: dict[str, Callable[[Intake, History, Any], bool]] = {
    "requested-in": lambda i, h, v: i.requested in v,
    "cause-in": lambda i, h, v: i.cause in v,
    "has-red-flag": lambda i, h, v: bool(i.red_flags) == bool(v),
    "new-patient": lambda i, h, v: is_new_patient(i, h) == bool(v),
    "referred-for": lambda i, h, v: i.referred and i.requested in v,
    "lacks-prior": lambda i, h, v: v not in h.fulfilled_visit_types,
    "has-previous-visit": lambda i, h, v: (h.last_visit is not None) == bool(v),
    "any-of": _any_of,
}


def _holds(condition: Condition, intake: Intake, history: History) -> bool:
    result = _TESTS[condition.test](intake, history, condition.value)
    return not result if condition.negate else result


def route(
    intake: Intake,
    history: History,
    rules: Sequence[RoutingRule],
    visit_types: Mapping[str, VisitType],
    specialties: Mapping[str, Specialty],
) -> RoutingDecision:
    """Apply the enabled rules in order; the first whose conditions all hold decides.

    A request for UNSURE that no rule places goes to an evaluation. Raises LookupError if the
    rules name a visit type the clinic does not have (a data error, caught by the admin screens).
    """
    for rule in rules:
        if rule.enabled and all(_holds(c, intake, history) for c in rule.conditions):
            return _decide(rule, intake, history, visit_types, specialties)
    fallback = RoutingRule("fallback", ROUTE_REQUESTED, "This visit is with {specialty}.")
    return _decide(fallback, intake, history, visit_types, specialties)


def _decide(
    rule: RoutingRule,
    intake: Intake,
    history: History,
    visit_types: Mapping[str, VisitType],
    specialties: Mapping[str, Specialty],
) -> RoutingDecision:
    provider_id = None
    if rule.route_to == ROUTE_LAST_VISIT and history.last_visit is not None:
        visit_type = visit_types["follow-up"]
        specialty = history.last_visit.specialty
        provider_id = history.last_visit.provider_id
    else:
        code = intake.requested if rule.route_to in (ROUTE_REQUESTED, ROUTE_LAST_VISIT) else rule.route_to
        visit_type = visit_types["evaluation" if code == UNSURE else code]
        specialty = visit_type.specialty
    reason = rule.reason.format(visit_type=visit_type.name, specialty=specialties[specialty].name)
    return RoutingDecision(rule.name, visit_type.code, specialty, reason, rule.urgent, provider_id)


DEFAULT_RULES: tuple[RoutingRule, ...] = (
    RoutingRule(
        "urgent-infection-or-red-flag",
        "evaluation",
        "A possible infection, a fever or sudden inability to bear weight needs an urgent evaluation.",
        (Condition("any-of", ({"test": "cause-in", "value": ["infection"]}, {"test": "has-red-flag"})),),
        urgent=True,
    ),
    RoutingRule(
        "new-patient-evaluation",
        "evaluation",
        "New patients begin with a comprehensive evaluation in {specialty}.",
        (Condition("new-patient"), Condition("referred-for", sorted(IMAGING_VISIT_TYPES), negate=True)),
    ),
    RoutingRule(
        "injection-before-neurotomy",
        "injection",
        "A diagnostic injection comes before radiofrequency neurotomy, "
        "to confirm the SI joint is the source of the pain.",
        (Condition("requested-in", ["neurotomy"]), Condition("lacks-prior", "injection")),
    ),
    RoutingRule(
        "surgical-consult",
        ROUTE_REQUESTED,
        "Fusion surgery consultations are with {specialty}; the team usually exhausts nonoperative options first.",
        (Condition("requested-in", ["surgical-consult"]),),
    ),
    RoutingRule(
        "bone-health",
        ROUTE_REQUESTED,
        "Bone-healing medication consults are with {specialty}, before or after a planned fusion.",
        (Condition("requested-in", ["bone-health"]),),
    ),
    RoutingRule(
        "follow-up-last-visit",
        ROUTE_LAST_VISIT,
        "Follow-ups are with {specialty}, the team of your most recent visit.",
        (Condition("requested-in", ["follow-up", UNSURE]), Condition("has-previous-visit")),
    ),
    RoutingRule(
        "visit-type-specialty",
        ROUTE_REQUESTED,
        # Not "{visit_type} visits": a name such as "Follow-up visit" made "Follow-up visit visits".
        "This visit is with {specialty}.",
    ),
)
