"""The mail folder page: real messages written by the worker's FolderMailer, listed newest first,
read as text, every reading audited; nothing outside the folder can be opened."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from scheduler.jobs import transports
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.staff.conftest import audit_events


@pytest.fixture
def mail_dir(app, tmp_path):
    folder = tmp_path / "mail"
    app.config.update(MAIL_FOLDER=str(folder), MAIL_SMTP_HOST="")  # absolute: wins over the instance folder
    return folder


def _book_and_deliver(app, client, make_provider) -> int:
    make_provider("pmr")
    response = client.post("/api/v1/appointments", json=booking_json(central(next_clinic_day(5), 9)))
    assert response.status_code == 201
    with app.app_context():
        assert drain_once(transports)["sent"] == 1  # the confirmation; the reminder is not due yet
        return db.session.execute(
            select(models.Appointment.patient_id).where(models.Appointment.reference == response.json["reference"])
        ).scalar_one()


def test_saved_mail_is_listed_newest_first_and_reads_as_text(app, client, make_provider, signed_in, mail_dir):
    patient_id = _book_and_deliver(app, client, make_provider)
    [sent] = list(mail_dir.iterdir())
    older = mail_dir / "an-older-note.eml"
    older.write_bytes(b"Subject: Older note\r\nTo: someone@example.com\r\n\r\nOld body\r\n")
    os.utime(older, (time.time() - 3600, time.time() - 3600))
    admin = signed_in(client, "admin")
    listing = client.get("/staff/mail")
    assert listing.status_code == 200
    assert "No mail server is set up" in listing.text
    assert listing.text.index(sent.name) < listing.text.index("an-older-note.eml")
    assert "Your visit is confirmed - SI Joint Clinic" in listing.text and "Older note" in listing.text
    assert "ann.lee@example.com" not in listing.text  # addresses only on the message itself, which is audited
    assert audit_events(app, "mail.view") == []

    shown = client.get(f"/staff/mail/{sent.name}")
    assert shown.status_code == 200
    assert "ann.lee@example.com" in shown.text and "Ann" in shown.text
    assert "invite.ics" in shown.text  # the calendar attachment is named, not dumped
    assert "BEGIN:VCALENDAR" not in shown.text and "<html" not in shown.text.split("<pre", 1)[1]
    [event] = audit_events(app, "mail.view")
    assert (event.actor_id, event.record_type, event.patient_id) == (admin.id, "outbox_message", patient_id)


@pytest.mark.parametrize(
    "name",
    [
        "../secret.eml",
        "..%2Fsecret.eml",
        "%2E%2E/secret.eml",
        "sub/../../secret.eml",
        "/etc/passwd",
        "..",
        ".hidden.eml",
        "link.eml",
        "folder.eml",
        "not-mail.txt",
        "nothing-here.eml",
    ],
)
def test_nothing_outside_the_folder_can_be_opened(app, client, signed_in, mail_dir, tmp_path, name):
    mail_dir.mkdir()
    secret = tmp_path / "secret.eml"
    secret.write_bytes(b"Subject: secret\r\n\r\nTOP SECRET\r\n")
    (mail_dir / ".hidden.eml").write_bytes(b"Subject: hidden\r\n\r\nTOP SECRET\r\n")
    (mail_dir / "not-mail.txt").write_bytes(b"TOP SECRET")
    (mail_dir / "link.eml").symlink_to(secret)
    (mail_dir / "folder.eml").mkdir()
    signed_in(client, "admin")
    response = client.get(f"/staff/mail/{name}", follow_redirects=True)  # "//" is merged by a redirect first
    assert response.status_code == 404
    assert "TOP SECRET" not in response.text
    listing = client.get("/staff/mail")
    assert "TOP SECRET" not in listing.text and "link.eml" not in listing.text and ".hidden" not in listing.text
    assert audit_events(app, "mail.view") == []


def test_an_empty_or_missing_folder_is_a_page_not_an_error(client, signed_in, mail_dir):
    signed_in(client, "admin")
    response = client.get("/staff/mail")
    assert response.status_code == 200 and "There are no saved messages" in response.text


def test_a_scheduler_cannot_open_the_mail_folder(client, signed_in, mail_dir):
    mail_dir.mkdir()
    (mail_dir / "a.eml").write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    signed_in(client, "scheduler")
    assert client.get("/staff/mail").status_code == 403
    assert client.get("/staff/mail/a.eml").status_code == 403
