"""The calendars: a specialty's day with its providers side by side, a provider's week (with a
date picker and a switch to another provider of the specialty), and the rooms' day. Every picker
is a GET form that works without JavaScript (calendar_forms)."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from scheduler.domain.clock import clinic_today
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.offer import Catalog
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import PHONE
from scheduler.domain.staff import SCHEDULER
from scheduler.services import calendar
from scheduler.services import clinic
from scheduler.web.auth import staff_required
from scheduler.web.staff import bp
from scheduler.web.staff.calendar_forms import DayPicker
from scheduler.web.staff.calendar_forms import WeekPicker
from scheduler.web.staff.waitlist import grid_fits

EVERYONE = (ADMIN, SCHEDULER, PHONE)


def _status(ok: bool) -> int:
    return 200 if ok else 422


def _picked_day() -> tuple[DayPicker, date]:
    """The day picker as sent, and the day to show: the one picked, else today (Central)."""
    picker = DayPicker(request.args)
    ok = picker.validate()
    return picker, (picker.day.data if ok and picker.day.data else clinic_today(utc_now()))


def _specialty(offer: Catalog) -> str:
    code = request.args.get("specialty", "")[:40]
    return code if code in offer.specialties else next(iter(offer.specialties))


@bp.get("/calendar")
@staff_required(*EVERYONE)
def calendar_day() -> tuple[str, int]:
    picker, day = _picked_day()
    code = _specialty(clinic.current_catalog(utc_now()))
    grid, offer = calendar.specialty_day(code, day)
    return render_template(
        "staff/calendar.html",
        grid=grid,
        fits=grid_fits(grid, [int(col.key) for col in grid.columns]),
        offer=offer,
        specialty=offer.specialties[code],
        day=day,
        view="day",
        form=picker,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    ), _status(not picker.errors)


@bp.get("/calendar/provider/<int(max=2147483647):provider_id>")
@staff_required(*EVERYONE)
def calendar_week(provider_id: int) -> Any:
    offer = clinic.current_catalog(utc_now())
    provider = offer.providers.get(provider_id)
    if provider is None:
        abort(404)
    peers = sorted(offer.providers_of(provider.specialty), key=lambda p: p.name)
    picker = WeekPicker(request.args, provider=str(provider_id))
    picker.provider.choices = [(str(p.id), p.name) for p in peers]
    ok = picker.validate()
    day = picker.week.data if ok and picker.week.data else clinic_today(utc_now())
    monday = day - timedelta(days=day.weekday())
    if ok and picker.provider.data != str(provider_id):
        # Another provider picked: their page, at its own address (bookmarkable, one per week).
        chosen = int(picker.provider.data)
        return redirect(url_for("staff.calendar_week", provider_id=chosen, week=monday.isoformat()), 303)
    try:
        grid, offer = calendar.provider_week(provider_id, monday)
    except NotFound:
        abort(404)
    return render_template(
        "staff/calendar.html",
        grid=grid,
        fits=grid_fits(grid, [provider_id] * len(grid.columns)),
        offer=offer,
        specialty=offer.specialties[provider.specialty],
        provider=provider,
        day=monday,
        view="week",
        form=picker,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
    ), _status(ok)


@bp.get("/calendar/rooms")
@staff_required(*EVERYONE)
def calendar_rooms() -> tuple[str, int]:
    picker, day = _picked_day()
    grid, offer = calendar.rooms_day(day)
    return render_template(
        "staff/calendar.html",
        grid=grid,
        fits={},  # the waitlist waits for providers' times, not rooms'
        offer=offer,
        day=day,
        view="rooms",
        form=picker,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    ), _status(not picker.errors)
