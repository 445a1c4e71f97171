"""Admin page: the clinic's own details (address, building and entrance, parking, map link,
after-hours guidance, nurse line, phone), as patients see them on pages, emails, invites and FHIR."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from scheduler.domain import clinic_details as rules
from scheduler.domain.clinic_details import ClinicDetails
from scheduler.domain.clinic_details import ClinicDetailsError
from scheduler.domain.staff import ADMIN
from scheduler.services import clinic_details
from scheduler.settings import settings
from scheduler.web.auth import staff_required
from scheduler.web.forms import Form
from scheduler.web.staff import bp


def _printable(form: FlaskForm, field: Field) -> None:
    """No NUL or other control characters (PostgreSQL refuses NUL; they break email and invites)."""
    if any(ord(c) < 32 and c not in "\r\n\t" or ord(c) == 127 for c in field.data or ""):
        raise ValidationError("Use letters, numbers and punctuation only (no control characters).")


def _one_line(form: FlaskForm, field: Field) -> None:
    if any(c in field.data for c in "\r\n"):
        raise ValidationError("Keep this on one line.")


def _https(form: FlaskForm, field: Field) -> None:
    if field.data and not field.data.strip().lower().startswith("https://"):
        raise ValidationError("Enter a map link that starts with https://, or leave it blank.")


def _limit(limit: int) -> Length:
    return Length(max=limit, message=f"Use {limit} characters or fewer.")


def _text(label: str, limit: int, *, required: str | None = None) -> StringField:
    first = InputRequired(required) if required else Optional()
    return StringField(label, validators=[first, _printable, _one_line, _limit(limit)])


class ClinicDetailsForm(Form):
    address_line1 = _text("Street address", rules.LINE_MAX, required="Enter the street address.")
    address_line2 = _text("Street address, second line (optional)", rules.LINE_MAX)
    city = _text("City", rules.CITY_MAX, required="Enter the city.")
    state = _text("State", rules.STATE_MAX)
    postal_code = _text("ZIP code", rules.POSTAL_CODE_MAX)
    building = TextAreaField("Building and entrance", validators=[Optional(), _printable, _limit(rules.NOTE_MAX)])
    parking = TextAreaField("Parking", validators=[Optional(), _printable, _limit(rules.NOTE_MAX)])
    map_url = StringField("Map link (https)", validators=[Optional(), _printable, _one_line, _https,
                                                          _limit(rules.URL_MAX)])  # fmt: skip
    after_hours = TextAreaField("After-hours guidance", validators=[Optional(), _printable, _limit(rules.GUIDANCE_MAX)])
    nurse_line = _text("Nurse line phone number", rules.PHONE_MAX)
    phone = _text("Clinic phone number (blank: the configured number)", rules.PHONE_MAX)

    def details(self) -> ClinicDetails:
        lines = (self.address_line1.data or "", self.address_line2.data or "")
        return ClinicDetails(
            address_lines=tuple(line for line in lines if line.strip()),
            city=self.city.data or "",
            state=self.state.data or "",
            postal_code=self.postal_code.data or "",
            building=self.building.data or "",
            parking=self.parking.data or "",
            map_url=self.map_url.data or "",
            after_hours=self.after_hours.data or "",
            nurse_line=self.nurse_line.data or "",
            phone=self.phone.data or "",
        )


def _form_data(details: ClinicDetails) -> dict[str, str]:
    lines = (*details.address_lines, "", "")
    return {
        "address_line1": lines[0],
        "address_line2": lines[1],
        "city": details.city,
        "state": details.state,
        "postal_code": details.postal_code,
        "building": details.building,
        "parking": details.parking,
        "map_url": details.map_url,
        "after_hours": details.after_hours,
        "nurse_line": details.nurse_line,
        "phone": details.phone,
    }


@bp.route("/admin/clinic", methods=["GET", "POST"])
@staff_required(ADMIN)
def admin_clinic() -> Any:
    form = ClinicDetailsForm(data=_form_data(clinic_details.stored()))
    if form.validate_on_submit():
        try:
            changed = clinic_details.save(form.details(), actor_id=current_user.id)
        except ClinicDetailsError as refusal:
            field = getattr(form, refusal.field, None)
            if field is None:
                field = form.address_line1
            field.errors = [*field.errors, refusal.message]
        else:
            flash("Clinic details saved." if changed else "Nothing had changed.", "success")
            return redirect(url_for("staff.admin_clinic"))
    preview = clinic_details.current() if not form.errors else None
    return render_template(
        "staff/admin_clinic.html", form=form, preview=preview, default_phone=settings().clinic_phone
    ), (422 if form.errors else 200)
