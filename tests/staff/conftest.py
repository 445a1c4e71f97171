"""Staff fixtures: accounts of each role and a signed-in client (the root ``app`` fixture starts
each test with every table empty, the audit trail and staff accounts included)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.services.staff import create_account
from scheduler.store import models
from scheduler.store.engine import db

PASSWORD = "correct horse battery staple"
_usernames = itertools.count(1)


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    password: str
    role: str


@pytest.fixture
def staff_user(app: Flask) -> Callable[..., Staff]:
    """``staff_user("scheduler")`` creates an active account of that role (a fresh username each time)."""

    def create(role: str = "admin", username: str | None = None, password: str = PASSWORD, name: str = "") -> Staff:
        username = username or f"{role}{next(_usernames)}"
        with app.app_context():
            account = create_account(username, name or f"Test {role.title()}", role, password)
            return Staff(account.id, account.username, password, role)

    return create


def sign_in(client: FlaskClient, username: str, password: str, *, address: str = "127.0.0.1", **extra: str):  # type: ignore[no-untyped-def]
    """POST the sign-in form from the client address ``address`` (the test client's default)."""
    return client.post(
        "/staff/login",
        data={"username": username, "password": password, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def signed_in(staff_user: Callable[..., Staff]) -> Callable[[FlaskClient, str], Staff]:
    """``signed_in(client, "admin")``: a new account of that role, signed in on ``client``."""

    def sign(client: FlaskClient, role: str = "admin") -> Staff:
        staff = staff_user(role)
        response = sign_in(client, staff.username, staff.password)
        assert response.status_code == 302, response.status_code
        return staff

    return sign


def csrf_token_from(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


def audit_events(app: Flask, action: str | None = None) -> list[models.AuditEvent]:
    with app.app_context():
        query = select(models.AuditEvent).order_by(models.AuditEvent.id)
        if action:
            query = query.where(models.AuditEvent.action == action)
        return list(db.session.execute(query).scalars())


def account(app: Flask, account_id: int) -> models.StaffAccount:
    with app.app_context():
        found = db.session.get(models.StaffAccount, account_id)
        assert found is not None
        return found
