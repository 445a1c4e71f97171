"""The session cookie, sealed: encrypted and authenticated (Fernet), not only signed.

Flask's own cookie is signed, so nobody can change it, but anybody with the browser can read it:
a base64 JSON of the patient's answers between pages (name, birth date, contact details, cause,
red flags, notes). Here the signed value is encrypted with a key derived from SECRET_KEY, so the
cookie is opaque; tampering or a different key is simply an empty session (the patient starts
again, nothing breaks). The session's own lifetime and Flask's signing are unchanged.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer


def _fernet(secret: str | bytes) -> Fernet:
    """A key for sealing only: derived from SECRET_KEY (HKDF) so it is never the signing key itself."""
    material = secret.encode() if isinstance(secret, str) else secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"scheduler session cookie seal").derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


class _SealingSerializer:
    """Signs as Flask does, then encrypts; opens the other way round. Any failure reads as
    BadSignature, which Flask turns into a new, empty session."""

    def __init__(self, signer: URLSafeTimedSerializer, fernet: Fernet) -> None:
        self._signer = signer
        self._fernet = fernet

    def dumps(self, value: Any) -> str:
        return self._fernet.encrypt(self._signer.dumps(value).encode()).decode("ascii")

    def loads(self, sealed: str, max_age: int | None = None) -> Any:
        try:
            signed = self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            raise BadSignature("The session cookie could not be opened.") from None
        return self._signer.loads(signed, max_age=max_age)


class SealedCookieSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> Any:
        signer = super().get_signing_serializer(app)
        if signer is None:
            return None  # no SECRET_KEY: Flask refuses sessions itself
        return _SealingSerializer(signer, _fernet(app.secret_key or ""))


def register(app: Flask) -> None:
    app.session_interface = SealedCookieSessionInterface()
