"""The waitlist as staff see it (issue 17): a specialty's waitlist (who waits, for what, when they
could come, the offers sent and what came of them), taking an entry off (schedulers, after a
confirmation), "N waiting fit this time" on the calendars and the move dialog, and a visit type's
waitlist rules (admins). Callers are added from the phone console (phone_waitlist.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from scheduler.domain.calendar_grid import Grid
from scheduler.domain.catalog import with_kind
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.hours import WEEKDAY_NAMES
from scheduler.domain.offer import Catalog
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.domain.waitlist import PartOfDay
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.domain.waitlist import Windows
from scheduler.services import catalog_lists
from scheduler.services import clinic
from scheduler.services import waitlist_staff
from scheduler.web.auth import staff_required
from scheduler.web.public.present import when
from scheduler.web.public.times import parse_choice
from scheduler.web.staff import bp
from scheduler.web.staff.admin_forms import ConfirmForm
from scheduler.web.staff.admin_forms import VisitTypeForm
from scheduler.web.staff.admin_forms import WaitlistRulesForm

EVERYONE = (ADMIN, SCHEDULER, PHONE)
SCHEDULERS = (ADMIN, SCHEDULER)
ANY_TIME = "any day and time the clinic is open"
OUTCOME_WORDS = {
    RecipientOutcome.OFFERED: "offered, waiting for an answer",
    RecipientOutcome.CLAIMED: "taken by them",
    RecipientOutcome.TAKEN: "taken by someone else first",
    RecipientOutcome.EXPIRED: "not taken in time",
}
PART_WORDS = {PartOfDay.MORNING: "mornings", PartOfDay.AFTERNOON: "afternoons"}


def windows_words(windows: Windows) -> str:
    """When a waiting patient could come, in words: "Mondays and Tuesdays; mornings; from
    March 3, 2027 to April 30, 2027"."""
    days = _and([WEEKDAY_NAMES[d] + "s" for d in sorted(windows.weekdays)])
    parts = _and([PART_WORDS[p] for p in sorted(windows.parts_of_day)])
    dates = ""
    if windows.earliest and windows.latest:
        dates = f"from {_day(windows.earliest)} to {_day(windows.latest)}"
    elif windows.earliest:
        dates = f"from {_day(windows.earliest)} on"
    elif windows.latest:
        dates = f"until {_day(windows.latest)}"
    return "; ".join(p for p in (days, parts, dates) if p) or ANY_TIME


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _specialty(offer: Catalog) -> str:
    code = request.args.get("specialty", "")[:40]
    return code if code in offer.specialties else next(iter(offer.specialties))


def _page_number() -> int:
    text = request.args.get("page", "")[:6]
    return int(text) if text.isdigit() else 1


@bp.get("/waitlist")
@staff_required(*EVERYONE)
def waitlist() -> str:
    offer = clinic.current_catalog(utc_now())
    code = _specialty(offer)
    found = waitlist_staff.specialty_waitlist(code, staff_id=current_user.id, page=_page_number())

    def who(provider_id: int) -> str:
        return with_kind(offer.provider_names.get(provider_id, "a provider no longer here"),
                         offer.provider_kinds.get(provider_id, ""))  # fmt: skip

    return render_template(
        "staff/waitlist.html",
        found=found,
        offer=offer,
        specialty=offer.specialties[code],
        can_take_off=current_user.role in SCHEDULERS,
        windows_words=windows_words,
        outcome_words=OUTCOME_WORDS,
        who=who,
        when=when,
        now=utc_now(),
    )


@bp.route("/waitlist/<reference>/take-off", methods=["GET", "POST"])
@staff_required(*SCHEDULERS)
def waitlist_take_off(reference: str) -> Any:
    """Take an entry off the waitlist (the caller asked, or it no longer applies), after a
    confirmation page: the patient is sent no more offers for it."""
    offer = clinic.current_catalog(utc_now())
    code = _specialty(offer)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            waitlist_staff.leave_by_staff(reference[:20], staff_id=current_user.id)
        except NotFound:
            abort(404)
        flash(f"{reference[:20]} is off the waitlist: no more offers will be sent for it.", "success")
        return redirect(url_for("staff.waitlist", specialty=code), 303)
    return render_template(
        "staff/waitlist_take_off.html", form=form, reference=reference[:20], specialty=offer.specialties[code]
    )


# ----- "N waiting fit this time" -------------------------------------------------------------------


