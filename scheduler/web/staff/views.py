"""The staff home page and the outbox (messages by status; an admin may send a dead one again)."""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug import Response

from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import SCHEDULER
from scheduler.services import outbox_admin
from scheduler.web.auth import roles_of
from scheduler.web.auth import safe_next
from scheduler.web.auth import staff_required
from scheduler.web.staff import bp
from scheduler.web.staff.forms import MessageFilterForm


@bp.get("/")
@staff_required(*ROLES)
def home() -> str:
    return render_template("staff/home.html")


@bp.get("/messages")
@staff_required(ADMIN, SCHEDULER)
def messages() -> tuple[str, int]:
    form = MessageFilterForm(request.args)
    form.validate()
    where = outbox_admin.MessageFilter(
        status=form.value("status"), kind=form.value("kind"), channel=form.value("channel")
    )
    found = outbox_admin.page(where, number=form.page.data or 1)
    filters = {name: value for name in ("status", "kind", "channel") if (value := form.value(name))}
    return render_template(
        "staff/messages.html",
        form=form,
        found=found,
        counts=outbox_admin.counts(),
        filters=filters,
        other_filters={name: value for name, value in filters.items() if name != "status"},
        can_retry=current_user.role in (roles_of("staff.retry_message") or ()),
        here=request.full_path.rstrip("?"),
    ), (422 if form.errors else 200)


@bp.post("/messages/<int(max=2147483647):message_id>/retry")
@staff_required(ADMIN)
def retry_message(message_id: int) -> Response:
    # Back to the list as it was filtered (checked: only ever one of our staff pages).
    back_to = safe_next(request.form.get("return_to")) or url_for("staff.messages")
    problem = outbox_admin.retry_dead(message_id, staff_id=current_user.id)
    if problem == "missing":
        abort(404)
    if problem == "not_dead":
        flash(f"Message {message_id} is not dead any more (someone may have sent it again already).", "info")
    else:
        flash(f"Message {message_id} is back in the queue and will be sent within a minute.", "success")
    return redirect(back_to, 303)
