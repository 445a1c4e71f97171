"""The waitlist, as its patients see it.

- ``/manage/<reference>/<token>/earlier``: "I'd take an earlier time": join the waitlist for the
  visit's type, keeping the visit until an earlier time is claimed (it is then moved, not doubled).
- ``/waitlist/<reference>/<token>``: the patient's entry (the link in every waitlist email): what
  they wait for, the offers made, renew or leave.
- ``/o/<token>``: the short claim link of an offer (it fits in a text). Opening it only shows the
  time; the time is taken with the button, so a mail scanner that follows links claims nothing.

A bad link shows the same page as a bad manage link; the services decide everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import redirect
from flask import render_template
from flask import session
from flask import url_for

from scheduler.domain.catalog import with_kind
from scheduler.domain.clock import utc_now
from scheduler.domain.errors import DomainError
from scheduler.domain.errors import InvalidInput
from scheduler.domain.errors import NotFound
from scheduler.domain.messages import MessageKind
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.extensions import limiter
from scheduler.services import booking
from scheduler.services import clinic
from scheduler.services import outbox
from scheduler.services import waitlist
from scheduler.services import waitlist_claims
from scheduler.services.availability import next_free_slot
from scheduler.settings import settings
from scheduler.web.public import bp
from scheduler.web.public import forms
from scheduler.web.public.present import notice_sentence
from scheduler.web.public.present import when
from scheduler.web.public.request_page import preferred

NOTICE_KEY = "waitlist_notice"
ANY_TIME = "Any day and time the clinic is open"
WEEKDAY_NUMBERS = {name: number for number, (name, _label) in enumerate(forms.WEEKDAYS)}


def _write_limit() -> str:
    return settings().ratelimit_public_write


def _bad_link() -> tuple[str, int]:
    return render_template("public/bad_link.html"), 404


def _who(provider_id: int) -> str:
    offer = clinic.current_catalog(utc_now())
    return with_kind(offer.provider_names.get(provider_id, ""), offer.provider_kinds.get(provider_id, ""))


def _visit_name(code: str) -> str:
    offer = clinic.current_catalog(utc_now())
    found = offer.visit_types.get(code)
    return found.name if found else code


# ----- "I'd take an earlier time" ------------------------------------------------------------------


@bp.route("/manage/<reference>/<token>/earlier", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def earlier(reference: str, token: str) -> Any:
    try:
        appointment = booking.appointment_for_token(reference[:40], token[:400])
    except NotFound:
        return _bad_link()
    manage = url_for("public.manage", reference=appointment.reference, token=token)
    if appointment.status != "booked" or appointment.starts_at <= utc_now():
        return redirect(manage)
    form = forms.EarlierForm()
    problem = None
    if form.validate_on_submit():
        windows = waitlist.windows_from(
            weekdays=[WEEKDAY_NUMBERS[d] for d in form.days.data or []],
            parts_of_day=form.parts_of_day.data or [],
        )
        try:
            joined = waitlist.join(
                visit_type_code=appointment.visit_type.code,
                patient=None,
                windows=windows,
                replaces=(appointment.reference, token),
                channel="web",
            )
        except InvalidInput as refusal:
            problem = " ".join(refusal.fields.values())
        else:
            session[NOTICE_KEY] = (
                "You are on the waitlist. Your visit stays booked: when an earlier time that suits you opens, "
                "we will send you a link to take it, and your visit moves to it."
            )
            return redirect(
                url_for("public.waitlist_entry", reference=joined.view.reference, token=joined.manage_token)
            )
    status = 422 if form.errors or problem else 200
    # A time already free is never offered by the waitlist (it offers times as they free up):
    # say so here, so nobody waits for what they could take now.
    free = next_free_slot(appointment.visit_type.code, utc_now(), specialty_code=appointment.provider.specialty.code)
    earlier_free = free.start if free is not None and free.start < appointment.starts_at else None
    return render_template(
        "public/earlier.html",
        form=form,
        appointment=appointment,
        token=token,
        when=when,
        problem=problem,
        earlier_free=earlier_free,
    ), status


# ----- the patient's entry -------------------------------------------------------------------------


def _entry(reference: str, token: str) -> waitlist.WaitlistView | None:
    try:
        return waitlist.view(reference[:40], token[:400])
    except NotFound:
        return None


@bp.get("/waitlist/<reference>/<token>")
def waitlist_entry(reference: str, token: str) -> Any:
    entry = _entry(reference, token)
    if entry is None:
        return _bad_link()
    days = {"days": [forms.WEEKDAYS[d][0] for d in sorted(entry.windows.weekdays)],
            "parts_of_day": sorted(p.value for p in entry.windows.parts_of_day)}  # fmt: skip
    return render_template(
        "public/waitlist.html",
        entry=entry,
        token=token,
        visit_name=_visit_name(entry.visit_type_code),
        suits=preferred(days) or ANY_TIME,
        offers=[(offer, _who(offer.provider_id)) for offer in entry.offers],
        who=", ".join(_who(p) for p in entry.provider_ids) or "Anyone who does this visit",
        notice=session.pop(NOTICE_KEY, None),
        waiting=entry.status == EntryStatus.WAITING,
        when=when,
    )


@bp.post("/waitlist/<reference>/<token>/renew")
@limiter.limit(_write_limit)
def renew_waitlist(reference: str, token: str) -> Any:
    if not forms.CheckForm().validate_on_submit():
        return redirect(url_for("public.waitlist_entry", reference=reference, token=token))
    try:
        renewed = waitlist.renew(reference[:40], token[:400])
    except NotFound:
        return _bad_link()
    except InvalidInput as refusal:
        session[NOTICE_KEY] = " ".join(refusal.fields.values())
    else:
        session[NOTICE_KEY] = f"You stay on the waitlist until {when(renewed.expires_at)}."
    return redirect(url_for("public.waitlist_entry", reference=reference, token=token))


@bp.route("/waitlist/<reference>/<token>/leave", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def leave_waitlist(reference: str, token: str) -> Any:
    entry = _entry(reference, token)
    if entry is None:
        return _bad_link()
    form = forms.CheckForm()
    if form.validate_on_submit():
        waitlist.leave(reference[:40], token[:400])
        session[NOTICE_KEY] = "You have left the waitlist. We will not send you offers for it."
        return redirect(url_for("public.waitlist_entry", reference=reference, token=token))
    return render_template("public/waitlist_leave.html", form=form, entry=entry, token=token)


# ----- the claim link ------------------------------------------------------------------------------


def _claim_page(token: str, on_link: waitlist_claims.OfferOnLink, problem: str | None = None) -> str:
    live = (
        on_link.status == OfferStatus.OPEN
        and on_link.outcome == RecipientOutcome.OFFERED
        and on_link.expires_at > utc_now()
    )
    return render_template(
        "public/claim.html",
        on_link=on_link,
        live=live and problem is None,
        yours=on_link.outcome == RecipientOutcome.CLAIMED,
        taken=on_link.outcome == RecipientOutcome.TAKEN or on_link.status == OfferStatus.CLAIMED,
        visit_name=_visit_name(on_link.visit_type_code),
        who=_who(on_link.provider_id),
        form=forms.CheckForm(),
        problem=problem,
        when=when,
        token=token,
    )


@bp.route("/o/<token>", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def claim_offer(token: str) -> Any:
    try:
        on_link = waitlist_claims.offer_for_token(token[:40])
    except NotFound:
        return _bad_link()
    if not forms.CheckForm().validate_on_submit():
        return _claim_page(token, on_link)
    try:
        claimed = waitlist_claims.claim(token[:40], channel="web")
    except (waitlist_claims.OfferTaken, waitlist_claims.OfferExpired) as refusal:
        status = 409 if isinstance(refusal, waitlist_claims.OfferTaken) else 410
        return _claim_page(token, waitlist_claims.offer_for_token(token[:40]), refusal.message), status
    except DomainError as refusal:
        return _claim_page(token, on_link, refusal.message), 409
    visit = claimed.appointment
    kind = MessageKind.RESCHEDULED if claimed.moved else MessageKind.CONFIRMED
    promised = outbox.promised(kind, appointment_id=visit.id, version=visit.version)
    what = f"This time is yours: {when(visit.starts_at)}." + (" Your visit has moved to it." if claimed.moved else "")
    session["manage_notice"] = notice_sentence(promised, what, "the details")
    return redirect(url_for("public.manage", reference=visit.reference, token=claimed.manage_token))


def expires_in_words(expires_at: datetime) -> str:
    """ "12 minutes" left on an offer (at least 1)."""
    minutes = max(1, int((expires_at - utc_now()).total_seconds() // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.app_template_filter("expires_in")
def _expires_in(expires_at: datetime) -> str:
    return expires_in_words(expires_at)
