"""Who may call /fhir: tokens, scopes, revocation, the audit trail and the rate limit."""

from __future__ import annotations

from sqlalchemy import select

from scheduler.services.integrations import authenticate
from scheduler.services.integrations import revoke_api_client
from scheduler.services.integrations import token_hash
from scheduler.store import models
from scheduler.store.engine import db
from tests.conftest import make_app
from tests.conftest import next_clinic_day
from tests.fhir.conftest import validate
from tests.fhir.spec_client import FhirClient
from tests.fhir.spec_client import patient_resource

ANN = patient_resource("Ann", "Lee", "1970-02-03", "507-555-0101", "ann.lee@example.com")


def audit_rows(app, action: str | None = None) -> list[models.AuditEvent]:
    with app.app_context():
        query = select(models.AuditEvent).order_by(models.AuditEvent.id)
        if action:
            query = query.filter_by(action=action)
        return list(db.session.execute(query).scalars())


def test_the_capability_statement_is_public_and_everything_else_needs_a_token(client, fhir_client, clinic):
    anonymous = fhir_client(token=None)
    metadata = anonymous.capabilities()
    assert metadata.status == 200 and metadata.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    validate(metadata.resource)
    for path in ("/Practitioner", "/Slot?status=busy", "/Appointment", f"/Practitioner/{clinic['adams']}"):
        answer = anonymous._call("GET", path)
        assert answer.status == 401, path
        assert answer.outcome_codes == ["unauthorized"] and answer.resource["issue"][0]["code"] == "login"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        validate(answer.resource)
    assert anonymous.find("evaluation", "2030-01-07", "2030-01-08").status == 401
    assert FhirClient(anonymous.send, "/fhir", "sij_not-a-real-token").capabilities().status == 200
    assert FhirClient(anonymous.send, "/fhir", "sij_not-a-real-token").read("Location", "clinic").status == 401


def test_a_read_only_token_reads_and_finds_but_may_not_hold_or_book(app, clinic, fhir_client):
    reader = fhir_client("read")
    day = next_clinic_day(after_days=3)
    assert reader.read("Location", "clinic").status == 200
    found = reader.find("evaluation", day.isoformat(), day.isoformat())
    assert found.status == 200
    proposal = found.resource["entry"][0]["resource"]
    for answer in (reader.hold(proposal), reader.book(proposal, ANN)):
        assert answer.status == 403 and answer.outcome_codes == ["forbidden"]
        validate(answer.resource)
    with app.app_context():
        assert db.session.execute(select(models.Appointment)).first() is None
        assert db.session.execute(select(models.Hold)).first() is None
    refused = audit_rows(app, "fhir.refused")
    assert len(refused) == 2 and all(r.actor_kind == "api" and "needs scope book" in r.detail for r in refused)


def test_a_revoked_token_is_refused_from_its_next_call_even_when_another_process_revoked_it(
    app, database_url, clinic, api_token, fhir_client
):
    token = api_token("read", "book")
    ehr = fhir_client(token=token)
    assert ehr.read("Location", "clinic").status == 200
    assert ehr.read("Location", "clinic").status == 200  # now remembered by this app's token check
    other = make_app(database_url)  # another process: its own caches, the same database
    with other.app_context():
        client_id = authenticate(token).caller.id
        revoke_api_client(client_id)
        revoke_api_client(client_id)  # harmless twice
        db.engine.dispose()
    answer = ehr.read("Location", "clinic")
    assert answer.status == 401 and answer.outcome_codes == ["unauthorized"]
    assert "revoked" in answer.resource["issue"][0]["details"]["text"]
    last = audit_rows(app)[-1]
    assert (last.action, last.actor_id, "; revoked token;" in last.detail) == ("fhir.refused", client_id, True)


def test_only_a_hash_of_the_token_is_stored(app, api_token):
    token = api_token("read")
    with app.app_context():
        row = db.session.execute(select(models.ApiClient)).scalar_one()
    assert row.token_hash == token_hash(token) and token not in row.token_hash and row.scopes == "read"


def test_every_call_leaves_an_audit_row_and_patient_reads_name_the_patient(app, clinic, fhir_client):
    ehr = fhir_client("read", "book")
    day = next_clinic_day(after_days=3)
    proposal = ehr.find("evaluation", day.isoformat(), day.isoformat()).resource["entry"][0]["resource"]
    booked = ehr.book(proposal, ANN).resource
    patient_id = int(
        next(p for p in booked["participant"] if "Patient/" in p["actor"]["reference"])["actor"]["reference"].split(
            "/"
        )[1]
    )
    ehr.read("Patient", str(patient_id))
    ehr.read("Appointment", booked["id"])
    ehr.search("Appointment", [("practitioner", f"Practitioner/{clinic['adams']}")])
    ehr.read("Patient", "999999")
    rows = audit_rows(app)
    actions = [r.action for r in rows]
    assert actions[:6] == ["api_client.create", "fhir.find", "fhir.book", "fhir.read", "fhir.read", "fhir.search"]
    calls = rows[1:]
    assert all(r.actor_kind == "api" and r.channel == "api" for r in calls)
    assert [r.patient_id for r in calls[2:4]] == [patient_id, patient_id]
    assert calls[-1].detail.endswith("404") and calls[-1].patient_id is None
    assert not any("Lee" in r.detail or "1970" in r.detail for r in rows)  # no PHI in the trail's notes


def test_the_fhir_rate_limit_answers_with_an_operation_outcome(app, database_url, clinic, api_token):
    token = api_token("read")
    limited = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_FHIR="2 per minute")
    client = limited.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [client.get("/fhir/Location", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/fhir/Location", headers=headers)
    assert refused.mimetype == "application/fhir+json" and refused.json["issue"][0]["code"] == "throttled"
    with limited.app_context():
        db.engine.dispose()


def test_unknown_paths_and_methods_under_fhir_answer_as_operation_outcomes(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('read')}"}
    for method, path, status in (
        ("GET", "/fhir/Encounter", 404),
        ("DELETE", "/fhir/Location/clinic", 405),
        # The operation's URL, which answers POST only: '$hold' is never read as an Appointment's id.
        ("GET", "/fhir/Appointment/$hold", 405),
    ):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == status, path
        assert response.json["resourceType"] == "OperationOutcome"
        validate(response.json)
