"""Merging two records of one patient (issue 14): from the record, "Merge with another record" ->
choose the other record (the record's possible duplicates, or a search) -> the two side by side,
choosing which record is kept -> merged (POST) -> the kept record, with what was moved.

Schedulers and administrators merge; phone staff see a record's possible duplicates but may not
merge (403). Addresses hold record ids only; the search is POSTed, as everywhere in the staff pages.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from wtforms import RadioField

from scheduler.domain.errors import NotFound
from scheduler.domain.patient_merge import SAME_RECORD
from scheduler.domain.patient_merge import MergeRefused
from scheduler.domain.patients import PatientRecord
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import SCHEDULER
from scheduler.services import patient_merge
from scheduler.services.patient_search import search_patients
from scheduler.services.patients import patient_with_id
from scheduler.web.auth import staff_required
from scheduler.web.contact import phone_display
from scheduler.web.forms import Form
from scheduler.web.staff import bp
from scheduler.web.staff.phone import Found
from scheduler.web.staff.phone import us_date
from scheduler.web.staff.phone_forms import SearchForm

MERGERS = (ADMIN, SCHEDULER)
CHOOSE_KEPT = "Choose which record is kept"
GONE = (
    "Nothing was merged: one of the two records is no longer on file. Someone may have merged it a "
    "moment ago; look at the record below."
)


class MergeForm(Form):
    # Its two choices are the two records, set per request (the ids in the address).
    keep = RadioField("Which record is kept?", choices=[], validate_choice=False)

    def kept_id(self, ids: tuple[int, int]) -> int | None:
        """The record chosen to be kept: one of ``ids``, else None (with the field's error set)."""
        chosen = (self.keep.data or "").strip()
        if chosen.isdigit() and int(chosen) in ids:
            return int(chosen)
        self.keep.errors = [f"{CHOOSE_KEPT}: record {ids[0]} or record {ids[1]}"]
        return None


def _found(patients: list[PatientRecord]) -> list[Found]:
    return [
        Found(p.id, f"{p.family_name}, {p.given_name}", us_date(p.birth_date), phone_display(p.phone), p.email or "")
        for p in patients
    ]


def _candidates(text: str, patient_id: int) -> list[Found]:
    """The records matching what was typed, this one left out."""
    return _found([p for p in search_patients(text) if p.id != patient_id])


def _record_or_404(patient_id: int) -> PatientRecord:
    found = patient_with_id(patient_id)
    if found is None:
        abort(404)
    return found


# ----- choosing the other record ------------------------------------------------------------------


@bp.route("/patients/<int(max=2147483647):patient_id>/merge", methods=["GET", "POST"])
@staff_required(*MERGERS)
def patient_merge_find(patient_id: int) -> tuple[str, int]:
    """The record's possible duplicates and a search for the other record (a POST is the search
    without JavaScript; the results come back on the page)."""
    patient = _record_or_404(patient_id)
    form = SearchForm()
    searched = form.is_submitted() and form.validate_on_submit()
    query = (form.q.data or "").strip() if searched else ""
    page = render_template(
        "staff/patient_merge.html",
        patient=patient,
        form=form,
        query=query,
        results=_candidates(query, patient_id) if query else None,
        duplicates=_found(patient_merge.possible_duplicates(patient)),
        us_date=us_date,
        phone_display=phone_display,
    )
    return page, 422 if form.errors else 200


@bp.post("/patients/<int(max=2147483647):patient_id>/merge/search")
@staff_required(*MERGERS)
def patient_merge_search(patient_id: int) -> str:
    """The results as an HTML fragment, for the search box as staff type."""
    form = SearchForm()
    query = (form.q.data or "").strip() if form.validate_on_submit() else ""
    return render_template(
        "staff/patient_merge_results.html",
        patient_id=patient_id,
        query=query,
        results=_candidates(query, patient_id) if query else None,
    )


# ----- the two side by side, and the merge -----------------------------------------------------------


@bp.route("/patients/<int(max=2147483647):patient_id>/merge/<int(max=2147483647):other_id>", methods=["GET", "POST"])
@staff_required(*MERGERS)
def patient_merge_confirm(patient_id: int, other_id: int) -> Any:
    """Both records side by side; the person chooses which is kept and merges (POST). A refusal
    (the same record, visits at the same time, ...) comes back on the page with the choice kept."""
    ids = (patient_id, other_id)
    form = MergeForm()
    form.keep.choices = [(str(i), f"record {i}") for i in ids]
    problem = None
    if form.is_submitted():
        kept_id = form.kept_id(ids) if form.validate_on_submit() else None
        if kept_id is not None:
            try:
                merged = patient_merge.merge(
                    kept_id, other_id if kept_id == patient_id else patient_id, staff_id=current_user.id
                )
            except MergeRefused as refused:
                problem = refused.message
            except NotFound:
                flash(GONE, "warning")
                return redirect(url_for("staff.patient", patient_id=patient_id), 303)
            else:
                moved = merged.moved
                flash(
                    f"Records merged: record {merged.removed_id} is now part of this record "
                    f"({_count(moved.visits, 'visit')}, {_count(moved.requests, 'request')}, "
                    f"{_count(moved.waitlist, 'waitlist entry', 'waitlist entries')} moved).",
                    "success",
                )
                return redirect(url_for("staff.patient", patient_id=merged.kept_id), 303)
    else:
        form.keep.data = str(patient_id)  # the record the merge was started from, unless changed
    try:
        compared = patient_merge.compare(patient_id, other_id, staff_id=current_user.id)
    except NotFound:
        abort(404)
    if patient_id == other_id:
        problem = SAME_RECORD
    failed = bool(problem or form.errors)
    return render_template(
        "staff/patient_merge_confirm.html",
        form=form,
        compared=compared,
        problem=problem,
        us_date=us_date,
        phone_display=phone_display,
    ), (422 if failed else 200)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