def grid_fits(grid: Grid, provider_ids: list[int]) -> dict[tuple[int, int], int]:
    """How many waiting fit each free cell of ``grid``, by (column, row); ``provider_ids``: the
    provider of each column. One read of the waitlist for the whole grid."""
    step = grid.times[1].hour * 60 + grid.times[1].minute - grid.times[0].hour * 60 - grid.times[0].minute \
        if len(grid.times) > 1 else 15  # fmt: skip
    places: dict[tuple[int, Any], tuple[int, int]] = {}
    times: list[waitlist_staff.OpenTime] = []
    for c, (col, provider_id) in enumerate(zip(grid.columns, provider_ids, strict=True)):
        run = 0  # free minutes from each cell on, counted from the bottom of the column up
        runs: list[int] = [0] * len(col.cells)
        for r in range(len(col.cells) - 1, -1, -1):
            run = run + step if col.cells[r].kind == "free" else 0
            runs[r] = run
        for r, cell in enumerate(col.cells):
            if cell.kind == "free":
                start = clinic_instant(col.day, grid.times[r])
                times.append(waitlist_staff.OpenTime(provider_id, start, runs[r]))
                places[(provider_id, start)] = (c, r)
    counts = waitlist_staff.fit_counts(times)
    return {places[key]: n for key, n in counts.items()}


def waiting_words(count: int) -> str:
    return f"{count} waiting fit{'s' if count == 1 else ''}"


bp.add_app_template_filter(waiting_words, "waiting_words")


# ----- a visit type's waitlist rules (admins) -------------------------------------------------------


@bp.post("/admin/visit-types/<code>/waitlist")
@staff_required(ADMIN)
def admin_waitlist_rules(code: str) -> Any:
    form = WaitlistRulesForm()
    if form.validate_on_submit():
        notice = form.notice_hours.data
        try:
            waitlist_staff.save_rules(
                code[:40],
                notice_minutes=None if notice is None else round(notice * 60),
                batch_size=form.batch_size.data,
                hold_minutes=form.hold_minutes.data,
                actor_id=current_user.id,
            )
        except NotFound:
            abort(404)
        except InvalidInput as refusal:
            for name, message in refusal.fields.items():
                field = {"notice_minutes": form.notice_hours}.get(name) or getattr(form, name)
                field.errors = [message]
        else:
            flash("Saved the waitlist rules.", "success")
            return redirect(url_for("staff.admin_visit_types", code=code[:40]), 303)
    visit_types = catalog_lists.visit_types()
    current = next((v for v in visit_types if v.code == code[:40]), None)
    if current is None:
        abort(404)
    return render_template(
        "staff/admin_visit_types.html", visit_types=visit_types, current=current,
        form=VisitTypeForm(obj=current, formdata=None), problem=None, rules_form=form,
    ), 422  # fmt: skip


def rules_form_for(visit_type: Any) -> WaitlistRulesForm:
    """The rules form filled from a visit type row (its saved rules)."""
    minutes = visit_type.waitlist_notice_minutes
    return WaitlistRulesForm(
        formdata=None,
        data={
            "notice_hours": None if minutes is None else _hours(minutes),
            "batch_size": visit_type.waitlist_batch_size,
            "hold_minutes": visit_type.waitlist_hold_minutes,
        },
    )


def _hours(minutes: int) -> float | int:
    return minutes // 60 if minutes % 60 == 0 else round(minutes / 60, 2)


def move_fits(appointment: Any, days: dict[date, list[Any]]) -> tuple[dict[str, int], int]:
    """For the move dialog: how many waiting fit each time listed (by its form value), and how
    many fit the visit's current time (which the move frees); one read of the waitlist."""
    code = appointment.visit_type.code
    minutes = appointment.visit_type.minutes
    chosen: dict[tuple[int, Any], str] = {}
    for times in days.values():
        for offered in times:
            start, provider_id = parse_choice(offered.value)
            if start is not None and provider_id is not None:
                chosen[(provider_id, start)] = offered.value
    asked = [waitlist_staff.OpenTime(p, s, minutes) for p, s in chosen]
    current = waitlist_staff.OpenTime(appointment.provider_id, appointment.starts_at, minutes)
    counts = waitlist_staff.fit_counts([*asked, current], visit_type_code=code)
    fits = {value: counts[key] for key, value in chosen.items() if key in counts}
    return fits, counts.get((current.provider_id, current.start), 0)
