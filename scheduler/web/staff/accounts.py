"""Passwords and sign-in pauses: each person changes their own password; an administrator resets
someone else's (a temporary one, shown once) and lifts an account's sign-in pauses.

The services do the work and the auditing (``services.staff_passwords``); here are the forms,
the pages, and starting this browser's new session after its own password changed.
"""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug import Response
from wtforms import PasswordField
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length

from scheduler.domain.errors import NotFound
from scheduler.domain.staff import ADMIN
from scheduler.domain.staff import MAX_PASSWORD_LENGTH
from scheduler.domain.staff import MIN_PASSWORD_LENGTH
from scheduler.domain.staff import ROLES
from scheduler.domain.staff import StaffAccountError
from scheduler.services import staff as staff_accounts
from scheduler.services import staff_passwords
from scheduler.web import auth
from scheduler.web.auth import staff_required
from scheduler.web.forms import Form
from scheduler.web.staff import bp

TOO_LONG = f"Use {MAX_PASSWORD_LENGTH} characters or fewer"


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password"), Length(max=MAX_PASSWORD_LENGTH, message=TOO_LONG)],
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password"), Length(max=MAX_PASSWORD_LENGTH, message=TOO_LONG)],
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("new_password", message="The two new passwords are different: type the same one twice."),
        ],
    )


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


@bp.route("/password", methods=["GET", "POST"])
@staff_required(*ROLES)
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            account = staff_passwords.change_password(
                current_user.id, form.current_password.data or "", form.new_password.data or "", request.remote_addr
            )
        except staff_passwords.WrongCurrentPassword as refusal:
            form.current_password.errors = [str(refusal)]
        except StaffAccountError as refusal:
            form.new_password.errors = [str(refusal)]
        except NotFound:
            abort(404)
        else:
            auth.renew_session(account)  # every session ended with the change: this one goes on anew
            flash("Your password is changed. Anywhere else you were signed in, you are now signed out.", "success")
            return redirect(url_for("staff.home"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "staff/change_password.html",
        form=form,
        min_length=MIN_PASSWORD_LENGTH,
        temporary=current_user.must_change_password,
    ), status


@bp.route("/admin/staff/<int(max=2147483647):account_id>/password", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_staff_reset(account_id: int) -> Response | str:
    if account_id == current_user.id:
        flash("To change your own password, use this page: it asks for your current one.", "info")
        return redirect(url_for("staff.change_password"), 303)
    account = staff_accounts.load(account_id)
    if account is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            reset = staff_passwords.reset_password(account_id, admin_id=current_user.id)
        except NotFound:
            abort(404)
        # Shown in this answer only (no-store, like every answer): it is not kept anywhere readable.
        return render_template("staff/admin_staff_reset.html", account=reset.account, reset=reset)
    return render_template("staff/admin_staff_reset.html", account=account, reset=None, form=form)


@bp.post("/admin/staff/<int(max=2147483647):account_id>/unlock")
@staff_required(ADMIN)
def admin_staff_unlock(account_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account = staff_accounts.load(account_id)
    if account is None:
        abort(404)
    lifted = staff_passwords.lift_lockout(account_id, admin_id=current_user.id)
    if lifted:
        flash(f"{account.username} can sign in again from anywhere: the wrong-password counts are cleared.", "success")
    else:
        flash(f"{account.username} had no sign-in pauses to lift.", "info")
    return redirect(url_for("staff.admin_staff"), 303)
