"""Reference codes people read aloud on the phone, and the signed manage tokens of appointments."""

from __future__ import annotations

import base64
import functools
import hashlib
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
_REQUEST_SALT = "request-page"
_WAITLIST_SALT = "waitlist-entry"


def new_reference(prefix: str) -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def new_nonce() -> str:
    return secrets.token_hex(16)


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _serializer_for(secret_key: str, salt: str = _MANAGE_SALT) -> URLSafeTimedSerializer:
    # Made once per key: every booking signs a token, and making one derives its signing key.
    return URLSafeTimedSerializer(secret_key, salt=salt)


def manage_token(reference: str, nonce: str) -> str:
    return _serializer().dumps({"r": reference, "n": nonce})


def token_matches(token: str, reference: str, nonce: str) -> bool:
    """True when ``token`` was issued for this appointment, is unexpired and not revoked."""
    return _matches(_serializer(), token, reference, nonce)


def request_token(reference: str, nonce: str | None) -> str:
    """The request page's token: signed as a manage token is, with a salt of its own, so a
    request's token never opens a visit's page (nor the other way round)."""
    return _serializer_for(current_app.config["SECRET_KEY"], _REQUEST_SALT).dumps({"r": reference, "n": nonce or ""})


def request_token_matches(token: str, reference: str, nonce: str | None) -> bool:
    return _matches(_serializer_for(current_app.config["SECRET_KEY"], _REQUEST_SALT), token, reference, nonce or "")


def _matches(serializer: URLSafeTimedSerializer, token: str, reference: str, nonce: str) -> bool:
    max_age = settings().manage_token_max_age_days * 86400
    try:
        data = serializer.loads(token, max_age=max_age)
    except BadData:
        return False
    if not isinstance(data, dict):
        return False
    return hmac.compare_digest(str(data.get("r", "")), reference) and hmac.compare_digest(str(data.get("n", "")), nonce)


def waitlist_token(reference: str, nonce: str) -> str:
    """A waitlist entry's manage token: signed as a manage token is, with a salt of its own."""
    return _serializer_for(current_app.config["SECRET_KEY"], _WAITLIST_SALT).dumps({"r": reference, "n": nonce})


def waitlist_token_matches(token: str, reference: str, nonce: str) -> bool:
    return _matches(_serializer_for(current_app.config["SECRET_KEY"], _WAITLIST_SALT), token, reference, nonce)


def waitlist_url(reference: str, nonce: str) -> str:
    """The patient's page for one waitlist entry (see, renew, leave)."""
    base = settings().public_base_url
    return f"{base}/waitlist/{quote(reference, safe='')}/{waitlist_token(reference, nonce)}"


# A claim token: 12 URL-safe characters (72 bits; single use, live for the offer's 30 minutes, and
# rate-limited), short enough for a text with its link. It is an HMAC of the
# recipient's nonce under the secret key, so the database keeps only the nonce and the token's
# SHA-256 (what a claim is looked up by): a copy of the database claims nothing.
CLAIM_TOKEN_CHARS = 12
CLAIM_PATH = "/o/"


def claim_token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"waitlist-claim:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:CLAIM_TOKEN_CHARS]


def claim_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def claim_url(token: str) -> str:
    """The short claim link of a waitlist offer (it fits in a text)."""
    return f"{settings().public_base_url}{CLAIM_PATH}{token}"


def manage_url(reference: str, nonce: str) -> str:
    """The patient's manage page for one appointment, as an absolute URL built from
    PUBLIC_BASE_URL (no ``url_for``: the message worker has no request). It carries the reference
    and a signed token, never a patient's details."""
    base = settings().public_base_url
    return f"{base}/manage/{quote(reference, safe='')}/{manage_token(reference, nonce)}"


def request_url(reference: str, nonce: str | None) -> str:
    """The patient's page for one request, as :func:`manage_url` builds a visit's."""
    base = settings().public_base_url
    return f"{base}/requests/{quote(reference, safe='')}/{request_token(reference, nonce)}"
