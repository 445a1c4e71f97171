"""Staff sign-in and sign-out, the role check every staff page declares, and session expiry.

- Every URL under :data:`STAFF_URL_PREFIXES` is a staff page. Each one declares who may open it
  with :func:`staff_required`; a page that declares nothing is refused to everyone (and a test
  walking the URL map fails), so a new route cannot be left open by forgetting the decorator.
- Sign-in starts a brand-new session (no fixation); the session ends after STAFF_IDLE_MINUTES
  without a request, STAFF_SESSION_MAX_HOURS after signing in, or when the account's
  ``session_version`` moves on (every sign-out moves it, so a copied cookie dies with it).
- Brute force: a per-address rate limit on the form, plus a wait after five wrong passwords in a
  row for one account from one address, never more than 15 minutes (see scheduler.domain.staff).
  A stranger's guesses therefore never keep the account's owner out. Every failed sign-in gets the
  same answer (text, status and about the same time), so the form does not tell which usernames
  exist or which accounts are being waited on.
- A person signed in with a temporary password (an administrator reset it) may open nothing but
  the change-password page (and sign out) until they have chosen their own.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from werkzeug import Response
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from scheduler.domain.staff import MAX_PASSWORD_LENGTH
from scheduler.domain.staff import ROLE_NAMES
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffRole
from scheduler.extensions import limiter
from scheduler.extensions import login
from scheduler.services import staff as accounts
from scheduler.settings import settings
from scheduler.web.forms import Form

bp = Blueprint("auth", __name__, url_prefix="/staff")

# Every page under these prefixes is a staff page: it must declare its roles (or be open below).
STAFF_URL_PREFIXES = ("/staff",)
# The only staff pages a person who is not signed in may open.
OPEN_ENDPOINTS = frozenset({"auth.login"})
# Where a person signed in with a temporary password is sent, and all else they may do meanwhile.
CHANGE_PASSWORD = "staff.change_password"
WHILE_PASSWORD_TEMPORARY = frozenset({CHANGE_PASSWORD, "auth.logout"})
CHOOSE_PASSWORD = "Choose your own password before you carry on: the one you signed in with was temporary."

# The one answer to every failed sign-in. It covers the wait as well, without saying whether
# there is one: telling would say that the username exists.
WRONG = (
    "Username or password is wrong. After several wrong tries, sign-in from this computer pauses"
    " for up to 15 minutes: check both, wait a little if you have tried several times, or ask an administrator."
)
IDLE = "You were signed out because nothing happened for {minutes} minutes. Sign in again to carry on."
TOO_OLD = "You were signed out because you signed in more than {hours} hours ago. Sign in again to carry on."

# Session keys. The timestamps are whole seconds since the epoch (the cookie is signed, so
# they cannot be moved by the browser).
SESSION_ID = "staff_sid"
SESSION_SINCE = "staff_since"
SESSION_SEEN = "staff_seen"

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True, eq=False)
class StaffUser(UserMixin):
    """The signed-in person for this request (a plain value, not a database row)."""

    id: int
    username: str
    display_name: str
    role: str
    session_version: int
    must_change_password: bool = False

    @classmethod
    def of(cls, account: accounts.Account) -> StaffUser:
        return cls(
            account.id,
            account.username,
            account.display_name,
            account.role,
            account.session_version,
            account.must_change_password,
        )

    def get_id(self) -> str:
        # The version travels in the session: bumping it in the database ends every session.
        return f"{self.id}.{self.session_version}"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(StaffRole(self.role), str(self.role))


def _load_user(user_id: str) -> StaffUser | None:
    account_id, _, version = user_id.partition(".")
    if not (account_id.isdigit() and version.isdigit() and len(account_id) < 10 and len(version) < 10):
        return None
    account = accounts.load(int(account_id))
    if account is None or not account.active or account.session_version != int(version):
        return None
    return StaffUser.of(account)


def staff_required(*roles: str) -> Callable[[View], View]:
    """Allow the view to signed-in staff with one of ``roles`` only (checked on every request).

    The allowed roles are recorded on the view as ``staff_roles``, so navigation and tests can
    read them from the view itself.
    """
    allowed = frozenset(roles)
    if not allowed or not allowed <= set(ROLES):
        raise ValueError(f"staff_required needs roles from {ROLES}, got {roles!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        guarded.staff_roles = allowed  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def roles_of(endpoint: str) -> frozenset[str] | None:
    """The roles a view declared with :func:`staff_required`, or None when it declared none."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "staff_roles", None)


