"""Which intake questions a patient is asked: a returning patient is not asked what the clinic's
records hold (the likely cause, the referral), and the default rules decide the same without them."""

from __future__ import annotations

import pytest

from scheduler.domain.catalog import DEFAULT_SPECIALTIES
from scheduler.domain.catalog import DEFAULT_VISIT_TYPES
from scheduler.domain.catalog import UNSURE
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import DEFAULT_RULES
from scheduler.domain.routing import QUESTIONS
from scheduler.domain.routing import History
from scheduler.domain.routing import Intake
from scheduler.domain.routing import questions_asked
from scheduler.domain.routing import route

VISIT_TYPES = {v.code: v for v in DEFAULT_VISIT_TYPES}
SPECIALTIES = {s.code: s for s in DEFAULT_SPECIALTIES}


def test_a_new_patient_and_one_who_has_not_said_yet_are_asked_every_question_in_order():
    assert questions_asked(False) == questions_asked(None) == QUESTIONS
    assert QUESTIONS == ("requested", "seen_before", "cause", "red_flags", "referred")


def test_a_returning_patient_is_asked_what_they_want_and_the_red_flags_but_not_the_cause_or_referral():
    assert questions_asked(True) == ("requested", "seen_before", "red_flags")


@pytest.mark.parametrize("requested", [*VISIT_TYPES, UNSURE])
@pytest.mark.parametrize("red_flags", [frozenset(), frozenset({"fever"})])
def test_for_a_returning_patient_the_rules_decide_the_same_whatever_the_skipped_answers_would_have_been(
    requested, red_flags
):
    """Except an infection as the cause, which is urgent: a returning patient's urgency is asked
    through the red flags instead (fever, sudden inability to bear weight)."""
    unasked = route(Intake(requested, True, "unknown", False, red_flags), History(), DEFAULT_RULES,
                    VISIT_TYPES, SPECIALTIES)  # fmt: skip
    for cause in set(CAUSES) - {"infection"}:
        for referred in (True, False):
            answered = route(Intake(requested, True, cause, referred, red_flags), History(), DEFAULT_RULES,
                             VISIT_TYPES, SPECIALTIES)  # fmt: skip
            assert answered == unasked, (cause, referred)


def test_no_default_reason_doubles_the_word_visit_for_any_visit_type():
    for requested in [*VISIT_TYPES, UNSURE]:
        for seen_before in (True, False):
            decision = route(Intake(requested, seen_before, "trauma", False), History(), DEFAULT_RULES,
                             VISIT_TYPES, SPECIALTIES)  # fmt: skip
            assert "visit visits" not in decision.reason.lower(), decision
