"""Error pages under /staff: in the staff layout (never the patients', with their helpline), in
words a member of staff can act on, and with the next step: their home page (which lists only
what their role may open), signing in, or asking an administrator.

Called from ``scheduler.web.errors`` inside an error handler, so it must not raise: anything that
fails here answers a bare page with the same heading and message instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from markupsafe import escape

from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffRole
from scheduler.web import auth

log = logging.getLogger(__name__)

HEADINGS = {
    400: "We could not accept that",
    403: "You cannot open this page",
    404: "There is no staff page here",
    405: "This page cannot be used that way",
    413: "That was too much to send",
    429: "Too many tries",
    500: "Something went wrong on our side",
}
# What a server would say without us (werkzeug's descriptions) is never shown: these are.
MESSAGES = {
    400: "What was sent could not be read. Go back, reload the page and try again.",
    404: "Nothing was found at this address: the link may be old or mistyped, or what it names (a visit,"
    " a provider, a message) may no longer exist.",
    405: "A form was sent to an address that only shows a page, or the other way round. Go back and use"
    " the page's own links and buttons.",
    413: "That was more than a page accepts at once. Go back and send less.",
    429: "Too many requests in a short time. Wait a minute, then try again.",
    500: "Nothing you did caused it, and nothing was saved. Try again in a moment; if it keeps happening,"
    " tell an administrator the time it happened and what you were doing.",
}
# The people a page is for, as a sentence names them.
ROLE_PLURALS = {StaffRole.ADMIN: "administrators", StaffRole.SCHEDULER: "schedulers", StaffRole.PHONE: "phone staff"}


@dataclass(frozen=True)
class Step:
    """One next step: ``link`` (to ``url``) followed by ``text``; either may be empty."""

    text: str
    link: str = ""
    url: str = ""


def page(status: int, message: str | None) -> str:
    """The staff error page for ``status``; ``message``: ours to show (a domain refusal, the CSRF
    explanation), or None where only the server's default would have been."""
    heading = HEADINGS.get(status, "We could not do that")
    message = message or MESSAGES.get(status, MESSAGES[400])
    try:
        steps: list[Step] = []
        if status == 403:
            message, steps = _forbidden()
        else:
            steps = _ways_on()
        return render_template("staff/error.html", heading=heading, message=message, steps=steps)
    except Exception as failure:  # noqa: BLE001 - an error page that fails would turn a 4xx into a 500
        log.error("staff error page failed: %s", type(failure).__name__)
        return f"<!doctype html><title>{escape(heading)}</title><h1>{escape(heading)}</h1><p>{escape(message)}</p>"


def _forbidden() -> tuple[str, list[Step]]:
    if not current_user.is_authenticated:
        return "This page is not open to anyone yet.", _ways_on()
    roles = auth.roles_of(request.endpoint) if request.endpoint else None
    if roles:
        who = _join([ROLE_PLURALS[role] for role in ROLES if role in roles])
        message = f"This page is for {who}. Your role ({current_user.role_name}) cannot open it."
    else:
        message = "This page is not open to any role yet."
    return message, [
        *_ways_on(),
        Step("If your work needs this page, ask an administrator to give your account a role that may open it."),
    ]


def _ways_on() -> list[Step]:
    if current_user.is_authenticated:
        return [Step(": it lists every staff page your role can open.", "Go to your home page", url_for("staff.home"))]
    return [Step(" with your staff account, then try again.", "Sign in", url_for("auth.login"))]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