def is_staff_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_URL_PREFIXES)


def register(app: Flask) -> None:
    login.login_view = "auth.login"
    login.user_loader(_load_user)
    login.unauthorized_handler(_sign_in_first)
    app.register_blueprint(bp)
    app.before_request(_guard_staff_pages)


def _guard_staff_pages() -> Response | None:
    """Before any staff page: refuse pages that declare no roles, and end expired sessions."""
    if not is_staff_path(request.path) or request.endpoint is None or request.endpoint in OPEN_ENDPOINTS:
        return None
    if roles_of(request.endpoint) is None:
        abort(403)  # a staff page nobody said who may open: closed, not open
    if not current_user.is_authenticated:
        return None  # the view's own check sends the person to sign in
    now = int(time.time())
    config = settings()
    idle_limit = config.staff_idle_minutes * 60
    age_limit = config.staff_session_max_hours * 3600
    seen, since = session.get(SESSION_SEEN), session.get(SESSION_SINCE)
    if not isinstance(seen, int) or not isinstance(since, int) or now - since > age_limit:
        return _end_session("too old", TOO_OLD.format(hours=config.staff_session_max_hours))
    if now - seen > idle_limit:
        return _end_session("idle", IDLE.format(minutes=config.staff_idle_minutes))
    session[SESSION_SEEN] = now
    if current_user.must_change_password and request.endpoint not in WHILE_PASSWORD_TEMPORARY:
        flash(CHOOSE_PASSWORD, "info")
        return redirect(url_for(CHANGE_PASSWORD), 303)
    return None


def _end_session(reason: str, message: str) -> Response:
    accounts.session_expired(current_user.id, reason)
    logout_user()
    session.clear()
    flash(message, "info")
    return _to_sign_in()


def _sign_in_first() -> Response:
    flash("Sign in to open that page.", "info")
    return _to_sign_in()


def _to_sign_in() -> Response:
    # Only a page can be returned to after signing in; a form post (GET after the redirect) cannot.
    back_to = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=back_to))


class LoginForm(Form):
    username = StringField("Username", validators=[InputRequired("Enter your username"), Length(max=80)])
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=MAX_PASSWORD_LENGTH)]
    )


def safe_next(target: str | None) -> str | None:
    """A place on our own staff pages to go after signing in; anything else is dropped, so the
    sign-in page cannot be used to send someone to another site."""
    if not target or len(target) > 1000 or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not is_staff_path(parts.path):
        return None
    return target


def _login_limit() -> str:
    return settings().ratelimit_staff_login


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@limiter.limit(_login_limit, methods=["POST"])
def login_page() -> Response | tuple[str, int]:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("staff.home"))
    form = LoginForm()
    problem, status = None, 200
    if form.validate_on_submit():
        # request.remote_addr: the peer, or the client a trusted proxy named where the app is
        # configured to believe one (the same address the form's rate limit counts).
        outcome = accounts.authenticate(form.username.data or "", form.password.data or "", request.remote_addr)
        if outcome.account is not None:
            _start_session(outcome.account)
            if outcome.account.must_change_password:
                flash(CHOOSE_PASSWORD, "info")
                return redirect(url_for(CHANGE_PASSWORD))
            return redirect(next_url or url_for("staff.home"))
        problem, status = WRONG, 422
    elif form.is_submitted():
        status = 422
    return render_template("staff/login.html", form=form, problem=problem, next_url=next_url), status


def renew_session(account: accounts.Account) -> None:
    """After this person's password changed (which ended all their sessions): a new session for
    this browser only, with the account's new version."""
    _start_session(account)


def _start_session(account: accounts.Account) -> None:
    # Nothing from before sign-in survives (no fixation): a fresh session with its own id.
    session.clear()
    login_user(StaffUser.of(account))
    session.permanent = True
    now = int(time.time())
    session[SESSION_ID] = secrets.token_urlsafe(18)
    session[SESSION_SINCE] = now
    session[SESSION_SEEN] = now


@bp.post("/logout")
@staff_required(*ROLES)
def logout() -> Response:
    accounts.sign_out(current_user.id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
