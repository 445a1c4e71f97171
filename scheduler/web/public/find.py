"""Find my visit (``/find``): the link to a visit or request sent again to the email and phone on
file, when the reference and date of birth match. The page never says whether they did."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from scheduler.extensions import limiter
from scheduler.services import find_visit
from scheduler.web.public import bp
from scheduler.web.public import forms

# Counted in the limiter's shared store (Redis in production), so across workers and hosts: a
# person who mistypes tries again a few times; a guesser gets nowhere.
PER_ADDRESS = "10 per hour"
PER_REFERENCE = "5 per hour"


def _reference_key() -> str:
    """The per-reference limit's key: the reference as it would be looked up (hashed, so the
    limiter's store holds no reference), whatever address asks."""
    typed = request.form.get("reference", "")[:40]
    return "find-ref:" + hashlib.sha256(find_visit.normalize_reference(typed).encode()).hexdigest()[:32]


@bp.route("/find", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(PER_REFERENCE, methods=["POST"], key_func=_reference_key)
def find() -> Any:
    form = forms.FindForm()
    if form.validate_on_submit():
        assert form.birth_date is not None  # validate() guarantees it
        find_visit.send_link_again(form.normalized, form.birth_date, client=request.remote_addr)
        # The same answer whether or not it matched: a redirect, so a reload does not ask again.
        return redirect(url_for("public.find_sent"))
    return render_template("public/find.html", form=form), (422 if form.errors else 200)


@bp.get("/find/sent")
def find_sent() -> str:
    return render_template("public/find_sent.html")
