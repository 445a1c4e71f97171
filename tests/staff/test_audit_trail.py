"""The audit trail: append-only in the database itself, written in the caller's transaction,
searchable by patient and Central dates, exportable as CSV; never a password or PHI."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from scheduler.services import audit
from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import audit_events
from tests.staff.conftest import sign_in


def _event(action: str = "appointment.view", *, patient_id: int | None = 7, at: datetime | None = None, **extra):
    fields = {
        "actor_kind": "staff",
        "actor_id": 1,
        "record_type": "appointment",
        "record_id": 12,
        "patient_id": patient_id,
        "channel": "web",
        **extra,
    }
    return audit.record(action, at=at, **fields)


# ----- append-only ---------------------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_remove_an_audit_event(app):
    with app.app_context():
        _event()
        db.session.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_event SET detail = 'rewritten'"))
        db.session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_event"))
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text("TRUNCATE audit_event"))
            db.session.rollback()
        # Through the ORM too: a changed row cannot be flushed.
        event = db.session.execute(db.select(models.AuditEvent)).scalar_one()
        event.detail = "rewritten"
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(text("SELECT detail FROM audit_event")).scalar_one() == ""


def test_record_joins_the_callers_transaction_and_never_commits_on_its_own(app):
    with app.app_context():
        _event("appointment.cancel")
        db.session.rollback()  # the caller's change failed: its audit row goes with it
        assert audit_events(app) == []
        _event("appointment.cancel")
        db.session.commit()
    assert [e.action for e in audit_events(app)] == ["appointment.cancel"]


def test_record_refuses_unknown_actor_kinds_and_channels_and_cuts_long_details(app):
    with app.app_context():
        with pytest.raises(ValueError, match="actor kind"):
            _event(actor_kind="robot")
        with pytest.raises(ValueError, match="channel"):
            _event(channel="fax")
        assert len(_event(detail="x" * 500).detail) == 200


def test_sign_ins_sign_outs_and_failures_are_recorded_without_passwords(app, client, staff_user):
    staff = staff_user("admin")
    sign_in(client, staff.username, "Wrong-Password-123")
    sign_in(client, "nobody-by-that-name", "Another-Secret-456")
    sign_in(client, staff.username, PASSWORD)
    client.post("/staff/logout")
    events = [(e.action, e.actor_id, e.detail) for e in audit_events(app) if e.action.startswith("staff.login")]
    events += [(e.action, e.actor_id, e.detail) for e in audit_events(app, "staff.logout")]
    # Failed sign-ins are refusals of someone unidentified: the first of a minute from an address
    # is written down, naming the address; the refusal tally counts the rest.
    assert events == [
        ("staff.login_failed", staff.id, "wrong password; from 127.0.0.1, first this minute"),
        ("staff.login_failed", None, "unknown account; from 127.0.0.1, first this minute"),
        ("staff.login", staff.id, ""),
        ("staff.logout", staff.id, ""),
    ]
    with app.app_context():
        everything = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM audit_event")))
    for secret in ("Wrong-Password-123", "Another-Secret-456", PASSWORD, "nobody-by-that-name"):
        assert secret not in everything


# ----- search and export ------------------------------------------------------------------------------

# 2027-03-14 is the day Central time springs forward (CST -> CDT at 2 a.m.).
LATE_ON_THE_13TH = datetime(2027, 3, 14, 5, 30, tzinfo=UTC)  # 11:30 p.m. CST, March 13
EARLY_ON_THE_14TH = datetime(2027, 3, 14, 6, 30, tzinfo=UTC)  # 12:30 a.m. CST, March 14
LATE_ON_THE_14TH = datetime(2027, 3, 15, 4, 30, tzinfo=UTC)  # 11:30 p.m. CDT, March 14
EARLY_ON_THE_15TH = datetime(2027, 3, 15, 5, 30, tzinfo=UTC)  # 12:30 a.m. CDT, March 15


@pytest.fixture
def trail(app):
    with app.app_context():
        for at in (LATE_ON_THE_13TH, EARLY_ON_THE_14TH, LATE_ON_THE_14TH, EARLY_ON_THE_15TH):
            _event(at=at, detail=f"at {at:%H:%M}")
        _event("appointment.cancel", patient_id=8, at=EARLY_ON_THE_14TH, detail='=HYPERLINK("x")')
        _event("system.tick", patient_id=None, at=EARLY_ON_THE_14TH, actor_kind="system", actor_id=None)
        db.session.commit()


def test_the_trail_is_searched_by_patient_and_by_central_dates_across_a_dst_change(app, client, signed_in, trail):
    signed_in(client, "admin")
    page = client.get("/staff/audit?patient_id=7&first_day=2027-03-14&last_day=2027-03-14")
    assert page.status_code == 200
    assert "2 events" in page.text
    assert "at 06:30" in page.text and "at 04:30" in page.text
    assert "at 05:30" not in page.text  # the events late on the 13th and early on the 15th
    assert "Sun Mar 14, 2027 at 12:30:00 a.m. CST" in page.text and "Sun Mar 14, 2027 at 11:30:00 p.m. CDT" in page.text
    assert "4 events" in client.get("/staff/audit?first_day=2027-03-14&last_day=2027-03-14").text
    assert "1 event." in client.get("/staff/audit?patient_id=8").text


def test_the_trail_is_paginated_newest_first(app, client, signed_in):
    with app.app_context():
        for minute in range(55):
            _event(at=datetime(2027, 1, 4, 15, minute, tzinfo=UTC), detail=f"event {minute:02d}")
        db.session.commit()
    signed_in(client, "admin")
    first = client.get("/staff/audit?patient_id=7")
    assert "event 54" in first.text and "event 05" in first.text and "event 04" not in first.text
    assert "Page 1 of 2" in first.text and 'href="/staff/audit?page=2&amp;patient_id=7"' in first.text
    second = client.get("/staff/audit?patient_id=7&page=2")
    assert "event 04" in second.text and "event 00" in second.text and "event 05" not in second.text
    assert client.get("/staff/audit?patient_id=7&page=99").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("patient_id=abc", "Enter a patient id"),
        ("patient_id=0", "Enter a patient id"),
        ("patient_id=99999999999", "Enter a patient id"),
        ("first_day=2027-02-30", "Enter a date as year-month-day"),
        ("first_day=14/03/2027", "Enter a date as year-month-day"),
        ("last_day=9999-12-31", "Enter a date between"),
        ("first_day=2027-03-15&last_day=2027-03-14", "must be the same as or after"),
    ],
)
def test_a_bad_filter_is_explained_and_what_was_typed_is_kept(client, signed_in, query, message):
    signed_in(client, "admin")
    response = client.get(f"/staff/audit?{query}")
    assert response.status_code == 422
    assert message in response.text and "There is a problem" in response.text
    csv_response = client.get(f"/staff/audit.csv?{query}")
    assert csv_response.status_code == 302 and csv_response.headers["Location"].startswith("/staff/audit?")


def test_the_csv_export_has_the_same_filter_central_times_and_no_formulas(app, client, signed_in, trail):
    admin = signed_in(client, "admin")
    response = client.get("/staff/audit.csv?first_day=2027-03-14&last_day=2027-03-14")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["at_central"], r["time_zone"], r["patient_id"]) for r in rows] == [
        ("2027-03-14T00:30:00-06:00", "CST", "7"),
        ("2027-03-14T00:30:00-06:00", "CST", "8"),
        ("2027-03-14T00:30:00-06:00", "CST", ""),
        ("2027-03-14T23:30:00-05:00", "CDT", "7"),
    ]
    assert rows[1]["detail"] == '\'=HYPERLINK("x")'  # a spreadsheet shows it as text, never runs it
    assert rows[2]["actor_kind"] == "system" and rows[2]["actor_id"] == ""
    [export] = audit_events(app, "audit.export")
    assert export.actor_id == admin.id and "2027-03-14" in export.detail


def test_the_csv_names_the_staff_member_behind_each_event(app, client, signed_in):
    admin = signed_in(client, "admin")
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/audit.csv").text)))
    sign_in_row = next(r for r in rows if r["action"] == "staff.login")
    assert (sign_in_row["actor_id"], sign_in_row["actor_username"]) == (str(admin.id), admin.username)


def test_there_is_no_way_to_change_the_trail_over_http(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff/audit")]
    assert audit_rules and all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in audit_rules)


def test_only_an_admin_reads_the_trail(client, signed_in):
    signed_in(client, "scheduler")
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit.csv").status_code == 403
