"""The mail folder: with no SMTP server set, email is written to MAIL_FOLDER instead of being
sent; administrators list it (newest first) and read a message's text here."""

from __future__ import annotations

from pathlib import Path

from flask import abort
from flask import current_app
from flask import render_template
from flask_login import current_user

from scheduler.domain.staff import ADMIN
from scheduler.services import mail_folder
from scheduler.settings import settings
from scheduler.web.auth import staff_required
from scheduler.web.staff import bp

LISTED = 200


def _folder() -> Path:
    # The same place the worker's FolderMailer writes to (relative to the instance folder).
    return Path(current_app.instance_path) / settings().mail_folder


@bp.get("/mail")
@staff_required(ADMIN)
def mail() -> str:
    files, total = mail_folder.newest(_folder(), LISTED)
    return render_template(
        "staff/mail.html", files=files, total=total, smtp_host=settings().mail_smtp_host, listed=LISTED
    )


# <path:...> on purpose: names with "/" or ".." reach mail_folder.find, which refuses them, so
# the guard itself is tested rather than only the router.
@bp.get("/mail/<path:name>")
@staff_required(ADMIN)
def mail_message(name: str) -> str:
    copy = mail_folder.open_copy(_folder(), name, staff_id=current_user.id)
    if copy is None:
        abort(404)
    return render_template("staff/mail_message.html", copy=copy)
