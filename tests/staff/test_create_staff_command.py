"""``flask create-staff``: the password is asked for twice and hidden, weak ones are refused."""

from __future__ import annotations

from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import audit_events
from tests.staff.conftest import sign_in

GOOD = "long enough passphrase"


def _accounts(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(models.StaffAccount).order_by(models.StaffAccount.id)).scalars()
        return [(a.username, a.display_name, a.role) for a in rows]


def test_an_admin_account_is_created_with_a_password_typed_twice_and_can_sign_in(app, runner, client):
    result = runner.invoke(
        args=["create-staff", "Dana.Smith", "--role", "admin", "--name", "Dana Smith"], input=f"{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account dana.smith (Dana Smith)." in result.output
    assert GOOD not in result.output  # hidden while typed
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert _accounts(app) == [("dana.smith", "Dana Smith", "admin")]
    with app.app_context():
        stored = db.session.execute(select(models.StaffAccount.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert sign_in(client, "dana.smith", GOOD).status_code == 302
    assert [e.detail for e in audit_events(app, "staff.create")] == ["role admin"]


def test_two_different_passwords_are_asked_again(app, runner):
    typed = f"{GOOD}\nsomething else entirely\n{GOOD}\n{GOOD}\n"
    result = runner.invoke(args=["create-staff", "sam", "--role", "scheduler", "--name", "Sam"], input=typed)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert _accounts(app) == [("sam", "Sam", "scheduler")]


def test_a_password_shorter_than_twelve_characters_is_refused(app, runner):
    result = runner.invoke(
        args=["create-staff", "sam", "--role", "phone", "--name", "Sam"], input="short-pw1\nshort-pw1\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert _accounts(app) == []


def test_the_password_can_come_from_standard_input_for_scripts(app, runner, client):
    result = runner.invoke(
        args=["create-staff", "robo", "--role", "phone", "--name", "Robo Caller", "--password-stdin"],
        input=f"{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output  # no prompt
    assert sign_in(client, "robo", GOOD).status_code == 302


def test_a_taken_username_a_bad_username_and_an_unknown_role_are_refused(app, runner):
    args = ["create-staff", "dana", "--role", "admin", "--name", "Dana", "--password-stdin"]
    assert runner.invoke(args=args, input=f"{GOOD}\n").exit_code == 0
    again = runner.invoke(args=["create-staff", "DANA", *args[2:]], input=f"{GOOD}\n")
    assert again.exit_code == 1 and "already an account called dana" in again.output
    spaced = runner.invoke(args=["create-staff", "dana smith", *args[2:]], input=f"{GOOD}\n")
    assert spaced.exit_code == 1 and "letters, digits" in spaced.output
    named = runner.invoke(args=["create-staff", "sam", *args[2:]], input="sam-is-my-password\n")
    assert named.exit_code == 1 and "username in the password" in named.output
    role = runner.invoke(args=["create-staff", "sam", "--role", "root", "--name", "Sam", "--password-stdin"])
    assert role.exit_code == 2 and "'root' is not one of" in role.output
    assert _accounts(app) == [("dana", "Dana", "admin")]
