"""Email over SMTP, or into a folder when no SMTP server is configured (development)."""

from __future__ import annotations

import base64
import secrets
import smtplib
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime
from email.utils import formataddr
from email.utils import parseaddr
from io import BytesIO
from pathlib import Path
from typing import Any

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.domain.clock import utc_now

# The stdlib email package's compat32 message model rather than EmailMessage: the same MIME tree on
# the wire, but EmailMessage parses every header it is given back into structured objects and
# folds it again, and with set_content/add_alternative that took about a third of the message
# worker's time per email. The headers here are values we produce (encoded with Header when not
# ASCII) and each part's Content-Type is written once, whole, so there is nothing to parse.


class _Wire(Compat32):
    """compat32 with CRLF line ends, and a short cut for the usual header: plain ASCII on one line
    that needs no folding is written as it is (what the Header class would produce too, after
    building an object for it per header: a tenth of the worker's time went there).

    With ``utf8``, for a message to an internationalized address (RFC 6531/6532, sent only to a
    server that offers SMTPUTF8), a header that is not ASCII is written as raw UTF-8: an
    encoded-word would make the address unusable."""

    utf8 = False

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and "\r" not in value and "\n" not in value:
            if value.isascii() and len(name) + 2 + len(value) <= (self.max_line_length or 78):
                return f"{name}: {value}{self.linesep}".encode("ascii")
            if self.utf8 and not value.isascii():
                return f"{name}: {value}{self.linesep}".encode()
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")
_WIRE_UTF8 = _WIRE.clone(utf8=True)  # type: ignore[call-arg]  # every policy takes utf8; typeshed lists it on EmailPolicy only
_MAX_LINE = 998  # RFC 5322: longer lines need an encoding
_QUOTED_ASCII, _QUOTED_UTF8 = '"us-ascii"', '"utf-8"'


def build_message(email: Email, sender: str) -> Message:
    """The MIME tree. Without an invite, text and HTML as alternatives. With one, as RFC 6047
    (iMIP) describes and mail clients expect before they show an invitation rather than a file:
    multipart/mixed of the alternatives (text, HTML, and the invite as ``text/calendar;
    charset=utf-8; method=...``) and the same invite as an ``invite.ics`` attachment, typed
    application/ics so that a client does not take it for a second invitation."""
    alternatives = [_text(email.text, "plain"), _text(email.html, "html")]
    if email.ics is None:
        message = _multipart("alternative", alternatives)
    else:
        method = email.ics_method or "REQUEST"
        ics = email.ics.decode("utf-8")
        invite = _text(ics, "calendar", f"; method={method}", charset="utf-8")
        attachment = _text(ics, "", '; name="invite.ics"', charset="utf-8", content_type="application/ics")
        attachment["Content-Disposition"] = 'attachment; filename="invite.ics"'
        message = _multipart("mixed", [_multipart("alternative", [*alternatives, invite]), attachment])
    message["From"] = _address(sender)
    message["To"] = email.to  # an address only, ASCII or (with SMTPUTF8) raw UTF-8
    # A Header is what the email package takes for an encoded value; typeshed allows str only.
    message["Subject"] = email.subject if email.subject.isascii() else Header(email.subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = email.message_id
    message["MIME-Version"] = "1.0"
    return message


def as_bytes(message: Message, *, utf8: bool = False) -> bytes:
    """The message as it goes on the wire (CRLF line ends); ``utf8`` for an SMTPUTF8 delivery."""
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE_UTF8 if utf8 else _WIRE).flatten(message)
    return out.getvalue()


def international(to: str, envelope_sender: str) -> bool:
    """Whether an address needs SMTPUTF8 (a non-ASCII mailbox name, which email validation allows)."""
    return not (to.isascii() and envelope_sender.isascii())


