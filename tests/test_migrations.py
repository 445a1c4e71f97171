"""Migrations are the only way a schema is made: they run up and down, and match the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade
from flask_migrate import upgrade
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text

from scheduler.services.seed import seed_catalog
from scheduler.store.engine import db
from tests.conftest import POSTGRES_URL
from tests.conftest import make_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own, so running migrations down does not disturb the session's."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"scheduler_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_every_migration_runs_up_down_and_up_again_and_the_models_match_the_schema(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        assert "reservation" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                constraint = connection.execute(
                    text(
                        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conname = 'ex_reservation_no_overlap'"
                    )
                ).scalar_one()
            assert "EXCLUDE USING gist" in constraint and "WHERE (active)" in constraint
        db.engine.dispose()


def test_readyz_reports_a_database_that_is_behind_its_migrations(empty_database_url):
    app = make_app(empty_database_url)
    client = app.test_client()
    with app.app_context():
        upgrade()
    assert client.get("/readyz").json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    with app.app_context():
        downgrade(revision="base")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["migrations"] == "behind"
    with app.app_context():
        db.engine.dispose()


def test_rules_seeded_with_the_old_words_are_reworded_and_a_reworded_reason_is_left_alone(empty_database_url):
    """0018: "{visit_type} visits are with {specialty}." made "Follow-up visit visits ..."."""
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0017_patient_record")
        seed_catalog()
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE routing_rule SET reason = '{visit_type} visits are with {specialty}.' WHERE name = :n"),
                {"n": "visit-type-specialty"},
            )
            connection.execute(
                text(
                    "UPDATE routing_rule SET reason = :r "
                    "WHERE name <> :n AND position = (SELECT min(position) FROM routing_rule)"
                ),
                {"r": "Our own words.", "n": "visit-type-specialty"},
            )
        db.session.remove()
        upgrade()
        with db.engine.connect() as connection:
            reasons = dict(connection.execute(text("SELECT name, reason FROM routing_rule")).all())
        assert reasons["visit-type-specialty"] == "This visit is with {specialty}."
        assert "Our own words." in reasons.values()
        assert not any("visits are with" in reason for reason in reasons.values())
        db.engine.dispose()
