"""Security headers on every response.

Hand-written rather than Flask-Talisman (last release 2023): the policy is one fixed set of
headers, because no page has an inline script or style, so no nonces are needed.
"""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import request

# Only our own files: scripts, styles, images and form targets from this origin; no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Manage links carry a token in their path: never send it to another site as a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app: Flask) -> None:
    @app.after_request
    def _secure_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # Answers carry patients' details or tokens (pages, the API's 201 with its manage token,
        # FHIR resources, CSV exports): no cache, shared or the browser's back-forward cache, may
        # keep any of them. Only our own static files may be cached; an answer that is safe to
        # cache says so itself (setdefault keeps its own Cache-Control).
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
