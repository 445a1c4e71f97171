"""The audit trail for administrators: search by patient (found by name, birth date, phone or
reference) and Central dates, page through it, export the same search as CSV. There are no routes
to change or remove an event."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Response
from flask import redirect
from flask import render_template
from flask import request
from flask import stream_with_context
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from scheduler.domain.clock import iso_central
from scheduler.domain.clock import to_clinic
from scheduler.domain.clock import utc_now
from scheduler.domain.staff import ADMIN
from scheduler.services import audit as trail
from scheduler.services import patient_file
from scheduler.web.auth import staff_required
from scheduler.web.forms import Form
from scheduler.web.staff import bp
from scheduler.web.staff.forms import AuditFilterForm
from scheduler.web.staff.phone import Found
from scheduler.web.staff.phone import search_results

FILTER_ARGS = ("patient_id", "first_day", "last_day")
CSV_COLUMNS = (
    "id",
    "at_central",
    "time_zone",
    "actor_kind",
    "actor_id",
    "actor_username",
    "action",
    "record_type",
    "record_id",
    "patient_id",
    "channel",
    "detail",
)


def _filter(form: AuditFilterForm) -> trail.AuditFilter:
    return trail.AuditFilter(
        patient_id=form.patient_id.data, first_day=form.first_day.data, last_day=form.last_day.data
    )


class PatientForm(Form):
    """Which patient's events: found by what staff know of them (posted, so never in a URL)."""

    patient = StringField(
        "Patient", validators=[InputRequired("Enter the patient's name, date of birth, phone number or a reference"),
                               Length(max=200, message="Use 200 characters or fewer")]
    )  # fmt: skip


def _page(form: AuditFilterForm, patient_form: PatientForm, matches: list[Found] | None = None) -> tuple[str, int]:
    valid = form.validate()
    found = trail.search(_filter(form), page=form.page.data or 1) if valid else None
    shown = [row.event.patient_id for row in found.rows if row.event.patient_id] if found else []
    chosen = form.patient_id.data if valid else None
    names = patient_file.patient_names([*shown, *([chosen] if chosen else [])])
    args = form.query_args() if valid else {}
    return render_template(
        "staff/audit.html", form=form, patient_form=patient_form, found=found, args=args, names=names,
        chosen=chosen, matches=matches, date_args={k: v for k, v in args.items() if k != "patient_id"},
    ), (200 if valid and not patient_form.errors else 422)  # fmt: skip


@bp.get("/audit")
@staff_required(ADMIN)
def audit() -> tuple[str, int]:
    """The trail, filtered by ``patient_id`` and Central dates in the address (ids and dates only)."""
    return _page(AuditFilterForm(request.args), PatientForm(formdata=None))


@bp.post("/patients/audit-search")
@staff_required(ADMIN)
def audit_find_patient() -> Any:
    """Which patient's events to show, found by name, birth date, phone or reference (posted, so
    none of these reach a URL; the trail's own routes take no POST): one match shows their
    events; several are listed to choose from."""
    dates: dict[str, Any] = {name: request.form[name] for name in ("first_day", "last_day") if request.form.get(name)}
    form, patient_form = AuditFilterForm(MultiDict(dates)), PatientForm()
    if not patient_form.validate_on_submit():
        return _page(form, patient_form)
    matches = search_results(patient_form.patient.data or "")
    if len(matches) == 1:
        return redirect(url_for("staff.audit", patient_id=matches[0].id, **dates), 303)
    if not matches:
        patient_form.patient.errors = ["No patient matches. Check the spelling, the date of birth or the reference"]
    return _page(form, patient_form, matches)


@bp.get("/audit.csv")
@staff_required(ADMIN)
def audit_csv() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    if not form.validate():
        # The search page shows what is wrong with the filter, with what was typed kept.
        typed: dict[str, Any] = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
        return redirect(url_for("staff.audit", **typed))
    where = _filter(form)
    described = ", ".join(f"{name} {value}" for name, value in form.query_args().items()) or "everything"
    trail.save(
        "audit.export",
        actor_kind="staff",
        actor_id=current_user.id,
        record_type="audit_event",
        record_id=None,
        patient_id=where.patient_id,
        channel="web",
        detail=f"CSV of {described}",
    )
    stamp = to_clinic(utc_now()).strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(_csv_lines(where)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


def _csv_lines(where: trail.AuditFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in trail.every(where):
        e = row.event
        writer.writerow(
            [
                e.id,
                iso_central(e.at),
                to_clinic(e.at).tzname(),
                e.actor_kind,
                e.actor_id if e.actor_id is not None else "",
                _cell(row.actor_username or ""),
                _cell(e.action),
                _cell(e.record_type),
                _cell(e.record_id or ""),
                e.patient_id if e.patient_id is not None else "",
                e.channel,
                _cell(e.detail),
            ]
        )
        yield flush()


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection): quote it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
