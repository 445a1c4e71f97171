"""The lockout protects accounts without handing out lockouts: wrong passwords are counted per
account and client address, and every failed sign-in answers alike (text, status and time)."""

from __future__ import annotations

import statistics
import time

from sqlalchemy import func
from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import audit_events
from tests.staff.conftest import sign_in

STRANGER = "10.0.0.7"
COLLEAGUE = "10.0.0.8"


def _tally(app, action: str) -> int:
    with app.app_context():
        tally = models.RefusalTally
        return int(
            db.session.execute(select(func.coalesce(func.sum(tally.count), 0)).where(tally.action == action)).scalar()
        )


def test_a_colleague_signs_in_from_their_own_address_while_a_stranger_guesses_at_their_account(app, staff_user):
    colleague = staff_user("admin")
    stranger, own_desk = app.test_client(), app.test_client()
    for round_ in range(4):
        guesses = [sign_in(stranger, colleague.username, f"guess {round_}-{n}", address=STRANGER) for n in range(5)]
        assert {g.status_code for g in guesses} == {422}
        # The stranger is made to wait: even the right password from their address is refused...
        assert sign_in(stranger, colleague.username, PASSWORD, address=STRANGER).status_code == 422
        # ...while the colleague, at their own address, signs in as usual every time.
        signed = sign_in(own_desk, colleague.username, PASSWORD, address=COLLEAGUE)
        assert signed.status_code == 302 and signed.headers["Location"] == "/staff/"
        assert own_desk.get("/staff/").status_code == 200
        own_desk.post("/staff/logout")
    with app.app_context():
        stranger_run = db.session.get(models.SignInGuard, (colleague.id, STRANGER))
        assert stranger_run is not None and stranger_run.failures == 5  # waiting: later tries not counted
        assert db.session.get(models.SignInGuard, (colleague.id, COLLEAGUE)) is None


def test_a_right_password_ends_only_its_own_addresses_run(app, staff_user):
    colleague = staff_user("scheduler")
    client = app.test_client()
    for _ in range(3):
        sign_in(client, colleague.username, "not it at all", address=STRANGER)
        sign_in(client, colleague.username, "not it either", address=COLLEAGUE)
    assert sign_in(client, colleague.username, PASSWORD, address=COLLEAGUE).status_code == 302
    with app.app_context():
        assert db.session.get(models.SignInGuard, (colleague.id, COLLEAGUE)) is None
        assert db.session.get(models.SignInGuard, (colleague.id, STRANGER)).failures == 3


def _answer(client, username: str, password: str, address: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    response = sign_in(client, username, password, address=address)
    took = time.perf_counter() - started
    return response.status_code, response.text.replace(username, "USERNAME"), took


def test_unknown_wrong_and_waiting_sign_ins_answer_alike_in_text_status_and_time(app, client, staff_user):
    staff = staff_user("admin", username="real-person")
    for _ in range(5):
        sign_in(client, staff.username, "wrong wrong wrong", address="10.9.9.9")
    samples = 7
    unknown = [_answer(client, "no-such-person", "wrong wrong wrong", "10.9.9.9") for _ in range(samples)]
    # A fresh address for each wrong password, so none of them is made to wait.
    wrong = [_answer(client, staff.username, "wrong wrong wrong", f"10.8.0.{n}") for n in range(samples)]
    waiting = [_answer(client, staff.username, PASSWORD, "10.9.9.9") for _ in range(samples)]
    answers = {(status, text) for status, text, _ in unknown + wrong + waiting}
    assert len(answers) == 1, "the three kinds of failure must not be told apart"
    status, text = answers.pop()
    assert status == 422 and "Username or password is wrong" in text and "wait" in text
    medians = [statistics.median(took for _, _, took in kind) for kind in (unknown, wrong, waiting)]
    # Each costs one argon2 check; the database work differs by a write or two.
    assert max(medians) / min(medians) < 3, medians
    assert client.get("/staff/").status_code == 302


def test_failed_sign_ins_are_counted_not_written_down_one_by_one(app, client, staff_user):
    staff = staff_user("admin")
    for n in range(30):
        sign_in(client, f"guess-{n}", "whatever password", address=STRANGER)
    for _ in range(12):
        sign_in(client, staff.username, "wrong wrong wrong", address=STRANGER)
    failed = audit_events(app, "staff.login_failed")
    refused = audit_events(app, "staff.login_refused")
    # One row a minute per address for unknown names, and per address and account for a known
    # account (two minutes at most, should the test straddle a minute's end).
    assert 2 <= len(failed) <= 4 and 1 <= len(refused) <= 2
    assert _tally(app, "staff.login_failed") == 30 + 5  # five wrong passwords were checked...
    assert _tally(app, "staff.login_refused") == 12 - 5  # ...the other seven were made to wait
    with app.app_context():
        everything = " ".join(str(row) for row in db.session.execute(select(models.RefusalTally)).scalars())
        subjects = set(db.session.execute(select(models.RefusalTally.subject)).scalars())
    assert "guess-" not in everything  # unknown usernames are never written down
    assert subjects == {"", f"staff_account:{staff.id}"}
