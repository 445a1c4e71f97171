"""A FHIR scheduling client written from the FHIR R4 specification and the Argonaut scheduling
guide only: it knows resource shapes, search syntax and the $find/$hold/$book operations, and
nothing of this project (no project imports, by design; a test holds this).

It talks through ``send(method, path, headers, body) -> (status, headers, body bytes)``, so the
same client runs over Flask's test client or real HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

Send = Callable[[str, str, dict[str, str], bytes | None], tuple[int, dict[str, str], bytes]]
FHIR_JSON = "application/fhir+json"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    resource: dict[str, Any]

    @property
    def outcome_codes(self) -> list[str]:
        """The codes in an OperationOutcome's issue details (empty for any other resource)."""
        if self.resource.get("resourceType") != "OperationOutcome":
            return []
        return [c["code"] for i in self.resource["issue"] for c in i.get("details", {}).get("coding", [])]


class FhirClient:
    def __init__(self, send: Send, base: str, token: str | None) -> None:
        self.send, self.base, self.token = send, base.rstrip("/"), token

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        headers = {"Accept": FHIR_JSON}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            headers["Content-Type"] = FHIR_JSON
            data = json.dumps(body).encode()
        status, answer_headers, raw = self.send(method, self.base + path, headers, data)
        return Answer(status, answer_headers, json.loads(raw) if raw else {})

    def capabilities(self) -> Answer:
        return self._call("GET", "/metadata")

    def read(self, resource_type: str, ident: str) -> Answer:
        return self._call("GET", f"/{resource_type}/{ident}")

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> Answer:
        return self._call("GET", f"/{resource_type}?{urlencode(params)}")

    def search_all(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every match, following the Bundle's next links."""
        found: list[dict[str, Any]] = []
        answer = self.search(resource_type, params)
        while True:
            assert answer.status == 200, answer.resource
            found += [e["resource"] for e in answer.resource.get("entry", [])]
            following = [link["url"] for link in answer.resource["link"] if link["relation"] == "next"]
            if not following:
                return found
            parts = urlsplit(following[0])
            answer = self._call("GET", parts.path.removeprefix(urlsplit(self.base).path) + "?" + parts.query)

    @staticmethod
    def parameters(*pairs: tuple[str, str, Any]) -> dict[str, Any]:
        """A Parameters resource from (name, value[x] kind, value) triples."""
        return {
            "resourceType": "Parameters",
            "parameter": [{"name": name, kind: value} for name, kind, value in pairs],
        }

    def find(self, service_type: str, start: str, end: str, practitioner: str | None = None) -> Answer:
        pairs = [
            ("service-type", "valueCoding", {"code": service_type}),
            ("start", "valueDate" if len(start) == 10 else "valueDateTime", start),
            ("end", "valueDate" if len(end) == 10 else "valueDateTime", end),
        ]
        if practitioner:
            pairs.append(("practitioner", "valueReference", {"reference": practitioner}))
        return self._call("POST", "/Appointment/$find", self.parameters(*pairs))

    def hold(self, proposal: dict[str, Any]) -> Answer:
        return self._call("POST", "/Appointment/$hold", self.parameters(("appointment", "resource", proposal)))

    def book(self, appointment: dict[str, Any], patient: dict[str, Any]) -> Answer:
        return self._call(
            "POST",
            "/Appointment/$book",
            self.parameters(("appointment", "resource", appointment), ("patient", "resource", patient)),
        )


def patient_resource(given: str, family: str, birth_date: str, phone: str, email: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": [given]}],
        "birthDate": birth_date,
        "telecom": [{"system": "phone", "value": phone}, {"system": "email", "value": email}],
    }


def participant(appointment: dict[str, Any], resource_type: str) -> str | None:
    """The reference of the appointment's first participant of ``resource_type``."""
    for person in appointment.get("participant", []):
        reference = person.get("actor", {}).get("reference", "")
        if reference.startswith(resource_type + "/"):
            return reference
    return None
