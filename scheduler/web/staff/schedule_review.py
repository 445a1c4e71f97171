"""The step every schedule change goes through on the admin pages: if it would strand booked
visits (or holds), list them and let the person decide for each before anything is changed.

The page posts back to the same address with every field of the original form (hidden), the ids
it listed (``reviewed``) and one decision per visit (``decision-<id>``), so the change and the
decisions arrive together and are applied in one unit of work (services.schedule_changes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask_login import current_user

from scheduler.domain.errors import DomainError
from scheduler.domain.schedule_changes import ScheduleChange
from scheduler.services import schedule_changes
from scheduler.services import staff_visits
from scheduler.web.public.present import when

# Fields of the review step itself, never carried over as the change's own.
_OWN_FIELDS = ("csrf_token", "reviewed")


def review_or_apply(
    change: ScheduleChange, *, title: str, done_url: str, done_message: str, back_url: str,
    along_with: Callable[[], object] | None = None,
) -> Any:  # fmt: skip
    """Apply ``change`` when it strands nothing (or once the person has decided for each visit
    it strands); otherwise the review page. ``along_with``: the rest of the form, saved in the
    same unit of work when the change is made. Raises DomainError for a change that makes no
    sense (the caller shows it on its own form)."""
    actor = staff_visits.Actor(staff_id=current_user.id, role=current_user.role, channel="web")
    reviewed = request.form.get("reviewed")
    if reviewed is None:
        found = schedule_changes.review(change)
        if not found.affected and not found.holds:
            schedule_changes.apply(change, {}, actor=actor, along_with=along_with)
            flash(done_message, "success")
            return redirect(done_url, 303)
        return _page(found, title=title, back_url=back_url)
    ids = [int(i) for i in reviewed.split(",") if i.isdigit() and len(i) < 10]
    decisions = {i: request.form.get(f"decision-{i}", "") for i in ids}
    missing = [i for i, d in decisions.items() if not d]
    if missing:
        return _page(
            schedule_changes.review(change), title=title, back_url=back_url, status=422,
            problem="Choose what happens to each visit listed: move it, cancel it, or keep it.", missing=missing,
        )  # fmt: skip
    try:
        done = schedule_changes.apply(change, decisions, actor=actor, along_with=along_with)
    except DomainError as refusal:
        # Someone booked or moved meanwhile, or a move is no longer possible: nothing was changed.
        again = schedule_changes.review(change)
        return _page(again, title=title, back_url=back_url, status=409, problem=refusal.message)
    moved = sum(1 for d in decisions.values() if d.startswith("move:"))
    cancelled = sum(1 for d in decisions.values() if d == "cancel")
    kept = len(decisions) - moved - cancelled
    count = len(done.affected)
    flash(f"{done_message} {count} visit{'' if count == 1 else 's'}: {moved} moved, {cancelled} cancelled "
          f"(patients told), {kept} kept as exceptions.", "success")  # fmt: skip
    return redirect(done_url, 303)


def _page(
    found: schedule_changes.Review, *, title: str, back_url: str, status: int = 200, problem: str | None = None,
    missing: list[int] | None = None,
) -> tuple[str, int]:  # fmt: skip
    carried = [
        (k, v) for k, v in request.form.items(multi=True) if k not in _OWN_FIELDS and not k.startswith("decision-")
    ]
    chosen = {k.removeprefix("decision-"): v for k, v in request.form.items() if k.startswith("decision-")}
    return render_template(
        "staff/schedule_review.html", review=found, title=title, back_url=back_url, carried=carried,
        chosen=chosen, problem=problem, missing=set(missing or ()), when=when,
    ), status  # fmt: skip
