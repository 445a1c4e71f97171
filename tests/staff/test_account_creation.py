"""New accounts: common and breached passwords are refused however they are made, and the audit
trail names the admin who made an account (the command line, where nobody signs in, is "system")."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from scheduler.domain.staff import StaffAccountError
from scheduler.services.staff import create_account
from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import audit_events

GUESSABLE = ["password1234", "aaaaaaaaaaaa", "qwertyuiop12", "P@ssw0rd1234", "iloveyou2020!"]


def _usernames(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(models.StaffAccount.username).order_by(models.StaffAccount.id)).scalars())


@pytest.mark.parametrize("password", GUESSABLE)
def test_a_common_or_breached_password_is_refused_saying_what_to_do(app, password):
    with app.app_context(), pytest.raises(StaffAccountError) as refused:
        create_account("sam", "Sam Lee", "admin", password)
    message = str(refused.value)
    assert "harder to guess" in message and "three or four unrelated words" in message
    assert password not in message
    assert _usernames(app) == []


def test_a_password_made_of_the_persons_own_name_is_refused(app):
    with app.app_context(), pytest.raises(StaffAccountError, match="harder to guess"):
        create_account("dana", "Dana Whitfield", "scheduler", "whitfield2024")


def test_the_command_line_refuses_password1234_and_twelve_as(app, runner):
    for password in ("password1234", "aaaaaaaaaaaa"):
        result = runner.invoke(
            args=["create-staff", "sam", "--role", "admin", "--name", "Sam", "--password-stdin"], input=f"{password}\n"
        )
        assert result.exit_code == 1 and "harder to guess" in result.output, result.output
    assert _usernames(app) == []


def test_an_admin_cannot_give_an_admin_account_password1234_and_is_told_what_to_do(app, client, signed_in):
    signed_in(client, "admin")
    before = _usernames(app)
    for password in ("password1234", "aaaaaaaaaaaa"):
        refused = client.post(
            "/staff/admin/staff",
            data={"username": "new-admin", "display_name": "New Admin", "role": "admin", "password": password},
        )
        assert refused.status_code == 422
        assert "harder to guess" in html.unescape(refused.text)
    assert _usernames(app) == before


def test_an_account_an_admin_creates_is_recorded_with_that_admin_as_the_actor(app, client, signed_in):
    admin = signed_in(client, "admin")
    created = client.post(
        "/staff/admin/staff",
        data={
            "username": "new-admin",
            "display_name": "New Admin",
            "role": "admin",
            "password": "lantern cobalt meadow",
        },
    )
    assert created.status_code == 302
    made = [e for e in audit_events(app, "staff.create") if e.actor_kind != "system"]
    assert [(e.actor_kind, e.actor_id, e.channel, e.detail) for e in made] == [("staff", admin.id, "web", "role admin")]
    with app.app_context():
        new_id = db.session.execute(select(models.StaffAccount.id).filter_by(username="new-admin")).scalar_one()
    assert made[0].record_id == str(new_id)


def test_an_account_made_on_the_command_line_is_recorded_as_the_system(app, runner):
    result = runner.invoke(
        args=["create-staff", "robo", "--role", "phone", "--name", "Robo", "--password-stdin"],
        input="lantern cobalt meadow\n",
    )
    assert result.exit_code == 0, result.output
    assert [(e.actor_kind, e.actor_id, e.channel) for e in audit_events(app, "staff.create")] == [
        ("system", None, "system")
    ]
