"""Which messages a change to a visit must send, on which channels, and when.

Messages are planned here and written as outbox rows in the same transaction as the change; a
worker delivers them. Nothing here renders text: bodies are built at delivery from the current
records, so no copy of a patient's details waits in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from scheduler.domain.clock import clinic_instant
from scheduler.domain.clock import require_aware
from scheduler.domain.clock import to_clinic


class MessageKind(StrEnum):
    REQUEST_RECEIVED = "request-received"
    CONFIRMED = "confirmed"
    REMINDER = "reminder"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    # The patient asked for their link again ("Find my visit"): about a visit or a request.
    LINK_RESENT = "link-resent"
    # The waitlist (domain.waitlist): a freed time offered, that time taken by someone else of the
    # batch, and an entry about to expire (renew it). A claimed offer is confirmed as any booking is.
    WAITLIST_OFFER = "waitlist-offer"
    OFFER_TAKEN = "offer-taken"
    WAITLIST_EXPIRING = "waitlist-expiring"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    """Where a queued message is in its life, in the order staff see them listed.

    queued -> sending (claimed by a worker, with a lease) -> sent; or back to queued for a retry
    or a paced text; dead once it keeps failing; withdrawn when it became pointless (a reminder of
    a cancelled visit). The schema also allows ``failed``, which no code writes today: a failed
    send is queued again for a retry, and is dead once it has used up its attempts."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    WITHDRAWN = "withdrawn"


# Default reminder: two days before the visit, at a daytime hour Central (never at night).
REMINDER_DAYS_BEFORE = 2
REMINDER_AT = time(10, 0)


@dataclass(frozen=True)
class Reachable:
    """How the patient may be contacted: email when they gave one; SMS only with recorded consent."""

    email: bool
    sms: bool

    def channels(self) -> list[Channel]:
        return [c for c, ok in ((Channel.EMAIL, self.email), (Channel.SMS, self.sms)) if ok]


@dataclass(frozen=True)
class PlannedMessage:
    kind: MessageKind
    channel: Channel
    send_after: datetime


def reminder_time(starts_at: datetime) -> datetime:
    """10 a.m. Central, two calendar days before the visit (DST-safe: computed on the local date)."""
    day = to_clinic(starts_at).date() - timedelta(days=REMINDER_DAYS_BEFORE)
    return clinic_instant(day, REMINDER_AT)


