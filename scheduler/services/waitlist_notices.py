"""The text of the waitlist's messages (offer, offer taken, entry expiring), built at delivery from
the current records like every other message (:mod:`scheduler.services.notices` hands them here).

An offer's claim link is made again from its recipient's nonce (the database keeps only the
token's hash); an offer that is no longer open when its message would go is not sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.delivery import Sms
from scheduler.domain.bookings import describe_day
from scheduler.domain.bookings import describe_time
from scheduler.domain.messages import SMS_MAX_CHARS
from scheduler.domain.messages import MessageKind
from scheduler.domain.messages import sms_length
from scheduler.domain.waitlist import EntryStatus
from scheduler.domain.waitlist import OfferStatus
from scheduler.domain.waitlist import RecipientOutcome
from scheduler.services import clinic_details
from scheduler.services import notices
from scheduler.services.references import claim_token
from scheduler.services.references import claim_url
from scheduler.services.references import waitlist_url
from scheduler.settings import settings
from scheduler.store import models
from scheduler.store import waitlist as store_waitlist

HEADLINES = {
    MessageKind.WAITLIST_OFFER: "An earlier time is free for you",
    MessageKind.OFFER_TAKEN: "That earlier time has been taken",
    MessageKind.WAITLIST_EXPIRING: "Your place on the waitlist ends soon",
}
# After "{label}: ". Generic, as every text is: no visit type, no provider, no clinic name. Short: an
# offer's text carries its claim link, and fits 160 characters with a 35-character label and a
# PUBLIC_BASE_URL of up to 40 (tests/test_waitlist.py); a longer one is dead-lettered, never split.
SMS_TEXTS = {
    MessageKind.WAITLIST_OFFER: "a time opened {when}: {url}",
    MessageKind.WAITLIST_EXPIRING: "your place on the waitlist ends {day}. Renew it from our email or call {phone}.",
}


@dataclass(frozen=True)
class About:
    """The current records behind one waitlist message."""

    kind: MessageKind
    entry: models.WaitlistEntry
    offer: models.WaitlistOffer | None
    recipient: models.WaitlistRecipient | None

    @property
    def patient(self) -> models.Patient:
        return self.entry.patient


def about(message: models.OutboxMessage) -> About | None:
    entry = store_waitlist.entry_row(message.waitlist_entry_id) if message.waitlist_entry_id else None
    if entry is None:
        return None
    offer = store_waitlist.offer_row(message.waitlist_offer_id) if message.waitlist_offer_id else None
    recipient = store_waitlist.recipient_of(offer.id, entry.id) if offer is not None else None
    return About(MessageKind(message.kind), entry, offer, recipient)


def still_due(found: About, now: datetime) -> bool:
    """An offer only while it is open, unexpired and still this entry's to take; an expiring
    notice only while the entry waits; "taken" always (it says what happened)."""
    if found.kind is MessageKind.WAITLIST_OFFER:
        return (
            found.offer is not None
            and found.recipient is not None
            and found.offer.status == OfferStatus.OPEN
            and found.offer.expires_at > now
            and found.recipient.outcome == RecipientOutcome.OFFERED
            and found.entry.status == EntryStatus.WAITING
        )
    if found.kind is MessageKind.WAITLIST_EXPIRING:
        return found.entry.status == EntryStatus.WAITING and found.entry.expires_at > now
    return True


def compose_email(message: models.OutboxMessage, now: datetime) -> Email | None:
    found = about(message)
    if found is None or not found.patient.email or not still_due(found, now):
        return None
    config = settings()
    details = clinic_details.current()
    offer = found.offer
    context: dict[str, object] = {
        "kind": found.kind.value,
        "headline": HEADLINES[found.kind],
        "given_name": found.patient.given_name,
        "clinic_name": config.clinic_name,
        "clinic_phone": details.phone,
        "clinic": details,
        "entry": found.entry,
        "visit_name": found.entry.visit_type.name,
        "replaces": found.entry.replaces,
        "day": describe_day(offer.starts_at) if offer else None,
        "time": describe_time(offer.starts_at) if offer else None,
        "until": f"{describe_time(offer.expires_at)} on {describe_day(offer.expires_at)}" if offer else None,
        "claim_url": claim_url(claim_token(found.recipient.nonce)) if found.recipient else None,
        "ends_on": describe_day(found.entry.expires_at),
        "waitlist_url": waitlist_url(found.entry.reference, found.entry.manage_nonce),
    }
    return Email(
        to=found.patient.email,
        subject=f"{HEADLINES[found.kind]} - {config.clinic_name}",
        text=notices.render_message("messages/waitlist_email.txt", context),
        html=notices.render_message("messages/waitlist_email.html", context),
        message_id=f"<outbox-{message.id}@{config.mail_domain}>",
    )


def text_due(message: models.OutboxMessage, now: datetime) -> bool:
    """Whether a waitlist text would still go at ``now`` (the worker's pace check asks too)."""
    found = about(message)
    return found is not None and found.kind in SMS_TEXTS and still_due(found, now)


def compose_sms(message: models.OutboxMessage, now: datetime) -> Sms | None:
    found = about(message)
    patient = found.patient if found is not None else None
    if found is None or patient is None or not patient.phone or not text_due(message, now):
        return None
    config = settings()
    phone = clinic_details.current().phone
    if found.kind is MessageKind.WAITLIST_OFFER:
        assert found.offer is not None and found.recipient is not None  # still_due holds them
        wording = SMS_TEXTS[found.kind].format(
            when=notices.sms_when(found.offer.starts_at), url=claim_url(claim_token(found.recipient.nonce))
        )
    else:
        ends = describe_day(found.entry.expires_at).split(",", 1)[1].strip()
        wording = SMS_TEXTS[found.kind].format(day=ends, phone=phone)
    body = f"{config.sms_sender_label}: {wording} Reply STOP to opt out."
    try:
        too_long = sms_length(body) > SMS_MAX_CHARS
    except ValueError:
        raise DeliveryFailed("SMS body is not plain ASCII (check SMS_SENDER_LABEL)", permanent=True) from None
    if too_long:
        raise DeliveryFailed(
            f"SMS body over {SMS_MAX_CHARS} characters (check SMS_SENDER_LABEL and PUBLIC_BASE_URL)", permanent=True
        )
    return Sms(to=patient.phone, body=body, message_id=f"outbox-{message.id}")
