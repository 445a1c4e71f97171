"""The request page (``/requests/<reference>/<token>``): a request's state as its patient sees it,
where a waiting request's preferred days and times can be changed or the request withdrawn. The
link in the request's emails carries a signed token, never the patient's details; a bad or
expired link shows the same page as a bad manage link."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask import render_template
from flask import session
from flask import url_for

from scheduler.domain.errors import DomainError
from scheduler.domain.errors import NotFound
from scheduler.extensions import limiter
from scheduler.services import patient_requests
from scheduler.services.references import manage_token
from scheduler.settings import settings
from scheduler.web.public import bp
from scheduler.web.public import forms
from scheduler.web.public.present import when

NOTICE_KEY = "request_notice"
DAY_NAMES = dict(forms.WEEKDAYS)
PART_NAMES = {"morning": "mornings", "afternoon": "afternoons"}


def _write_limit() -> str:
    return settings().ratelimit_public_write


def _page(reference: str, token: str) -> patient_requests.RequestPage | None:
    try:
        return patient_requests.request_for_token(reference[:40], token[:400])
    except NotFound:
        return None


def _bad_link() -> tuple[str, int]:
    return render_template("public/bad_link.html"), 404


def preferred(preferences: dict[str, Any] | None) -> str:
    """ "Tuesday, Thursday; mornings" from a request's stored preferences ("" when none)."""
    preferences = preferences or {}
    days = ", ".join(DAY_NAMES.get(d, str(d)) for d in preferences.get("days") or [])
    parts = " and ".join(PART_NAMES.get(p, str(p)) for p in preferences.get("parts_of_day") or [])
    return "; ".join(part for part in (days, parts) if part)


@bp.get("/requests/<reference>/<token>")
def request_page(reference: str, token: str) -> Any:
    page = _page(reference, token)
    if page is None:
        return _bad_link()
    visit = page.visit
    visit_url = None
    if visit is not None:
        visit_url = url_for(
            "public.manage", reference=visit.reference, token=manage_token(visit.reference, visit.manage_nonce)
        )
    return render_template(
        "public/request.html",
        page=page,
        visit_request=page.request,
        preferred=preferred(page.request.preferences),
        visit_url=visit_url,
        notice=session.pop(NOTICE_KEY, None),
        when=when,
        token=token,
    )


@bp.route("/requests/<reference>/<token>/change", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def request_change(reference: str, token: str) -> Any:
    page = _page(reference, token)
    if page is None:
        return _bad_link()
    if not page.waiting:
        return redirect(url_for("public.request_page", reference=reference, token=token))
    form = forms.PreferencesForm(data=page.request.preferences or {})
    problem = None
    if form.validate_on_submit():
        chosen = {"days": form.days.data, "parts_of_day": form.parts_of_day.data, "notes": form.notes.data or ""}
        try:
            patient_requests.change_preferences(page.request.reference, token, chosen)
        except DomainError as refusal:
            problem = refusal.message
        else:
            session[NOTICE_KEY] = "Your preferred days and times are changed. A scheduler will see them when they call."
            return redirect(url_for("public.request_page", reference=reference, token=token))
    status = 422 if form.errors or problem else 200
    return render_template(
        "public/request_change.html", form=form, visit_request=page.request, token=token, problem=problem
    ), status


@bp.route("/requests/<reference>/<token>/withdraw", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def request_withdraw(reference: str, token: str) -> Any:
    page = _page(reference, token)
    if page is None:
        return _bad_link()
    if not page.waiting:
        return redirect(url_for("public.request_page", reference=reference, token=token))
    form = forms.CheckForm()
    problem = None
    if form.validate_on_submit():
        try:
            patient_requests.withdraw_request(page.request.reference, token)
        except DomainError as refusal:
            problem = refusal.message
        else:
            session[NOTICE_KEY] = "Your request is withdrawn. We will not call you about it."
            return redirect(url_for("public.request_page", reference=reference, token=token))
    return render_template(
        "public/request_withdraw.html", form=form, visit_request=page.request, token=token, problem=problem
    ), (422 if problem else 200)