def on_booked(starts_at: datetime, reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """A confirmation now, and a reminder unless its time has already passed (the confirmation,
    sent now, then serves as the reminder)."""
    planned = [PlannedMessage(MessageKind.CONFIRMED, c, now) for c in reach.channels()]
    remind_at = reminder_time(starts_at)
    if remind_at > now:
        planned += [PlannedMessage(MessageKind.REMINDER, c, remind_at) for c in reach.channels()]
    return planned


def on_moved(starts_at: datetime, reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """A "rescheduled" notice now and a reminder for the new time (unless already past); the
    caller withdraws the old reminders in the same transaction and queues these under the
    appointment's new version, so each move sends exactly one notice."""
    planned = [PlannedMessage(MessageKind.RESCHEDULED, c, now) for c in reach.channels()]
    remind_at = reminder_time(starts_at)
    if remind_at > now:
        planned += [PlannedMessage(MessageKind.REMINDER, c, remind_at) for c in reach.channels()]
    return planned


def on_cancelled(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """The notice now; the caller withdraws the visit's pending reminders in the same transaction."""
    return [PlannedMessage(MessageKind.CANCELLED, c, now) for c in reach.channels()]


def on_request_received(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    return [PlannedMessage(MessageKind.REQUEST_RECEIVED, c, now) for c in reach.channels()]


def on_link_asked_for(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """The link to a visit or request, sent again to the email (and a pointer to it by text,
    with consent) on file; never shown on the screen of whoever asked."""
    return [PlannedMessage(MessageKind.LINK_RESENT, c, now) for c in reach.channels()]


def on_offered(reach: Reachable, now: datetime, *, text_in_time: bool) -> list[PlannedMessage]:
    """A waitlist offer: by email when they gave one, and by text with consent only when the text
    can reach them before the offer runs out (``text_in_time``: after quiet hours and the pace)."""
    return [
        PlannedMessage(MessageKind.WAITLIST_OFFER, c, now)
        for c in reach.channels()
        if c is Channel.EMAIL or text_in_time
    ]


def on_offer_taken(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    """Someone else of the batch was first: said by email only (no text spent on it); the patient
    keeps their place. A patient with no email learns it when their link says so."""
    return [PlannedMessage(MessageKind.OFFER_TAKEN, Channel.EMAIL, now)] if reach.email else []


def on_entry_expiring(reach: Reachable, now: datetime) -> list[PlannedMessage]:
    return [PlannedMessage(MessageKind.WAITLIST_EXPIRING, c, now) for c in reach.channels()]


@dataclass(frozen=True)
class Promises:
    """What the patient may be told will reach them about one visit or request, read back from its
    message log (never from what the code meant to queue): the pages promise only what is queued.

    ``notice``: the channels of the notice sent at once about what just happened (the
    confirmation, "request received", "moved" or "cancelled"); ``reminder``: the channels of the
    pending reminder, sent at ``remind_at``."""

    notice: tuple[Channel, ...]
    reminder: tuple[Channel, ...]
    remind_at: datetime | None

    @property
    def silent(self) -> bool:
        """Nothing will be sent: the patient gave no email and no consent to texts."""
        return not (self.notice or self.reminder)


def promises(log: Iterable[tuple[str, str, datetime]], notice: MessageKind) -> Promises:
    """The :class:`Promises` of a message log, ``(kind, channel, send_after)`` of its messages that
    are queued, being sent or sent (the caller leaves out withdrawn and dead ones), about the
    ``notice`` that just went out."""
    noticing: set[Channel] = set()
    reminding: set[Channel] = set()
    remind_at: datetime | None = None
    for kind, channel, send_after in log:
        if kind == notice:
            noticing.add(Channel(channel))
        elif kind == MessageKind.REMINDER:
            reminding.add(Channel(channel))
            remind_at = send_after if remind_at is None else min(remind_at, send_after)
    order = list(Channel)
    return Promises(tuple(sorted(noticing, key=order.index)), tuple(sorted(reminding, key=order.index)), remind_at)


# ----- text messages -------------------------------------------------------------------------------

# One GSM-7 segment. Longer texts are split and billed per part, and the FCC healthcare exemption
# asks for at most 160 characters.
SMS_MAX_CHARS = 160
# GSM-7 characters that take two of the 160 (an escape plus the character).
_GSM_EXTENDED = frozenset("^{}\\[~]|")

# No texts at night in the patient's own time zone: held until the morning.
QUIET_STARTS = time(20, 0)
QUIET_ENDS = time(8, 0)


def sms_length(body: str) -> int:
    """Characters ``body`` takes in one SMS. Only ASCII is allowed: anything else (a curly quote)
    switches the whole text to UCS-2, which fits 70 characters, not 160."""
    if not body.isascii():
        raise ValueError("SMS bodies are plain ASCII")
    return len(body) + sum(ch in _GSM_EXTENDED for ch in body)


def earliest_sms_time(now: datetime, zone: ZoneInfo) -> datetime:
    """``now`` when it is daytime (08:00 to 20:00) in ``zone``, otherwise the next 08:00 there.

    The morning is computed on the local date, so a daylight-saving change overnight still
    gives 8 a.m. on the wall clock."""
    local = require_aware(now).astimezone(zone)
    if QUIET_ENDS <= local.time() < QUIET_STARTS:
        return now
    morning = local.date() if local.time() < QUIET_ENDS else local.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_ENDS, tzinfo=zone).astimezone(UTC)


# The pace of the FCC's healthcare-message exemption to the TCPA: at most one text a day and three a
# week to one number. Counted over rolling windows on the clock, not calendar days or weeks: "no
# two texts within 24 hours, no four within 7 days" is at least as strict as any calendar reading
# (Central or the patient's zone, weeks from Sunday or Monday), needs no choice of zone or week
# start, and is the same across a daylight-saving change. The price: a text may wait until the
# afternoon where a calendar day would have let it go at 8 a.m.
SMS_PACE = ((1, timedelta(hours=24)), (3, timedelta(days=7)))


def sms_pacing_delay(sent_times: Iterable[datetime], now: datetime) -> datetime | None:
    """When the next text to one phone number may go, given when the earlier texts to it went
    (any order; texts older than a week change nothing), or None when it may go at ``now``.

    For each limit of :data:`SMS_PACE` (n texts per window), the n-th most recent text must have
    left the window: the next one may go at that text's time plus the window."""
    require_aware(now)
    recent = sorted((require_aware(t) for t in sent_times), reverse=True)
    allowed = now
    for most, window in SMS_PACE:
        if len(recent) >= most:
            allowed = max(allowed, recent[most - 1] + window)
    return allowed if allowed > now else None


def text_still_due(
    kind: MessageKind, *, queued_version: int | None, version: int, booked: bool, starts_at: datetime, now: datetime
) -> bool:
    """Whether a queued text about an appointment is still worth one of the patient's few texts
    (see :data:`SMS_PACE`); the email of the same change always goes, so nothing is lost.

    Not when the visit has already begun: a text held back by the pace or the night, or retried,
    could only confuse by then. Not a confirmation or a "moved" notice that a later change
    superseded: the visit was cancelled since (the cancellation text says so) or moved again (the
    newer "moved" text gives the time). Reminders of a visit no longer booked are withdrawn when
    it changes; cancellations are never superseded."""
    if require_aware(now) >= starts_at:
        return False
    if kind in (MessageKind.CONFIRMED, MessageKind.RESCHEDULED):
        return booked and (queued_version is None or queued_version >= version)
    return True


class InboundKeyword(StrEnum):
    STOP = "stop"
    HELP = "help"
    OTHER = "other"


# The opt-out words carriers and the FCC expect to be honoured; the whole (trimmed) text must be one.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def classify_inbound(text: str) -> InboundKeyword:
    """What a patient's reply asks for. Case, surrounding punctuation and inner whitespace do not
    matter ("Stop." and "opt  out" count); a sentence that merely contains "stop" does not."""
    word = " ".join(text.strip(" \t\r\n.!").split()).upper()
    if word in STOP_WORDS:
        return InboundKeyword.STOP
    if word in HELP_WORDS:
        return InboundKeyword.HELP
    return InboundKeyword.OTHER
