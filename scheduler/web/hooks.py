"""Webhooks the SMS provider calls: replies from patients (STOP and HELP).

Each request must carry the provider's signature (X-Twilio-Signature, keyed with the auth
token); without one, or with SMS not configured, the answer is 403 and nothing changes. Neither
the number nor the text is ever logged.
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from flask import Blueprint
from flask import Response
from flask import abort
from flask import request

from scheduler.domain.errors import InvalidInput
from scheduler.domain.messages import InboundKeyword
from scheduler.domain.messages import classify_inbound
from scheduler.extensions import limiter
from scheduler.services import clinic_details
from scheduler.services.sms_consent import opt_out
from scheduler.services.sms_consent import reply_is_from_provider
from scheduler.settings import settings
from scheduler.web.sane_input import control_problem

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


@bp.post("/sms/inbound")
@limiter.exempt  # the provider's servers, signed: a shared address must not be throttled mid-STOP
def sms_inbound() -> Response:
    _require_signature()
    if problem := control_problem(request.form.get("From", "")):
        raise InvalidInput({"From": problem})  # a NUL would reach PostgreSQL in the opt-out's query
    phone = request.form.get("From", "").strip()
    keyword = classify_inbound(request.form.get("Body", ""))
    config = settings()
    phone_number = clinic_details.current().phone
    if keyword is InboundKeyword.STOP and phone:
        changed = opt_out(phone)
        log.info("inbound SMS: opt-out recorded for %s patient(s)", changed)
        if changed:
            return _twiml(
                f"{config.sms_sender_label}: you are unsubscribed and will get no more texts from us. "
                f"Questions: {phone_number}."
            )
    elif keyword is InboundKeyword.HELP:
        return _twiml(f"{config.sms_sender_label}: for help call {phone_number}. Reply STOP to opt out.")
    return _twiml(None)


def _require_signature() -> None:
    token = settings().sms_auth_token
    if not settings().sms_base_url or not token:
        abort(403)
    url = settings().sms_webhook_url or request.url
    given = request.headers.get("X-Twilio-Signature", "")
    if not reply_is_from_provider(token, url, request.form.items(multi=True), given):
        abort(403)


def _twiml(message: str | None) -> Response:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(body, status=200, content_type="text/xml; charset=utf-8")