def _multipart(subtype: str, parts: list[Message]) -> Message:
    # A boundary of our own: left to itself the generator compiles a new regular expression per
    # message to prove its random boundary absent from the body. "=_" cannot occur in base64 or
    # quoted-printable text, and 96 random bits will not occur in a 7-bit ASCII part by chance.
    multipart = Message()
    multipart["Content-Type"] = f'multipart/{subtype}; boundary="=_{secrets.token_hex(12)}"'
    payload: list[Message | str] = list(parts)
    multipart.set_payload(payload)
    return multipart


def _text(content: str, subtype: str, params: str = "", *, charset: str = "", content_type: str = "") -> Message:
    """A text part: plain 7-bit when it is ASCII with no over-long line (readable as it is),
    otherwise UTF-8 in base64. ``charset`` labels even ASCII text (an invite is always UTF-8);
    ``content_type`` replaces ``text/{subtype}``."""
    part = Message()
    kind = content_type or f"text/{subtype}"
    if content.isascii() and max(map(len, content.splitlines()), default=0) <= _MAX_LINE:
        part["Content-Type"] = f"{kind}; charset={charset or _QUOTED_ASCII}{params}"
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(content)
    else:
        part["Content-Type"] = f"{kind}; charset={charset or _QUOTED_UTF8}{params}"
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(base64.encodebytes(content.encode("utf-8")).decode("ascii"))
    return part


def _address(value: str) -> str:
    """``Name <address>`` with a non-ASCII name encoded (RFC 2047), the address left as it is."""
    return value if value.isascii() else formataddr(parseaddr(value), charset="utf-8")


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float = 20.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        keep_open: bool = False,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.envelope_sender = parseaddr(sender)[1]  # the address in "Name <address>"
        self.starttls, self.username, self.password = starttls, username, password
        # keep_open: one connection serves every send until close() (a worker's batch); after any
        # failure the connection is dropped and the next send opens a new one.
        self.keep_open = keep_open
        self._smtp: smtplib.SMTP | None = None

    def send(self, email: Email) -> str:
        """Send and return the Message-ID. 5xx replies are permanent; anything else may pass later,
        except an internationalized address for a server without SMTPUTF8 (permanent)."""
        utf8 = international(email.to, self.envelope_sender)
        message = as_bytes(build_message(email, self.sender), utf8=utf8)
        sent = False
        try:
            smtp = self._connection()
            options: tuple[str, ...] = ()
            if utf8:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("smtputf8"):
                    raise DeliveryFailed(
                        "SMTP server cannot take an international address (no SMTPUTF8)", permanent=True
                    )
                options = ("SMTPUTF8", "BODY=8BITMIME")
            # sendmail with the bytes, not send_message: that would flatten the message a second
            # time and parse its From and To back out of it.
            smtp.sendmail(self.envelope_sender, [email.to], message, mail_options=options)
            sent = True
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            raise DeliveryFailed(f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryFailed(f"SMTP {error.smtp_code}", permanent=error.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as error:
            # Connection refused, timeouts, dropped connections: the server may be back later.
            raise DeliveryFailed(f"SMTP unavailable ({type(error).__name__})", permanent=False) from None
        finally:
            if not sent:
                self._drop()  # a connection in an unknown state is never reused
            elif not self.keep_open:
                self.close()
        return email.message_id

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                self._smtp.starttls()
            if self.username:
                self._smtp.login(self.username, self.password or "")
        return self._smtp

    def close(self) -> None:
        """QUIT and close the open connection, if any. The messages went already: errors are ignored."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


class FolderMailer:
    """Writes each message as an .eml file: what ``make run`` uses when no SMTP server is set."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder, self.sender = folder, sender

    def send(self, email: Email) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = email.message_id.strip("<>").replace("@", "_at_").replace("/", "_")
        utf8 = international(email.to, parseaddr(self.sender)[1])
        (self.folder / f"{name}.eml").write_bytes(as_bytes(build_message(email, self.sender), utf8=utf8))
        return email.message_id
