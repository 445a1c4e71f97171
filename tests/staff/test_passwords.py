"""Passwords after an account exists (issue 14): each person changes their own (the current one
required, the new one held to the policy of a new account, every other session ended); an
administrator resets someone's (a temporary password shown once, to be changed at the next
sign-in, before anything else opens) and lifts their sign-in pauses. All of it audited.

The services are called as the pages call them, on the real database; the pages through the
test client, signed in through the real sign-in form.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from scheduler.domain.clock import utc_now
from scheduler.domain.errors import NotFound
from scheduler.domain.staff import StaffAccountError
from scheduler.services import staff as accounts
from scheduler.services import staff_passwords
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import account
from tests.staff.conftest import audit_events
from tests.staff.conftest import sign_in

NEW = "violet otter paints quietly"
TEMPORARY = re.compile(r"^[a-hj-km-np-z2-9]{4}(-[a-hj-km-np-z2-9]{4}){3}$")
HERE = "127.0.0.1"
ELSEWHERE = "203.0.113.9"


def change(client, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/staff/password",
        data={"current_password": current, "new_password": new, "confirm_password": new if again is None else again},
    )


def temporary_password_on(html: str) -> str:
    found = re.search(r'<code id="temporary-password">([^<]+)</code>', html)
    assert found, "no temporary password on the page"
    return found.group(1)


def lock_out(app, username: str, address: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for _ in range(5):
            assert accounts.authenticate(username, "wrong password", address).account is None
        assert accounts.authenticate(username, PASSWORD, address).account is None  # waiting, even for the right one


# ----- changing one's own password ---------------------------------------------------------------


def test_a_person_changes_their_own_password_and_signs_in_with_the_new_one_only(app, client, signed_in):
    staff = signed_in(client, "phone")
    page = client.get("/staff/password")
    assert page.status_code == 200 and "Change your password" in page.text
    done = change(client, PASSWORD, NEW)
    assert done.status_code == 303 and done.headers["Location"] == "/staff/"
    assert "Your password is changed" in client.get("/staff/").text  # still signed in, here
    with app.app_context():
        assert accounts.authenticate(staff.username, PASSWORD, ELSEWHERE).account is None
        assert accounts.authenticate(staff.username, NEW, ELSEWHERE).account is not None
    events = audit_events(app, "staff.password_change")
    assert [(e.actor_kind, e.actor_id, e.record_type, e.record_id) for e in events] == [
        ("staff", staff.id, "staff_account", str(staff.id))
    ]
    assert NEW not in events[0].detail and PASSWORD not in events[0].detail


def test_changing_a_password_signs_the_account_out_everywhere_else_and_keeps_this_browser(app, signed_in):
    here, elsewhere, colleague = app.test_client(), app.test_client(), app.test_client()
    staff = signed_in(here, "scheduler")
    assert sign_in(elsewhere, staff.username, PASSWORD, address=ELSEWHERE).status_code == 302
    signed_in(colleague, "scheduler")
    version = account(app, staff.id).session_version
    assert change(here, PASSWORD, NEW).status_code == 303
    assert account(app, staff.id).session_version == version + 1
    assert here.get("/staff/").status_code == 200
    gone = elsewhere.get("/staff/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/staff/login")
    assert colleague.get("/staff/").status_code == 200  # another account's sessions go on


def test_a_wrong_current_password_changes_nothing(app, client, signed_in):
    staff = signed_in(client, "admin")
    refused = change(client, "not my password at all", NEW)
    assert refused.status_code == 422
    assert "Your current password is not right" in refused.text
    assert NEW not in refused.text and "not my password" not in refused.text  # never typed back
    with app.app_context():
        assert accounts.authenticate(staff.username, PASSWORD, ELSEWHERE).account is not None
    assert audit_events(app, "staff.password_change") == []
    assert [e.action for e in audit_events(app, "staff.password_change_failed")] == ["staff.password_change_failed"]


def test_wrong_current_passwords_count_like_wrong_sign_ins_so_a_stolen_session_cannot_guess_faster(
    app, client, signed_in
):
    staff = signed_in(client, "admin")
    for _ in range(5):
        assert change(client, "a wrong guess here", NEW).status_code == 422
    waiting = change(client, PASSWORD, NEW)  # the right one, but this address must wait now
    assert waiting.status_code == 422 and "Too many wrong passwords from this computer: wait" in waiting.text
    with app.app_context():
        assert accounts.authenticate(staff.username, PASSWORD, HERE).account is None  # the same pause
        assert accounts.authenticate(staff.username, PASSWORD, ELSEWHERE).account is not None
        later = utc_now() + timedelta(minutes=2)
        changed = staff_passwords.change_password(staff.id, PASSWORD, NEW, HERE, now=later)
    assert changed.session_version == account(app, staff.id).session_version


@pytest.mark.parametrize(
    ("new", "says"),
    [
        ("short one", "at least 12 characters"),
        ("{username} forever and ever", "Do not put the username in the password"),
        ("password1234", "harder to guess"),
        ("qwertyuiopasdf", "harder to guess"),
        (PASSWORD, "not the one you have now"),
    ],
)
def test_a_new_password_is_held_to_the_policy_of_a_new_account(app, client, signed_in, new, says):
    staff = signed_in(client, "scheduler")
    new = new.format(username=staff.username)
    refused = change(client, PASSWORD, new)
    assert refused.status_code == 422 and says in refused.text
    assert 'id="new_password-error"' in refused.text
    assert audit_events(app, "staff.password_change") == []
    assert audit_events(app, "staff.password_change_failed") == []  # the current one was not even tried


def test_the_new_password_must_be_typed_twice_alike(client, signed_in):
    signed_in(client, "phone")
    refused = change(client, PASSWORD, NEW, again=NEW + "s")
    assert refused.status_code == 422 and "The two new passwords are different" in refused.text


def test_every_role_has_the_change_password_page_in_reach(client, signed_in):
    signed_in(client, "phone")
    assert 'href="/staff/password"' in client.get("/staff/").text


# ----- an administrator resets a password ---------------------------------------------------------


def test_a_reset_gives_a_temporary_password_that_must_be_changed_at_the_next_sign_in(app, staff_user):
    admin, phone = staff_user("admin"), staff_user("phone")
    with app.app_context():
        reset = staff_passwords.reset_password(phone.id, admin_id=admin.id)
        assert TEMPORARY.match(reset.password)
        assert reset.account.must_change_password
        assert accounts.authenticate(phone.username, PASSWORD, HERE).account is None  # the old one stops
        signed = accounts.authenticate(phone.username, reset.password, HERE).account
        assert signed is not None and signed.must_change_password
        changed = staff_passwords.change_password(phone.id, reset.password, NEW, HERE)
        assert not changed.must_change_password
        assert accounts.authenticate(phone.username, reset.password, HERE).account is None  # once only
    events = audit_events(app, "staff.password_reset")
    assert [(e.actor_id, e.record_id) for e in events] == [(admin.id, str(phone.id))]
    assert reset.password not in events[0].detail
    assert "the temporary one replaced" in audit_events(app, "staff.password_change")[0].detail


def test_two_resets_give_two_different_passwords(app, staff_user):
    admin, scheduler = staff_user("admin"), staff_user("scheduler")
    with app.app_context():
        first = staff_passwords.reset_password(scheduler.id, admin_id=admin.id).password
        second = staff_passwords.reset_password(scheduler.id, admin_id=admin.id).password
        assert first != second
        assert accounts.authenticate(scheduler.username, first, HERE).account is None


def test_an_admin_resets_from_the_accounts_page_and_sees_the_password_once(app, client, signed_in, staff_user):
    admin = signed_in(client, "admin")
    phone = staff_user("phone")
    listing = client.get("/staff/admin/staff")
    assert f'href="/staff/admin/staff/{phone.id}/password"' in listing.text
    assert f'href="/staff/admin/staff/{admin.id}/password"' not in listing.text  # their own: change it instead
    confirm = client.get(f"/staff/admin/staff/{phone.id}/password")
    assert confirm.status_code == 200 and f"Reset the password of {phone.username}" in confirm.text
    assert audit_events(app, "staff.password_reset") == []  # looking at the question changes nothing
    shown = client.post(f"/staff/admin/staff/{phone.id}/password")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    password = temporary_password_on(shown.text)
    assert TEMPORARY.match(password)
    assert password not in client.get("/staff/admin/staff").text
    assert "must choose their own at the next sign-in" in client.get("/staff/admin/staff").text
    assert [e.actor_id for e in audit_events(app, "staff.password_reset")] == [admin.id]
    with app.app_context():
        assert accounts.authenticate(phone.username, password, HERE).account is not None


def test_a_reset_ends_the_persons_sessions(app, signed_in, staff_user):
    admin_client, their_client = app.test_client(), app.test_client()
    signed_in(admin_client, "admin")
    scheduler = signed_in(their_client, "scheduler")
    assert admin_client.post(f"/staff/admin/staff/{scheduler.id}/password").status_code == 200
    assert their_client.get("/staff/").status_code == 302


def test_with_a_temporary_password_only_the_change_page_opens_until_a_password_is_chosen(app, signed_in, staff_user):
    admin_client, client = app.test_client(), app.test_client()
    signed_in(admin_client, "admin")
    scheduler = staff_user("scheduler")
    password = temporary_password_on(admin_client.post(f"/staff/admin/staff/{scheduler.id}/password").text)
    arrived = sign_in(client, scheduler.username, password)
    assert arrived.status_code == 302 and arrived.headers["Location"] == "/staff/password"
    page = client.get("/staff/password")
    assert "Choose your own password" in page.text and "temporary password" in page.text
    assert 'aria-label="Staff pages"' in page.text and "/staff/calendar" not in page.text  # no navigation
    for url in ("/staff/", "/staff/calendar", "/staff/queue", "/staff/no-such-page"):
        sent = client.get(url)
        if url == "/staff/no-such-page":
            assert sent.status_code == 404 and "/staff/calendar" not in sent.text
            continue
        assert sent.status_code == 303 and sent.headers["Location"] == "/staff/password", url
    assert client.post("/staff/phone/book").headers["Location"] == "/staff/password"
    assert change(client, password, NEW).status_code == 303
    assert client.get("/staff/calendar").status_code == 200
    assert "/staff/calendar" in client.get("/staff/").text


def test_signing_out_still_works_with_a_temporary_password(app, staff_user):
    admin, phone = staff_user("admin"), staff_user("phone")
    with app.app_context():
        password = staff_passwords.reset_password(phone.id, admin_id=admin.id).password
    client = app.test_client()
    sign_in(client, phone.username, password)
    out = client.post("/staff/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/staff/login"


def test_an_admin_cannot_reset_their_own_password_only_change_it(app, client, signed_in):
    admin = signed_in(client, "admin")
    with app.app_context(), pytest.raises(StaffAccountError, match="Change your password"):
        staff_passwords.reset_password(admin.id, admin_id=admin.id)
    sent = client.post(f"/staff/admin/staff/{admin.id}/password")
    assert sent.status_code == 303 and sent.headers["Location"] == "/staff/password"
    assert audit_events(app, "staff.password_reset") == []
    assert client.get("/staff/").status_code == 200  # and they are still signed in


def test_resetting_an_account_that_does_not_exist_is_not_found(app, client, signed_in):
    admin = signed_in(client, "admin")
    with app.app_context(), pytest.raises(NotFound):
        staff_passwords.reset_password(999_999, admin_id=admin.id)
    assert client.get("/staff/admin/staff/999999/password").status_code == 404
    assert client.post("/staff/admin/staff/999999/password").status_code == 404


# ----- an administrator lifts a lockout ----------------------------------------------------------


def test_an_admin_lifts_the_pause_and_the_person_signs_in_at_once(app, client, signed_in, staff_user):
    admin = signed_in(client, "admin")
    phone = staff_user("phone")
    lock_out(app, phone.username, ELSEWHERE)
    listing = client.get("/staff/admin/staff")
    assert "Sign-in paused" in listing.text and "from 1 address, until" in listing.text
    assert f'action="/staff/admin/staff/{phone.id}/unlock"' in listing.text
    lifted = client.post(f"/staff/admin/staff/{phone.id}/unlock")
    assert lifted.status_code == 303
    assert "can sign in again from anywhere" in client.get("/staff/admin/staff").text
    assert "Sign-in paused" not in client.get("/staff/admin/staff").text
    with app.app_context():
        assert accounts.authenticate(phone.username, PASSWORD, ELSEWHERE).account is not None
    events = audit_events(app, "staff.lockout_lift")
    assert [(e.actor_id, e.record_id, e.detail) for e in events] == [
        (admin.id, str(phone.id), "wrong-password counts cleared (1 address)")
    ]


def test_lifting_when_nothing_is_paused_changes_and_records_nothing(app, client, signed_in, staff_user):
    signed_in(client, "admin")
    scheduler = staff_user("scheduler")
    assert client.post(f"/staff/admin/staff/{scheduler.id}/unlock").status_code == 303
    assert "had no sign-in pauses to lift" in client.get("/staff/admin/staff").text
    assert audit_events(app, "staff.lockout_lift") == []
    assert client.post("/staff/admin/staff/999999/unlock").status_code == 404


def test_a_reset_lifts_the_pause_too_so_the_temporary_password_works_at_once(app, staff_user):
    admin, phone = staff_user("admin"), staff_user("phone")
    lock_out(app, phone.username, HERE)
    with app.app_context():
        reset = staff_passwords.reset_password(phone.id, admin_id=admin.id)
        assert reset.lockouts_lifted == 1
        assert accounts.authenticate(phone.username, reset.password, HERE).account is not None
    assert "sign-in pauses lifted (1 address)" in audit_events(app, "staff.password_reset")[0].detail


@pytest.mark.parametrize("role", ["scheduler", "phone"])
def test_only_an_administrator_resets_or_lifts(app, client, signed_in, staff_user, role):
    signed_in(client, role)
    other = staff_user("phone")
    assert client.get(f"/staff/admin/staff/{other.id}/password").status_code == 403
    assert client.post(f"/staff/admin/staff/{other.id}/password").status_code == 403
    assert client.post(f"/staff/admin/staff/{other.id}/unlock").status_code == 403
    assert audit_events(app, "staff.password_reset") == []


def test_the_sign_in_page_tells_the_truth_about_what_an_administrator_can_do(client):
    page = client.get("/staff/login").text
    assert "Ask an administrator: they can give you a temporary password, or lift the pause at once." in page
