"""Reference codes people read aloud on the phone, and the signed manage tokens of appointments."""

from __future__ import annotations

import functools
import hmac
import secrets
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer

from scheduler.settings import settings

# No 0/O, 1/I/L: codes are read over the phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_MANAGE_SALT = "appointment-manage"


def new_reference(prefix: str) -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def new_nonce() -> str:
    return secrets.token_hex(16)


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    # Made once per key: every booking signs a token, and making one derives its signing key.
    return URLSafeTimedSerializer(secret_key, salt=_MANAGE_SALT)


def manage_token(reference: str, nonce: str) -> str:
    return _serializer().dumps({"r": reference, "n": nonce})


def token_matches(token: str, reference: str, nonce: str) -> bool:
    """True when ``token`` was issued for this appointment, is unexpired and not revoked."""
    max_age = settings().manage_token_max_age_days * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadData:
        return False
    if not isinstance(data, dict):
        return False
    return hmac.compare_digest(str(data.get("r", "")), reference) and hmac.compare_digest(str(data.get("n", "")), nonce)


def manage_url(reference: str, nonce: str) -> str:
    """The patient's manage page for one appointment, as an absolute URL built from
    PUBLIC_BASE_URL (no ``url_for``: the message worker has no request). It carries the reference
    and a signed token, never a patient's details."""
    base = settings().public_base_url
    return f"{base}/manage/{quote(reference, safe='')}/{manage_token(reference, nonce)}"
