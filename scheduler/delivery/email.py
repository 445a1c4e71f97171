"""Email over SMTP, or into a folder when no SMTP server is configured (development)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from scheduler.delivery import DeliveryFailed
from scheduler.delivery import Email
from scheduler.domain.clock import utc_now


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = email.message_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.ics is not None:
        message.add_attachment(
            email.ics,
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": email.ics_method or "REQUEST"},
        )
    return message


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
        self.starttls, self.username, self.password = starttls, username, password
        # keep_open: one connection serves every send until close() (a worker's batch); after any
        # failure the connection is dropped and the next send opens a new one.
        self.keep_open = keep_open
        self._smtp: smtplib.SMTP | None = None

    def send(self, email: Email) -> str:
        """Send and return the Message-ID. 5xx replies are permanent; anything else may pass later."""
        message = build_message(email, self.sender)
        sent = False
        try:
            self._connection().send_message(message)
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
        (self.folder / f"{name}.eml").write_bytes(bytes(build_message(email, self.sender)))
        return email.message_id
