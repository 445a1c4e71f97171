"""Reading the mail folder (where email goes when no SMTP server is set) for staff.

A file is opened only when its name is a plain ``*.eml`` name and it is a regular file directly
inside the folder: no ``..``, no sub-folders, no symbolic links out of it. Opening one writes a
``mail.view`` audit event, because the message holds the patient's details.
"""

from __future__ import annotations

import heapq
import os
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from email import message_from_bytes
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from scheduler.services import audit
from scheduler.store import outbox as store_outbox

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml")
# FolderMailer names files after the Message-ID, which carries the outbox row's id.
OUTBOX_NAME = re.compile(r"outbox-(\d{1,9})_at_")  # 9 digits: always a valid integer id
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class MailFile:
    name: str
    saved_at: datetime
    size: int
    subject: str


@dataclass(frozen=True)
class MailCopy:
    name: str
    saved_at: datetime
    sender: str
    to: str
    subject: str
    date: str
    text: str
    attachments: list[str]


def newest(folder: Path, limit: int = 200) -> tuple[list[MailFile], int]:
    """The ``limit`` newest messages (newest first) and how many there are in all."""
    try:
        entries = [
            entry
            for entry in os.scandir(folder)
            if SAFE_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
        ]
    except (FileNotFoundError, NotADirectoryError):
        return [], 0
    latest = heapq.nlargest(limit, entries, key=lambda entry: (entry.stat().st_mtime, entry.name))
    return [_listed(Path(entry.path), entry.stat()) for entry in latest], len(entries)


def _listed(path: Path, stat: os.stat_result) -> MailFile:
    try:
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=policy.default).parse(handle)
        subject = str(headers.get("Subject", ""))
    except (OSError, ValueError):
        subject = ""
    return MailFile(path.name, datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size, subject)


def find(folder: Path, name: str) -> Path | None:
    """The file called ``name`` directly inside ``folder``, or None for any other name."""
    if not SAFE_NAME.fullmatch(name):
        return None
    path = folder / name
    try:
        if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
            return None
    except OSError:
        return None
    return path


def open_copy(folder: Path, name: str, *, staff_id: int) -> MailCopy | None:
    """Read one message for a member of staff, recording that they saw it. None if not found."""
    path = find(folder, name)
    if path is None:
        return None
    try:
        stat = path.stat()
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES)  # a huge file is shown cut short rather than filling memory
    except OSError:
        return None
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, ValueError):
        text = ""
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    _record_view(name, staff_id)
    return MailCopy(
        name=name,
        saved_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        text=text,
        attachments=attachments,
    )


def _record_view(name: str, staff_id: int) -> None:
    outbox_id, patient_id = None, None
    matched = OUTBOX_NAME.match(name)
    if matched:
        outbox_id = int(matched.group(1))
        patient_id = store_outbox.patient_of(outbox_id)
    audit.save(
        "mail.view",
        actor_kind="staff",
        actor_id=staff_id,
        record_type="outbox_message" if outbox_id is not None else "mail_file",
        record_id=outbox_id if outbox_id is not None else name[:64],
        patient_id=patient_id,
        channel="web",
    )
