"""Absolute URLs of this service: every one the app makes (FHIR links and Location headers, the
API's Location, manage links in emails, calendar feed URLs) starts with PUBLIC_BASE_URL, never the
Host or scheme of the request at hand. A request's Host is whatever the client or a proxy says;
behind a TLS proxy it is ``http://`` and an internal name, and a message worker has no request at
all. (X-Forwarded-* are believed only from PROXY_HOPS proxies; see ``create_app``.)"""

from __future__ import annotations

from scheduler.settings import settings


def public_url(path: str = "") -> str:
    """PUBLIC_BASE_URL (without its trailing slash) followed by ``path``, which starts with "/"
    (or is empty for the base itself). A base with a path of its own, such as
    ``https://example.org/clinic``, is kept: ``path`` is relative to the application's root."""
    return settings().public_base_url + path
