"""Admin pages for other software's credentials: API clients of the FHIR API and staff calendar
feeds. Each token is shown once, in the answer to the post that made it (never in an address, never
logged: only its hash is stored); revoking asks first. Admins only; audited with the admin as actor.
The lists say when each token was last used, to the minute ("Never" before its first use)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from werkzeug import Response
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import widgets
from wtforms.validators import InputRequired
from wtforms.validators import Length

from scheduler.domain.errors import DomainError
from scheduler.domain.staff import ADMIN
from scheduler.services import catalog_lists
from scheduler.services import integrations
from scheduler.services import staff as staff_accounts
from scheduler.services.public_urls import public_url
from scheduler.web.auth import staff_required
from scheduler.web.forms import Form
from scheduler.web.public.forms import options
from scheduler.web.staff import admin_forms as forms
from scheduler.web.staff import bp

SCOPE_NAMES = {"read": "Read (search free times, read visits)", "book": "Book (and read)"}


class ApiClientForm(Form):
    name = StringField(
        "Name (the system that will use it)", validators=[InputRequired("Enter a name"), Length(max=120)]
    )
    scopes = SelectMultipleField(
        "What it may do",
        choices=options(SCOPE_NAMES.items()),
        validators=[InputRequired("Choose what the client may do")],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


class FeedForm(Form):
    staff = SelectField(
        "For (the staff member who will subscribe)", choices=[], validators=[InputRequired("Choose a staff member")]
    )
    target = SelectField("Shows", choices=[], validators=[InputRequired("Choose a provider or a specialty")])


def _feed_form() -> FeedForm:
    form = FeedForm()
    form.staff.choices = options(
        [(str(a.id), f"{a.display_name} ({a.username})") for a in staff_accounts.all_accounts() if a.active]
    )
    form.target.choices = options(
        [(f"provider-{p.id}", f"{p.name}: their visits") for p in catalog_lists.providers()]
        + [
            (f"specialty-{code}", f"{name}: every visit of the specialty")
            for code, name in catalog_lists.specialty_choices()
        ]
    )
    return form


def _no_store(page: str, status: int = 200) -> Response:
    """A page carrying a secret: never cached (as every staff answer, said again here)."""
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- API clients ---------------------------------------------------------------------------------


@bp.route("/admin/api-clients", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_api_clients() -> Any:
    form = ApiClientForm()
    problem = None
    if form.validate_on_submit():
        try:
            made = integrations.create_api_client(form.name.data, form.scopes.data, created_by=current_user.id)
        except DomainError as refusal:
            problem = refusal.message
        else:
            # The token is in this answer only: not in an address, a flash message or a log.
            return _no_store(
                render_template("staff/admin_token.html", kind="api", client=made.client, token=made.token)
            )
    page = render_template(
        "staff/admin_api_clients.html", form=form, problem=problem, clients=integrations.api_clients(),
        scope_names=SCOPE_NAMES,
    )  # fmt: skip
    return page, (422 if form.errors or problem else 200)


@bp.route("/admin/api-clients/<int(max=2147483647):client_id>/revoke", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_api_client_revoke(client_id: int) -> Any:
    client = next((c for c in integrations.api_clients() if c.id == client_id), None)
    if client is None:
        abort(404)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        integrations.revoke_api_client(client_id, revoked_by=current_user.id)
        flash(f"API client “{client.name}” revoked: its token no longer works.", "success")
        return redirect(url_for("staff.admin_api_clients"))
    return render_template("staff/admin_revoke.html", kind="api", client=client, form=form)


# ----- calendar feeds ------------------------------------------------------------------------------


@bp.route("/admin/calendar-feeds", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_calendar_feeds() -> Any:
    form = _feed_form()
    problem = None
    if form.validate_on_submit():
        kind, _, value = form.target.data.partition("-")
        try:
            made = integrations.create_feed(
                int(form.staff.data),
                provider_id=int(value) if kind == "provider" else None,
                specialty_code=value if kind == "specialty" else None,
                created_by=current_user.id,
            )
        except DomainError as refusal:
            problem = refusal.message
        else:
            url = public_url(f"/feeds/{made.token}.ics")
            return _no_store(
                render_template("staff/admin_token.html", kind="feed", feed=made.feed, token=url,
                                target=integrations.feed_target_name(made.feed), owner=_owner(made.feed.staff_id))
            )  # fmt: skip
    feeds = integrations.feeds()
    page = render_template(
        "staff/admin_calendar_feeds.html", form=form, problem=problem, feeds=feeds,
        targets={f.id: integrations.feed_target_name(f) for f in feeds}, owners=_owners(),
    )  # fmt: skip
    return page, (422 if form.errors or problem else 200)


def _owners() -> dict[int, str]:
    return {a.id: f"{a.display_name} ({a.username})" for a in staff_accounts.all_accounts()}


def _owner(staff_id: int) -> str:
    return _owners().get(staff_id, "?")


@bp.route("/admin/calendar-feeds/<int(max=2147483647):feed_id>/revoke", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_calendar_feed_revoke(feed_id: int) -> Any:
    feed = next((f for f in integrations.feeds() if f.id == feed_id), None)
    if feed is None:
        abort(404)
    form = forms.ConfirmForm()
    target = integrations.feed_target_name(feed)
    if form.validate_on_submit():
        integrations.revoke_feed(feed_id, revoked_by=current_user.id)
        flash(f"Calendar feed {feed.id} ({target}) revoked: its address no longer works.", "success")
        return redirect(url_for("staff.admin_calendar_feeds"))
    return render_template(
        "staff/admin_revoke.html", kind="feed", feed=feed, target=target, owner=_owner(feed.staff_id), form=form
    )
