"""Admin pages for API clients and calendar feeds: a token is shown once (in the answer to the post
that made it, never in an address), works, and stops working when revoked after a confirmation;
admins only; audited with the admin as actor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import select

from scheduler.domain import time_words
from scheduler.domain.clock import utc_now
from scheduler.services import integrations
from scheduler.services.integrations import create_api_client
from scheduler.services.integrations import create_feed
from scheduler.store import models
from scheduler.store.engine import db

FHIR = "application/fhir+json"


def text(response):
    return response.get_data(as_text=True)


def audit_rows(app, action):
    with app.app_context():
        return list(db.session.execute(select(models.AuditEvent).where(models.AuditEvent.action == action)).scalars())


def fhir_read(client, token):
    return client.get("/fhir/Practitioner", headers={"Authorization": f"Bearer {token}", "Accept": FHIR})


def test_an_admin_creates_an_api_client_sees_the_token_once_and_it_works_until_revoked(app, signed_in):
    client = app.test_client()
    admin = signed_in(client, "admin")
    made = client.post("/staff/admin/api-clients", data={"name": "Epic  EHR", "scopes": ["read"]})
    assert made.status_code == 200 and "no-store" in made.headers["Cache-Control"]
    page = text(made)
    token = re.search(r'<code id="token">(sij_[^<]+)</code>', page).group(1)
    assert "will not be shown again" in page
    assert made.request.path == "/staff/admin/api-clients"  # the token is in no address
    listed = client.get("/staff/admin/api-clients")
    assert listed.status_code == 200 and token not in text(listed)
    assert "Epic EHR" in text(listed) and "<td>Never</td>" in text(listed) and "Active" in text(listed)

    outsider = app.test_client()
    assert fhir_read(outsider, token).status_code == 200
    assert fhir_read(outsider, "sij_not-a-token").status_code == 401

    with app.app_context():
        client_id = db.session.execute(select(models.ApiClient.id)).scalar_one()
    confirm = client.get(f"/staff/admin/api-clients/{client_id}/revoke")
    assert confirm.status_code == 200 and "Revoke API client" in text(confirm)
    assert fhir_read(outsider, token).status_code == 200  # asking is not revoking
    revoked = client.post(f"/staff/admin/api-clients/{client_id}/revoke")
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith("/staff/admin/api-clients")
    assert fhir_read(outsider, token).status_code == 401
    assert "Revoked" in text(client.get("/staff/admin/api-clients"))

    for action in ("api_client.create", "api_client.revoke"):
        (row,) = audit_rows(app, action)
        assert (row.actor_kind, row.actor_id, row.record_id) == ("staff", admin.id, str(client_id))
    with app.app_context():
        details = " ".join(e.detail or "" for e in db.session.execute(select(models.AuditEvent)).scalars())
    assert token not in details


def test_an_api_client_needs_a_name_and_a_scope(app, signed_in):
    client = app.test_client()
    signed_in(client, "admin")
    refused = client.post("/staff/admin/api-clients", data={"name": ""})
    assert refused.status_code == 422 and "Enter a name" in text(refused)
    with app.app_context():
        assert db.session.execute(select(models.ApiClient)).first() is None


def test_an_admin_creates_a_calendar_feed_sees_its_address_once_and_revokes_it(app, signed_in, make_provider):
    provider_id = make_provider("pmr", name="Dr. Feed")
    client = app.test_client()
    admin = signed_in(client, "admin")
    form = client.get("/staff/admin/calendar-feeds")
    assert form.status_code == 200 and "Dr. Feed" in text(form)
    made = client.post(
        "/staff/admin/calendar-feeds", data={"staff": str(admin.id), "target": f"provider-{provider_id}"}
    )
    assert made.status_code == 200 and "will not be shown again" in text(made)
    url = re.search(r'<code id="token">([^<]+\.ics)</code>', text(made)).group(1)
    path = url[url.index("/feeds/") :]
    assert path.rsplit("/", 1)[1][:-4] not in text(client.get("/staff/admin/calendar-feeds"))

    outsider = app.test_client()
    assert outsider.get(path).status_code == 200
    with app.app_context():
        feed_id = db.session.execute(select(models.CalendarFeed.id)).scalar_one()
    assert "Revoke calendar feed" in text(client.get(f"/staff/admin/calendar-feeds/{feed_id}/revoke"))
    assert client.post(f"/staff/admin/calendar-feeds/{feed_id}/revoke").status_code == 302
    assert outsider.get(path).status_code == 404

    for action in ("calendar_feed.create", "calendar_feed.revoke"):
        (row,) = audit_rows(app, action)
        assert (row.actor_kind, row.actor_id, row.record_id) == ("staff", admin.id, str(feed_id))


def test_a_specialty_feed_can_be_made(app, signed_in):
    client = app.test_client()
    admin = signed_in(client, "admin")
    made = client.post("/staff/admin/calendar-feeds", data={"staff": str(admin.id), "target": "specialty-pmr"})
    assert made.status_code == 200
    with app.app_context():
        feed = db.session.execute(select(models.CalendarFeed)).scalar_one()
    assert feed.scope == "specialty" and feed.provider_id is None


@pytest.mark.parametrize("role", ["scheduler", "phone"])
def test_other_roles_get_403(app, signed_in, role):
    client = app.test_client()
    signed_in(client, role)
    for url in ("/staff/admin/api-clients", "/staff/admin/calendar-feeds",
                "/staff/admin/api-clients/1/revoke", "/staff/admin/calendar-feeds/1/revoke"):  # fmt: skip
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


# ----- when each token was last used -----------------------------------------------------------------


class Writes:
    """Counts the UPDATE statements on ``table`` the app sends while open (a real engine event)."""

    def __init__(self, app, table):
        self.app, self.table, self.count = app, table, 0

    def _seen(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE") and f"UPDATE {self.table} " in statement:
            self.count += 1

    def __enter__(self):
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        with self.app.app_context():
            event.remove(db.engine, "before_cursor_execute", self._seen)


def _last_used(app, model, record_id):
    with app.app_context():
        return db.session.get(model, record_id).last_used_at


def _revision(app, name):
    with app.app_context():
        return db.session.execute(select(models.Revision.value).where(models.Revision.name == name)).scalar_one()


def test_an_api_client_s_last_use_is_recorded_on_a_call_and_shown_on_its_admin_page(app, signed_in):
    with app.app_context():
        made = create_api_client("Epic EHR", ("read",))
    admin = app.test_client()
    signed_in(admin, "admin")
    assert re.search(r"<td>Epic EHR</td><td>read</td><td>[^<]+</td><td>Never</td>", text(admin.get(
        "/staff/admin/api-clients")))  # fmt: skip
    revision = _revision(app, "api_clients")
    before = utc_now()
    assert fhir_read(app.test_client(), made.token).status_code == 200
    used = _last_used(app, models.ApiClient, made.client.id)
    assert used is not None and before <= used <= utc_now()
    # Noting a use is not a change to what the token opens: every process's checked tokens stand.
    assert _revision(app, "api_clients") == revision
    listed = text(admin.get("/staff/admin/api-clients"))
    assert f"<td>Epic EHR</td><td>read</td><td>{time_words.short_when(made.client.created_at)}</td>" \
           f"<td>{time_words.short_when(used)}</td>" in listed  # fmt: skip
    assert fhir_read(app.test_client(), "sij_not-a-token").status_code == 401  # an unknown token notes nothing


def test_last_used_is_written_at_most_once_a_minute_per_token_not_once_a_call(app, app_with):
    with app.app_context():
        one = create_api_client("Portal", ("read",))
        other = create_api_client("Call centre", ("read",))
    caller = app.test_client()
    with Writes(app, "api_client") as writes:
        for _ in range(5):
            assert fhir_read(caller, one.token).status_code == 200
            assert fhir_read(caller, other.token).status_code == 200
    assert writes.count == 2  # one per token, not ten
    first = _last_used(app, models.ApiClient, one.client.id)
    # Another process (another app: its own memory) in the same minute: its UPDATE changes nothing.
    elsewhere = app_with()
    with Writes(elsewhere, "api_client") as writes:
        assert fhir_read(elsewhere.test_client(), one.token).status_code == 200
    assert writes.count == 1 and _last_used(app, models.ApiClient, one.client.id) == first
    # A minute on, it moves.
    later = first + timedelta(seconds=61)
    with app.app_context():
        integrations.note_api_client_used(one.client.id, now=later)
    assert _last_used(app, models.ApiClient, one.client.id) == later


def test_a_calendar_feed_s_last_fetch_is_recorded_once_a_minute_and_shown_on_its_admin_page(
    app, signed_in, make_provider
):
    provider_id = make_provider("pmr", name="Dr. Feed")
    admin = app.test_client()
    me = signed_in(admin, "admin")
    with app.app_context():
        made = create_feed(me.id, provider_id=provider_id)
    assert "<td>Never</td>" in text(admin.get("/staff/admin/calendar-feeds"))
    reader = app.test_client()
    with Writes(app, "calendar_feed") as writes:
        for _ in range(3):
            assert reader.get(f"/feeds/{made.token}.ics").status_code == 200
    assert writes.count == 1 and len(audit_rows(app, "calendar_feed.read")) == 3  # every fetch still audited
    used = _last_used(app, models.CalendarFeed, made.feed.id)
    assert used is not None
    assert f"<td>{time_words.short_when(used)}</td>" in text(admin.get("/staff/admin/calendar-feeds"))
