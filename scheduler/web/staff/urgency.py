"""Urgency as staff read it on every page that shows a request or a visit (the queue, the visit
page, the calendar, the day list): the answers that made it urgent, and the patient's answers in
words. One place, so every page says it the same way."""

from __future__ import annotations

from typing import Any

from scheduler.domain.catalog import WorkBlock
from scheduler.domain.routing import CAUSES
from scheduler.domain.routing import Intake
from scheduler.domain.urgent import describe_urgent_blocks
from scheduler.domain.urgent import urgent_answers
from scheduler.web.staff import bp


def _intake(answers: Intake | dict[str, Any] | None) -> Intake | None:
    """A visit's answers (an Intake) or a request's (the stored dict) alike."""
    return Intake.from_dict(answers) if isinstance(answers, dict) else answers


@bp.app_template_filter("urgent_answers")
def urgent_answers_filter(answers: Intake | dict[str, Any] | None) -> tuple[str, ...]:
    """ "Fever", "Cause: infection": what made it urgent, in words."""
    return urgent_answers(_intake(answers))


def urgent_text(urgent: bool, answers: Intake | dict[str, Any] | None) -> str:
    """ "Urgent: Fever; Cause: infection" for an urgent request or visit (CSV cells, plain text);
    empty for a routine one."""
    if not urgent:
        return ""
    found = urgent_answers(_intake(answers))
    return "Urgent" + (": " + "; ".join(found) if found else "")


@bp.app_template_filter("answer_rows")
def answer_rows(answers: Intake | dict[str, Any] | None) -> list[tuple[str, str]]:
    """The patient's answers as (question, answer) rows for a summary list (none without answers)."""
    intake = _intake(answers)
    if intake is None:
        return []
    return [
        ("Likely cause", CAUSES.get(intake.cause, intake.cause)),
        ("Red flags", "; ".join(intake.red_flag_names) or "none"),
        ("Referred by a physician", "yes" if intake.referred else "no"),
        ("Seen at the clinic before", "yes" if intake.seen_before else "no"),
    ]


@bp.app_template_filter("urgent_times")
def urgent_times(blocks: list[Any]) -> str:
    """ "Tue 13:00-14:00, Thu 13:00-14:00": the weekly times a provider keeps for urgent patients."""
    return describe_urgent_blocks(WorkBlock(b.weekday, b.starts, b.ends) for b in blocks)
