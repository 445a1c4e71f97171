"""SMS through a Twilio-shaped HTTP API: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``.

A thin client over the standard library, so tests (and a staging provider) can point the base
URL at any server speaking the same shape. Neither the number nor the text ever goes into an
error reason: those end up in logs and in the outbox row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
from collections.abc import Iterable
from urllib.error import HTTPError
from urllib.error import URLError
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.request import Request
from urllib.request import urlopen
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Sms
from scheduler.domain.clock import CLINIC_TZ


class SmsClient:
    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, *, timeout: float = 15.0) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self.authorization = f"Basic {credentials}"
        self.sender, self.timeout = sender, timeout

    def send(self, sms: Sms) -> str:
        """Send and return the provider's message sid. 4xx replies are permanent except 429 (slow
        down); 5xx, timeouts and refused connections may pass later."""
        request = Request(
            self.url,
            data=urlencode({"To": sms.to, "From": self.sender, "Body": sms.body}).encode(),
            method="POST",
            headers={
                "Authorization": self.authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:
                reply = response.read()
        except HTTPError as error:
            error.close()  # its body may quote the number: never read into a reason
            permanent = 400 <= error.code < 500 and error.code != 429
            raise DeliveryFailed(f"SMS provider {error.code}", permanent=permanent) from None
        except (URLError, OSError, http.client.HTTPException) as error:
            cause = error.reason if isinstance(error, URLError) else error
            raise DeliveryFailed(f"SMS provider unavailable ({type(cause).__name__})", permanent=False) from None
        try:
            sid = json.loads(reply)["sid"]
        except (ValueError, KeyError, TypeError):
            sid = None
        if not isinstance(sid, str) or not sid:
            # The provider accepted the text (2xx): retrying could send it twice, so no retry.
            raise DeliveryFailed("SMS provider reply without a sid", permanent=True)
        return sid


def time_zone_for_number(number: str) -> ZoneInfo:
    """The patient's zone from their E.164 number's area code; Central (the clinic's) when the
    number spans several zones or none is known."""
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return CLINIC_TZ
    if len(zones) != 1:
        return CLINIC_TZ
    try:
        return ZoneInfo(zones[0])
    except (ZoneInfoNotFoundError, ValueError):
        return CLINIC_TZ  # "Etc/Unknown" and the like


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature of a webhook: HMAC-SHA1 (keyed with the auth token) over the full URL
    followed by each POST parameter's name and value, sorted by name then value; base64."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
