"""Transports that hand a finished message to the outside world (SMTP, a folder, an SMS provider).

Each raises :class:`DeliveryFailed`, saying whether trying again could help; the worker decides
what to do with that (retry with backoff, or dead-letter).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    # A stable id per outbox row: a message sent twice after a crash carries the same id, so
    # mail systems can tell the copies apart from two different messages.
    message_id: str
    ics: bytes | None = None
    ics_method: str | None = None  # REQUEST or CANCEL


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    # The outbox row it comes from, for tracing; never sent to the provider.
    message_id: str


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
