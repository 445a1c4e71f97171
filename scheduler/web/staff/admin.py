"""Admin pages: providers (weekly hours, time off), closures, visit types, rooms, routing rules,
staff accounts. Schedulers manage providers' hours, time off and closures; the rest is admin."""

from __future__ import annotations

from datetime import time
from datetime import timedelta
from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug import Response

from scheduler.domain.catalog import RoomKind
from scheduler.domain.catalog import WorkBlock
from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.schedule_changes import ClosureChange
from scheduler.domain.schedule_changes import HoursChange
from scheduler.domain.schedule_changes import TimeOffChange
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import ROLE_NAMES
from scheduler.domain.staff import SCHEDULER
from scheduler.domain.staff import StaffAccountError
from scheduler.domain.weekly_pattern import describe_day_blocks
from scheduler.domain.weekly_pattern import parse_day_blocks
from scheduler.services import catalog_admin
from scheduler.services import catalog_lists
from scheduler.services import schedule_changes
from scheduler.services import staff as staff_accounts
from scheduler.services import staff_passwords
from scheduler.web.auth import staff_required
from scheduler.web.public.forms import options
from scheduler.web.public.present import when
from scheduler.web.staff import admin_forms as forms
from scheduler.web.staff import bp
from scheduler.web.staff.schedule_review import review_or_apply
from scheduler.web.staff.waitlist import rules_form_for

MANAGERS = (ADMIN, SCHEDULER)


def _specialty_choices() -> list[Any]:
    return options(catalog_lists.specialty_choices())


@bp.get("/admin")
@staff_required(*MANAGERS)
def admin_home() -> str:
    return render_template("staff/admin_home.html", providers=catalog_lists.providers())


