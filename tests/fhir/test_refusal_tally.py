"""Anonymous refused calls cannot flood the audit trail: counted per address and minute instead."""

from __future__ import annotations

from sqlalchemy import select

from scheduler.store import models
from scheduler.store.engine import db
from tests.fhir.test_access import audit_rows

FLOOD = 200


def _tallies(app, action: str = "fhir.refused") -> list[models.RefusalTally]:
    with app.app_context():
        query = select(models.RefusalTally).where(models.RefusalTally.action == action).order_by(models.RefusalTally.id)
        return list(db.session.execute(query).scalars())


def _anonymous_call(client, address: str, n: int):
    # No token, a made-up token and a malformed header: refusals before anyone is identified.
    headers = [{}, {"Authorization": "Bearer sij_not-a-real-token"}, {"Authorization": "Basic abc"}][n % 3]
    return client.get("/fhir/Practitioner", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_two_hundred_anonymous_refused_calls_from_one_address_leave_a_row_a_minute_with_their_count(app, client):
    statuses = {_anonymous_call(client, "10.0.0.7", n).status_code for n in range(FLOOD)}
    assert statuses == {401}
    tallies = _tallies(app)
    # Within a minute, unless the calls straddled a minute's end: at most one row for each minute.
    assert 1 <= len(tallies) <= 2
    assert sum(t.count for t in tallies) == FLOOD
    assert {t.client for t in tallies} == {"10.0.0.7"}
    refused = audit_rows(app, "fhir.refused")
    assert len(refused) == len(tallies)
    assert all(r.actor_kind == "api" and "from 10.0.0.7, first this minute" in r.detail for r in refused)


def test_each_address_is_counted_on_its_own_and_identified_calls_keep_a_row_each(app, client, fhir_client):
    for n in range(5):
        _anonymous_call(client, "10.0.0.7", n)
        _anonymous_call(client, "10.0.0.8", n)
    counted: dict[str, int] = {}
    for tally in _tallies(app):
        counted[tally.client] = counted.get(tally.client, 0) + tally.count
    assert counted == {"10.0.0.7": 5, "10.0.0.8": 5}
    # A client whose token is valid is identified: its refusals (a scope it lacks) are rows of its own.
    reader = fhir_client("read")
    rows_before = len(audit_rows(app, "fhir.refused"))
    for _ in range(3):
        assert reader._call("POST", "/Appointment/$hold", {"resourceType": "Parameters"}).status == 403
    assert len(audit_rows(app, "fhir.refused")) == rows_before + 3


def test_an_ipv6_client_is_counted_by_its_network(app, client):
    for host in range(1, 6):
        assert _anonymous_call(client, f"2001:db8:5:6::{host}", 0).status_code == 401
    tallies = _tallies(app)
    assert {t.client for t in tallies} == {"2001:db8:5:6::/64"} and sum(t.count for t in tallies) == 5
