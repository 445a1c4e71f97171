"""The plain-SQL driver of the booking path and the idle-connection ping, on the test database.

The driver stores values itself (on SQLite, text in SQLAlchemy's format), so what it writes must
read back through the ORM unchanged, and what the ORM wrote must be found by its comparisons.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from scheduler.domain.intervals import Interval
from scheduler.services import clinic
from scheduler.store import driver as store_driver
from scheduler.store import engine as store_engine
from scheduler.store import models
from scheduler.store.driver import driver
from scheduler.store.engine import db
from scheduler.store.unit_of_work import unit_of_work
from tests.conftest import add_appointment

CHICAGO = ZoneInfo("America/Chicago")
NEW_PATIENT = {"sms_consent": False, "created_at": datetime(2027, 1, 4, 15, 0, tzinfo=UTC)}


def test_values_written_by_the_driver_read_back_through_the_orm_unchanged(app):
    # A Central time with microseconds, in daylight saving time: stored as UTC either way.
    consent_at = datetime(2027, 3, 15, 9, 30, 15, 123456, tzinfo=CHICAGO)
    with app.app_context(), unit_of_work():
        (patient_id,) = driver().rows(
            "INSERT INTO patient (given_name, family_name, birth_date, phone, email, sms_consent, sms_consent_at, "
            "created_at) VALUES (:given, :family, :born, :phone, :email, :consent, :consent_at, :created) "
            "RETURNING id",
            {
                "given": "Ana",
                "family": "O'Neil 100%",  # a quote and a percent sign travel as data, not SQL
                "born": date(1961, 2, 28),
                "phone": None,
                "email": "ana@example.com",
                "consent": True,
                "consent_at": consent_at,
                "created": consent_at,
            },
        )[0]
    with app.app_context():
        patient = db.session.get(models.Patient, patient_id)
        assert patient.family_name == "O'Neil 100%"
        assert patient.birth_date == date(1961, 2, 28)
        assert patient.phone is None
        assert patient.sms_consent is True
        assert patient.sms_consent_at == consent_at
        assert patient.sms_consent_at.tzinfo is not None
        # A % in the SQL itself (psycopg needs it doubled), and text in quotes that looks like a
        # placeholder but is not one.
        found = driver().rows(
            "SELECT count(*) FROM patient WHERE id = :id AND family_name LIKE 'O''Neil%' AND email <> ':such'",
            {"id": patient_id},
        )
        assert found == [(1,)]


def test_the_driver_finds_reservations_the_orm_wrote_by_their_times(app, make_provider):
    provider_id = make_provider("pmr")
    start = datetime(2027, 11, 8, 15, 0, tzinfo=UTC)  # 09:00 CST
    with app.app_context():
        appointment_id = add_appointment(provider_id, start, start + timedelta(minutes=60))
        db.session.add(
            models.Reservation(
                appointment_id=appointment_id,
                resource=f"provider:{provider_id}",
                starts_at=start,
                ends_at=start + timedelta(minutes=60),
                active=True,
            )
        )
        db.session.commit()
        key = f"provider:{provider_id}"
        # Windows touching the visit's edges: text comparison on SQLite must agree with time order.
        assert clinic.busy([key], Interval(start + timedelta(minutes=59), start + timedelta(hours=2)))[key] == [
            Interval(start, start + timedelta(minutes=60))
        ]
        assert clinic.busy([key], Interval(start + timedelta(minutes=60), start + timedelta(hours=2))) == {}
        assert clinic.busy([key], Interval(start - timedelta(hours=1), start)) == {}
        db.session.remove()


def test_a_constraint_refusal_in_the_driver_is_sqlalchemys_integrity_error(app, make_provider):
    provider_id = make_provider("pmr")
    start = datetime(2027, 11, 8, 15, 0, tzinfo=UTC)
    with app.app_context():
        appointment_id = add_appointment(provider_id, start, start + timedelta(minutes=60))
        db.session.commit()
        row = {
            "dedupe_key": f"appointment:{appointment_id}:confirmed:email:v1",
            "kind": "confirmed",
            "channel": "email",
            "appointment_id": appointment_id,
            "request_id": None,
            "version": 1,
            "status": "queued",
            "send_after": start,
            "attempts": 0,
            "created_at": start,
        }
        with pytest.raises(IntegrityError) as refused:
            with unit_of_work():
                driver().insert("outbox_message", [row, row])  # the same dedupe key twice
        assert refused.value.params is None  # bound values never travel with the error (PHI stays out of logs)
        assert db.session.execute(select(models.OutboxMessage)).first() is None  # nothing half-saved
        db.session.remove()


def test_rows_that_refer_to_each_other_are_written_together_with_ids_read_first(app, make_provider):
    provider_id = make_provider("pmr")
    start = datetime(2027, 11, 8, 15, 0, tzinfo=UTC)
    with app.app_context():
        add_appointment(provider_id, start - timedelta(days=7), start - timedelta(days=7) + timedelta(minutes=60))
        db.session.commit()  # ids taken already: the next ones must not collide with them
        visit_type_id = db.session.execute(
            select(models.VisitType.id).where(models.VisitType.code == "evaluation")
        ).scalar_one()
        with unit_of_work():
            d = driver()
            ((patient_id, appointment_id),) = d.rows(f"SELECT {d.next_id('patient')}, {d.next_id('appointment')}", {})
            d.insert_all(
                [
                    ("hold", []),  # nothing for a table is no statement for it
                    (
                        "patient",
                        [
                            {
                                "id": patient_id,
                                "given_name": "Bo",
                                "family_name": "Diaz",
                                "birth_date": date(1980, 5, 6),
                                **NEW_PATIENT,
                            }
                        ],
                    ),
                    (
                        "appointment",
                        [
                            {
                                "id": appointment_id,
                                "reference": "SIJ-TEST-0001",
                                "patient_id": patient_id,
                                "visit_type_id": visit_type_id,
                                "provider_id": provider_id,
                                "starts_at": start,
                                "ends_at": start + timedelta(minutes=60),
                                "status": "booked",
                                "channel": "api",
                                "manage_nonce": "1" * 32,
                                "version": 1,
                                "created_at": start,
                                "updated_at": start,
                            }
                        ],
                    ),
                    (
                        "reservation",
                        [
                            {
                                "appointment_id": appointment_id,
                                "resource": key,
                                "starts_at": start,
                                "ends_at": start + timedelta(minutes=60),
                                "active": True,
                            }
                            for key in (f"provider:{provider_id}", f"patient:{patient_id}")
                        ],
                    ),
                ]
            )
        appointment = db.session.get(models.Appointment, appointment_id)
        assert appointment.patient.family_name == "Diaz"
        assert appointment.starts_at == start
        assert sorted(r.resource for r in appointment.reservations) == sorted(
            [f"provider:{provider_id}", f"patient:{patient_id}"]
        )
        db.session.remove()


def test_a_refused_row_among_several_tables_leaves_none_of_them_written(app, make_provider):
    provider_id = make_provider("pmr")
    start = datetime(2027, 11, 8, 15, 0, tzinfo=UTC)
    with app.app_context():
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            with unit_of_work():
                d = driver()
                ((patient_id,),) = d.rows(f"SELECT {d.next_id('patient')}", {})
                d.insert_all(
                    [
                        (
                            "patient",
                            [
                                {
                                    "id": patient_id,
                                    "given_name": "Cy",
                                    "family_name": "Ng",
                                    "birth_date": date(1990, 1, 2),
                                    **NEW_PATIENT,
                                }
                            ],
                        ),
                        # An appointment of a visit type that does not exist: the foreign key refuses it.
                        (
                            "appointment",
                            [
                                {
                                    "reference": "SIJ-TEST-0002",
                                    "patient_id": patient_id,
                                    "visit_type_id": 999_999,
                                    "provider_id": provider_id,
                                    "starts_at": start,
                                    "ends_at": start + timedelta(minutes=60),
                                    "status": "booked",
                                    "channel": "api",
                                    "manage_nonce": "2" * 32,
                                    "version": 1,
                                    "created_at": start,
                                    "updated_at": start,
                                }
                            ],
                        ),
                    ]
                )
        assert db.session.execute(select(models.Patient).where(models.Patient.family_name == "Ng")).first() is None
        db.session.remove()


def test_the_patient_lookup_uses_its_index_even_when_planned_while_the_table_is_small(app, database_url):
    """A prepared statement keeps one plan for its connection's life. Made while the patient table
    is small (a new clinic), it must still find a patient by the birth date index, not read the
    whole table, which grows by one row a booking."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plans only: SQLite prepares nothing across requests")
    from scheduler.store.patients import MATCHING_PATIENT_ID

    lookup, _names = store_driver._positional(f"SELECT {MATCHING_PATIENT_ID}", False)
    with app.app_context():
        connection = db.session.connection()
        # A small clinic's worth, with its statistics: two pages of patients.
        connection.exec_driver_sql(
            "INSERT INTO patient (given_name, family_name, birth_date, email, sms_consent, created_at) "
            "SELECT 'Pat', 'Small' || n, date '1950-01-01' + n, 'p' || n || '@example.com', false, now() "
            "FROM generate_series(1, 120) AS n"
        )
        connection.exec_driver_sql("ANALYZE patient")
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql(f"PREPARE lookup AS {lookup}")
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(
                # (patient id, MRN, birth date, family name, given name, phone, email): a new patient
                "EXPLAIN EXECUTE lookup(NULL, NULL, '1970-01-01', 'lee', 'ana', NULL, 'ana@example.com')"
            )
        )
        connection.exec_driver_sql("DEALLOCATE lookup")
        db.session.rollback()
    assert "ix_patient_birth_date" in plan, plan
    assert "Seq Scan on patient" not in plan, plan


def test_an_idle_connection_the_server_closed_is_replaced_before_a_request_sees_it(app, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: an SQLite connection is a file handle that no server can close")
    with app.app_context():
        first_backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()  # back to the pool, idle
        with psycopg.connect(database_url, autocommit=True) as other:  # not from the pool: it would be the same
            other.execute("SELECT pg_terminate_backend(%s)", (first_backend,))
        # As if it had sat idle for a while: it is pinged, found closed and replaced.
        monkeypatch.setattr(store_engine, "IDLE_PING_SECONDS", 0.0)
        second_backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second_backend != first_backend
        db.session.remove()


def test_a_connection_in_use_a_moment_ago_is_not_pinged_but_an_idle_one_is(app, monkeypatch):
    with app.app_context():
        db.session.execute(text("SELECT 1")).all()
        db.session.remove()  # back to the pool
        pings: list[object] = []
        ping = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
        db.session.execute(text("SELECT 2")).all()
        db.session.remove()
        assert pings == []  # a round trip saved on every busy request
        monkeypatch.setattr(store_engine, "IDLE_PING_SECONDS", 0.0)
        assert db.session.execute(text("SELECT 3")).scalar_one() == 3
        db.session.remove()
        assert len(pings) == 1