@bp.route("/admin/providers/new", methods=["GET", "POST"], defaults={"provider_id": None})
@bp.route("/admin/providers/<int(max=2147483647):provider_id>", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def admin_provider(provider_id: int | None) -> Any:
    provider = catalog_lists.provider(provider_id) if provider_id else None
    if provider_id and provider is None:
        abort(404)
    form = _provider_form(provider)
    problem = None
    if form.validate_on_submit() and not _npi_refused(form, provider_id):
        pattern = {i: parse_day_blocks(form[day].data or "") for i, day in enumerate(forms.ProviderForm.DAYS)}
        urgent: dict[int, list[tuple[time, time]]] | None = {
            i: parse_day_blocks(form[day].data or "") for i, day in enumerate(forms.ProviderForm.URGENT_DAYS)
        }
        if not any(day in request.form for day in forms.ProviderForm.URGENT_DAYS):
            urgent = None  # a post without the fieldset (an older page) leaves the urgent times as they are
        hours = HoursChange(
            provider_id or 0,
            tuple(WorkBlock(d, s, e) for d, blocks in sorted(pattern.items()) for s, e in blocks),
            form.hours_from.data if form.hours_from.data and form.hours_from.data > clinic_today(utc_now()) else None,
        )
        # An existing provider's new hours are a schedule change: first the visits they would strand.
        changes_hours = provider is not None and (
            hours.effective_from is not None or set(hours.pattern) != catalog_lists.current_pattern(provider)
        )

        def save() -> catalog_admin.SavedProvider:
            return catalog_admin.save_provider(
                provider_id, name=form.name.data.strip(), specialty_code=form.specialty.data,
                active=form.active.data, pattern=pattern, actor_id=current_user.id,
                kind=form.kind.data or "", performs=form.visit_types.data or (),
                urgent=urgent, urgent_release_hours=form.urgent_release_hours.data, write_hours=not changes_hours,
                npi=form.npi.data if "npi" in request.form else None,  # an older page without it: unchanged
            )  # fmt: skip

        back = url_for("staff.admin_provider", provider_id=provider_id) if provider_id else url_for("staff.admin_home")
        try:
            if changes_hours and provider is not None:
                starts = hours.effective_from
                since = f" from {starts:%A, %B} {starts.day}" if starts else ""
                return review_or_apply(
                    hours, title=f"new hours for {provider.name}{since}", done_url=back,
                    done_message=f"Saved {provider.name}, with the new hours{since}.", back_url=back, along_with=save,
                )  # fmt: skip
            saved = save()
        except catalog_admin.AdminFieldError as refusal:
            form[refusal.field].errors = [refusal.message]
        except DomainError as refusal:
            problem = refusal.message
        else:
            flash(f"Saved {saved.name}: {saved.kind.label}, does {catalog_lists.visit_type_names(saved.performs)}.",
                  "success")  # fmt: skip
            return redirect(url_for("staff.admin_provider", provider_id=saved.id))
    return _provider_page(form, provider, problem, forms.TimeOffForm(formdata=None))


def _npi_refused(form: forms.ProviderForm, provider_id: int | None) -> bool:
    """Whether the NPI typed is another provider's (said beside the field), before anything is
    reviewed or saved; its format was checked with the form."""
    problem = catalog_admin.npi_refusal(form.npi.data or "", provider_id) if "npi" in request.form else None
    if problem:
        form.npi.errors = [problem]
    return problem is not None


def _provider_form(provider: Any, **kwargs: Any) -> forms.ProviderForm:
    """The provider form filled from ``provider`` (None: a new one), and from the post if any."""
    data: dict[str, Any] = {}
    if provider is not None:
        data = {
            "name": provider.name, "specialty": provider.specialty.code, "active": provider.active,
            "kind": provider.kind, "visit_types": [v.code for v in provider.visit_types], "npi": provider.npi or "",
        }  # fmt: skip
        for index, day in enumerate(forms.ProviderForm.DAYS):
            data[day] = describe_day_blocks(
                [(h.starts, h.ends) for h in provider.hours if h.weekday == index and h.effective_from is None]
            )
            kept = [(b.starts, b.ends) for b in provider.urgent_blocks if b.weekday == index]
            data[f"urgent_{day}"] = describe_day_blocks(kept)
        data["urgent_release_hours"] = provider.urgent_release_hours
    form = forms.ProviderForm(data=data, **kwargs)
    form.specialty.choices = _specialty_choices()
    form.kind.choices = [("", "The specialty's physician"), *catalog_lists.provider_kind_choices()]
    form.visit_types.choices = catalog_lists.visit_type_choices()
    return form


def _provider_page(form: forms.ProviderForm, provider: Any, problem: str | None,
                   time_off_form: forms.TimeOffForm) -> tuple[str, int]:  # fmt: skip
    time_off: list[catalog_lists.TimeOffRow] = []
    if provider is not None:
        time_off = catalog_lists.time_off_ending_after(provider.id, utc_now() - timedelta(days=1))
    return render_template(
        "staff/admin_provider.html", form=form, provider=provider, problem=problem, time_off=time_off,
        time_off_form=time_off_form, confirm=forms.ConfirmForm(),
    ), (422 if form.errors or problem or time_off_form.errors else 200)  # fmt: skip


@bp.post("/admin/providers/<int(max=2147483647):provider_id>/time-off")
@staff_required(*MANAGERS)
def admin_time_off_add(provider_id: int) -> Any:
    provider = catalog_lists.provider(provider_id)
    if provider is None:
        abort(404)
    form = forms.TimeOffForm()
    if not form.validate_on_submit():
        # The provider's page again: the time off as typed, with a message on each field to fix.
        flash("Enter the first and last day of the time off (and times, for part of a day).", "error")
        return _provider_page(_provider_form(provider, formdata=None), provider, None, form)
    starts = clinic_instant(form.first_day.data, form.starts.data or time(0))
    last = form.last_day.data
    ends = clinic_instant(last, form.ends.data) if form.ends.data else clinic_instant(last + timedelta(days=1), time(0))
    back = url_for("staff.admin_provider", provider_id=provider_id)
    try:
        return review_or_apply(
            TimeOffChange(provider_id, starts, ends, (form.reason.data or "")[:200]),
            title=f"time off for {provider.name}", done_url=back, done_message="Time off added.", back_url=back,
        )  # fmt: skip
    except DomainError as refusal:
        flash(refusal.message, "error")
    return redirect(back)


@bp.post("/admin/time-off/<int(max=2147483647):time_off_id>/remove")
@staff_required(*MANAGERS)
def admin_time_off_remove(time_off_id: int) -> Response:
    provider_id = catalog_lists.provider_of_time_off(time_off_id)
    if provider_id is None or not forms.ConfirmForm().validate_on_submit():
        abort(404 if provider_id is None else 400)
    catalog_admin.remove_time_off(time_off_id, actor_id=current_user.id)
    flash("Time off removed.", "success")
    return redirect(url_for("staff.admin_provider", provider_id=provider_id))


@bp.route("/admin/closures", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def admin_closures() -> Any:
    form = forms.ClosureForm()
    problem = None
    if form.validate_on_submit():
        change = ClosureChange(form.day.data, form.last_day.data or form.day.data, form.name.data.strip(),
                               form.starts.data, form.ends.data)  # fmt: skip
        back = url_for("staff.admin_closures")
        try:
            return review_or_apply(change, title=f"closure “{change.name}”", done_url=back,
                                   done_message="Closure added.", back_url=back)  # fmt: skip
        except DomainError as refusal:
            problem = refusal.message
    upcoming = catalog_lists.closures_from(clinic_today(utc_now()), limit=60)
    return render_template("staff/admin_closures.html", form=form, problem=problem, closures=upcoming,
                           confirm=forms.ConfirmForm()), (422 if form.errors or problem else 200)  # fmt: skip


@bp.get("/admin/attention")
@staff_required(*MANAGERS)
def admin_attention() -> str:
    """Active visits outside their provider's hours or on a closure, whatever made them so."""
    needing, kept = schedule_changes.needing_attention()
    return render_template("staff/admin_attention.html", needing=needing, kept=kept, when=when)


@bp.post("/admin/closures/<int(max=2147483647):closure_id>/remove")
@staff_required(*MANAGERS)
def admin_closure_remove(closure_id: int) -> Response:
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        catalog_admin.remove_closure(closure_id, actor_id=current_user.id)
    except DomainError:
        abort(404)
    flash("Closure removed.", "success")
    return redirect(url_for("staff.admin_closures"))


@bp.route("/admin/visit-types", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_visit_types() -> Any:
    visit_types = catalog_lists.visit_types()
    editing = request.args.get("code", "")[:40]
    current = next((v for v in visit_types if v.code == editing), None)
    form = forms.VisitTypeForm(obj=current)
    problem = None
    if current is not None and form.validate_on_submit():
        try:
            catalog_admin.save_visit_type(
                current.code,
                minutes=form.minutes.data,
                prep_notes=form.prep_notes.data or "",
                active=form.active.data,
                actor_id=current_user.id,
            )
        except DomainError as refusal:
            problem = refusal.message
        else:
            flash(f"Saved {current.name}.", "success")
            return redirect(url_for("staff.admin_visit_types"))
    rules_form = rules_form_for(current) if current is not None else None
    return render_template("staff/admin_visit_types.html", visit_types=visit_types, current=current, form=form,
                           problem=problem,
                           rules_form=rules_form), (422 if form.errors or problem else 200)  # fmt: skip


@bp.route("/admin/rooms", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_rooms() -> Any:
    form = forms.RoomForm()
    form.kind.choices = options([(k.value, k.value) for k in RoomKind])
    problem = None
    if form.validate_on_submit():
        try:
            catalog_admin.add_room(form.name.data.strip(), form.kind.data, actor_id=current_user.id)
        except DomainError as refusal:
            problem = refusal.message
        else:
            flash("Room added.", "success")
            return redirect(url_for("staff.admin_rooms"))
    rooms = catalog_lists.rooms()
    return render_template("staff/admin_rooms.html", form=form, rooms=rooms, problem=problem,
                           confirm=forms.ConfirmForm()), (422 if form.errors or problem else 200)  # fmt: skip


@bp.post("/admin/rooms/<int(max=2147483647):room_id>/<state>")
@staff_required(ADMIN)
def admin_room_state(room_id: int, state: str) -> Response:
    if state not in ("on", "off"):
        abort(404)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        catalog_admin.set_room_active(room_id, state == "on", actor_id=current_user.id)
    except DomainError:
        abort(404)
    return redirect(url_for("staff.admin_rooms"))


@bp.get("/admin/routing")
@staff_required(ADMIN)
def admin_routing() -> str:
    return render_template("staff/admin_routing.html", rules=catalog_lists.routing_rules(), confirm=forms.ConfirmForm())


@bp.post("/admin/routing/<name>/<change>")
@staff_required(ADMIN)
def admin_routing_change(name: str, change: str) -> Any:
    if change not in ("up", "down", "on", "off"):
        abort(404)
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # Asked only when the change would stop urgent patients being routed as urgent.
    confirmed = request.form.get("confirmed") == "yes"
    try:
        if change in ("up", "down"):
            catalog_admin.move_rule(name[:80], -1 if change == "up" else 1, actor_id=current_user.id,
                                    confirmed=confirmed)  # fmt: skip
        else:
            catalog_admin.set_rule_enabled(name[:80], change == "on", actor_id=current_user.id, confirmed=confirmed)
    except catalog_admin.ConfirmationNeeded as question:
        return render_template(
            "staff/admin_routing_confirm.html", name=name[:80], change=change, consequence=str(question), confirm=form
        )
    except DomainError:
        abort(404)
    return redirect(url_for("staff.admin_routing"))


@bp.route("/admin/staff", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_staff() -> Any:
    form = forms.StaffForm()
    form.role.choices = options(list(ROLE_NAMES.items()))
    problem = None
    if form.validate_on_submit():
        try:
            staff_accounts.create_account(
                form.username.data,
                form.display_name.data,
                form.role.data,
                form.password.data,
                created_by=current_user.id,
            )
        except StaffAccountError as refusal:
            problem = str(refusal)
        else:
            flash("Account created. Give the person their first password in person.", "success")
            return redirect(url_for("staff.admin_staff"))
    accounts = staff_accounts.all_accounts()
    change = forms.StaffChangeForm()
    change.role.choices = options(list(ROLE_NAMES.items()))
    return render_template("staff/admin_staff.html", form=form, accounts=accounts, problem=problem, change=change,
                           role_names=ROLE_NAMES, lockouts=staff_passwords.lockouts(),
                           confirm=forms.ConfirmForm()), (422 if form.errors or problem else 200)  # fmt: skip


@bp.post("/admin/staff/<int(max=2147483647):account_id>")
@staff_required(ADMIN)
def admin_staff_change(account_id: int) -> Response:
    form = forms.StaffChangeForm()
    form.role.choices = options(list(ROLE_NAMES.items()))
    if not form.validate_on_submit():
        abort(400)
    try:
        catalog_admin.set_staff(account_id, role=form.role.data, active=form.active.data, actor_id=current_user.id)
    except DomainError as refusal:
        flash(refusal.message, "error")
    else:
        flash("Account changed; its sessions have ended.", "success")
    return redirect(url_for("staff.admin_staff"))
