"""Routing rules as ordered data: the seven defaults, first match wins, each with its reason."""

from __future__ import annotations

import pytest

from scheduler.domain.catalog import DEFAULT_SPECIALTIES
from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.routing import DEFAULT_RULES
from scheduler.domain.routing import History
from scheduler.domain.routing import Intake
from scheduler.domain.routing import LastVisit
from scheduler.domain.routing import route

VISIT_TYPES = {v.code: v for v in DEFAULT_VISIT_TYPES}
SPECIALTIES = {s.code: s for s in DEFAULT_SPECIALTIES}
NO_HISTORY = History()
RETURNING = History(frozenset({"evaluation"}), LastVisit("evaluation", "pmr", 7))


def decide(
    requested,
    *,
    seen_before=False,
    cause="trauma",
    referred=False,
    red_flags=(),
    history=NO_HISTORY,
    rules=DEFAULT_RULES,
):
    intake = Intake(requested, seen_before, cause, referred, frozenset(red_flags))
    return route(intake, history, rules, VISIT_TYPES, SPECIALTIES)


@pytest.mark.parametrize(
    "kwargs", [{"cause": "infection"}, {"red_flags": ["fever"]}, {"red_flags": ["cannot-bear-weight"]}]
)
def test_infection_or_a_red_flag_routes_to_an_urgent_evaluation_even_for_returning_patients(kwargs):
    decision = decide("injection", seen_before=True, history=RETURNING, **kwargs)
    assert (decision.rule, decision.visit_type, decision.urgent) == ("urgent-infection-or-red-flag", "evaluation", True)


def test_new_patients_begin_with_an_evaluation_in_pmr():
    decision = decide("injection")
    assert (decision.visit_type, decision.specialty) == ("evaluation", "pmr")
    assert (
        decision.reason == "New patients begin with a comprehensive evaluation in Physical Medicine & Rehabilitation."
    )


def test_a_new_patient_with_imaging_ordered_by_their_physician_goes_straight_to_imaging():
    decision = decide("xray", referred=True)
    assert (decision.visit_type, decision.specialty) == ("xray", "radiology-pain")


def test_a_completed_evaluation_here_makes_a_patient_returning_whatever_they_answered():
    assert decide("therapy", history=RETURNING).visit_type == "therapy"


def test_neurotomy_without_a_prior_injection_here_becomes_an_injection():
    assert decide("neurotomy", seen_before=True).visit_type == "injection"
    after_injection = History(frozenset({"evaluation", "injection"}), None)
    assert decide("neurotomy", seen_before=True, history=after_injection).visit_type == "neurotomy"


def test_a_surgical_consult_goes_to_orthopedic_surgery_with_the_nonoperative_note():
    decision = decide("surgical-consult", seen_before=True)
    assert decision.specialty == "ortho" and "nonoperative" in decision.reason


def test_a_bone_health_consult_goes_to_endocrinology():
    assert decide("bone-health", seen_before=True).specialty == "endo"


def test_a_follow_up_goes_to_the_specialty_and_provider_of_the_last_visit():
    history = History(frozenset({"evaluation", "injection"}), LastVisit("injection", "radiology-pain", 12))
    decision = decide("follow-up", seen_before=True, history=history)
    assert (decision.visit_type, decision.specialty, decision.preferred_provider_id) == (
        "follow-up",
        "radiology-pain",
        12,
    )


def test_otherwise_a_visit_goes_to_its_own_specialty():
    decision = decide("ct", seen_before=True)
    assert (decision.rule, decision.specialty) == ("visit-type-specialty", "radiology-pain")


def test_rules_are_data_a_disabled_rule_is_skipped_and_order_decides():
    without_new_patient_rule = tuple(r for r in DEFAULT_RULES if r.name != "new-patient-evaluation")
    assert decide("injection", rules=without_new_patient_rule).visit_type == "injection"
    reordered = (DEFAULT_RULES[6], *DEFAULT_RULES[:6])
    assert decide("injection", rules=reordered).rule == "visit-type-specialty"


def test_not_sure_routes_a_new_patient_to_an_evaluation():
    assert decide("unsure").visit_type == "evaluation"
