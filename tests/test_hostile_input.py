"""Hostile input everywhere: a NUL byte, other control characters and the years 1 and 9999, in every
path segment, query parameter, form field and JSON body of the app (walked from the URL map, the
pages' own forms and the two OpenAPI documents), as an anonymous caller and as each staff role.

Never a 5xx; the known cases are a 4xx whose answer names the field. PostgreSQL refuses a NUL in
text (on SQLite it would be stored), so run this on both:
``SCHEDULER_TEST_DATABASE_URL=postgresql://... pytest tests/test_hostile_input.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from scheduler.delivery.sms import twilio_signature
from scheduler.domain.patients import PatientDetails
from scheduler.domain.routing import Intake
from scheduler.services import requests as visit_requests
from scheduler.services.integrations import create_api_client
from scheduler.web.api.openapi import openapi_document as api_document
from scheduler.web.auth import roles_of
from scheduler.web.fhir.openapi import openapi_document as fhir_document
from scheduler.web.sane_input import CONTROL_MESSAGE
from scheduler.web.sane_input import YEAR_MESSAGE
from tests.conftest import booking_json
from tests.conftest import central
from tests.conftest import next_clinic_day
from tests.conftest import patient_json
from tests.staff.conftest import PASSWORD
from tests.staff.conftest import signed_in  # noqa: F401
from tests.staff.conftest import staff_user  # noqa: F401

NUL = "Le\x00e"
CONTROL = "Le\x1be"  # ESC: not a NUL, still nothing a person types
YEAR_1, YEAR_9999 = "0001-01-01", "9999-12-31"
HOSTILE_TEXT = (NUL, CONTROL)
HOSTILE_DAYS = (YEAR_1, YEAR_9999)
ROLES = ("anonymous", "admin", "scheduler", "phone")
# Every query parameter a view of ours reads, and those that are dates.
QUERY_NAMES = (
    "day",
    "week",
    "from",
    "specialty",
    "code",
    "next",
    "page",
    "patient_id",
    "first_day",
    "last_day",
    "status",
    "kind",
    "channel",
    "visit_type",
    "days",
    "provider",
    "service-type",
    "start",
    "end",
    "practitioner",
    "date",
    "_count",
    "_offset",
    "_id",
    "actor",
    "schedule",
    "identifier",
    "patient",
)
DATE_NAMES = ("day", "week", "from", "first_day", "last_day", "start", "end", "date")
# Pages that must refuse an out-of-range year in their date parameter with a 4xx naming it.
DATE_REFUSALS = {
    ("staff.calendar_day", "day"),
    ("staff.calendar_week", "week"),
    ("staff.calendar_rooms", "day"),
    ("staff.day_list", "day"),
    ("staff.day_list_csv", "day"),
    ("staff.visit_move", "from"),
}
SKIPPED_ACTIONS = ("/staff/logout", "/staff/login")  # signing out would end the walk for that role


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def report(failures: list[tuple[Any, ...]]) -> str:
    return f"{len(failures)} failed:\n" + "\n".join(repr(failure)[:300] for failure in failures)


def server_error(response: Any) -> bool:
    return response.status_code >= 500


# ----- the world the walk runs in ----------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, int]
    reference: str
    token: str
    api_token: str
    signed_in: Callable[[str], FlaskClient]
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        """A client signed in as ``role`` (signed in when first asked: a password hash is slow)."""
        if role not in self.clients:
            self.clients[role] = self.signed_in(role)
        return self.clients[role]


@pytest.fixture
def world(app: Flask, make_provider, make_room, signed_in) -> World:  # noqa: F811
    """A clinic with a provider and a room, one booked visit (API), one queued request, a closure,
    a provider's time off, a signed-in admin, and clients of the other roles on demand."""
    provider = make_provider("pmr")
    make_provider("radiology-pain")
    room = make_room("fluoroscopy")
    day = next_clinic_day(after_days=3)
    anonymous = app.test_client()
    booked = anonymous.post("/api/v1/appointments", json=booking_json(central(day, 9)))
    assert booked.status_code == 201, booked.json
    with app.app_context():
        request_id = visit_requests.submit_request(
            intake=Intake("injection", True, "trauma", True),
            patient=PatientDetails("Bo", "Ray", date(1980, 5, 6), "+15075550102", "bo@example.com"),
            preferences={"days": ["monday"]},
            channel="web",
        ).request.id
        token = create_api_client("Hostile EHR", ("read", "book")).token

    def sign(role: str) -> FlaskClient:
        client = app.test_client()
        staff_ids[role] = signed_in(client, role).id
        return client

    staff_ids: dict[str, int] = {}
    admin = sign("admin")
    later = next_clinic_day(after_days=20).isoformat()
    assert admin.post("/staff/admin/closures", data={"day": later, "name": "Staff day"}).status_code in (302, 303)
    added = admin.post(
        f"/staff/admin/providers/{provider}/time-off", data={"first_day": later, "last_day": later, "reason": "Course"}
    )
    assert added.status_code in (302, 303)
    ids = {
        "provider_id": provider,
        "room_id": room,
        "appointment_id": 1,
        "request_id": request_id,
        "closure_id": 1,
        "time_off_id": 1,
        "account_id": staff_ids["admin"],
        "message_id": 1,
        "patient_id": 1,
    }
    return World(
        ids,
        booked.json["reference"],
        booked.json["manage_token"],
        token,
        sign,
        {"anonymous": anonymous, "admin": admin},
    )


def rules(app: Flask) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


VALID_STRINGS = {"ident": "1", "name": "urgent", "change": "up", "state": "inactive"}


def fill(rule: Any, world: World, hostile: tuple[str, str] | None = None) -> str:
    """The rule's path with each variable filled: ids of the world's rows, its reference and token,
    and ``hostile`` = (variable, value) in place of one of them."""

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if hostile and hostile[0] == name:
            return quote(hostile[1], safe="")
        if (match.group("converter") or "").startswith("int"):
            return str(world.ids.get(name, 1))
        known = {"reference": world.reference, "token": world.token, **VALID_STRINGS}
        return quote(known.get(name, "x"), safe="")

    return re.sub(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>[^<>]+)>", value, rule.rule)


def string_variables(rule: Any) -> list[str]:
    return [name for name, converter in rule._converters.items() if not type(converter).__name__.startswith("Int")]


def headers_for(path: str, world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_token}"} if path.startswith("/fhir") else {}


def opens(client: FlaskClient, role: str, rule: Any) -> bool:
    """Whether ``role`` may open the rule's view at all (staff views say who may)."""
    with client.application.test_request_context():
        allowed = roles_of(rule.endpoint)
    return allowed is None or role in allowed


def send(client: FlaskClient, method: str, path: str, world: World, **kwargs: Any) -> Any:
    response = client.open(path, method=method, headers=headers_for(path, world), **kwargs)
    response.get_data()  # read a streamed answer (the day list's CSV) to its end, in its context
    response.close()
    return response


# ----- paths and query strings -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_path_segment_or_query_parameter_with_a_control_character_reaches_a_view(app, world, role):
    client, failures = world.client(role), []
    for rule in rules(app):
        if not opens(client, role, rule):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for variable in string_variables(rule):
            for hostile in HOSTILE_TEXT:
                for method in methods:
                    response = send(client, method, fill(rule, world, (variable, hostile)), world)
                    if not 400 <= response.status_code < 500:
                        failures.append((method, rule.rule, variable, repr(hostile), response.status_code))
        if "GET" not in methods:
            continue
        for hostile in HOSTILE_TEXT:
            query = urlencode({name: hostile for name in QUERY_NAMES})
            response = send(client, "GET", f"{fill(rule, world)}?{query}", world)
            if not (400 <= response.status_code < 500 and QUERY_NAMES[0] in text_of(response)):
                failures.append(("GET", rule.rule, "query", repr(hostile), response.status_code))
    assert not failures, report(failures)


def date_names(rule: Any) -> tuple[str, ...]:
    """The date parameters the views of the rule's area read."""
    if rule.rule.startswith("/staff"):
        return ("day", "week", "from", "first_day", "last_day")
    if rule.rule.startswith("/fhir"):
        return ("start", "end", "date")
    return ("from",) if rule.rule.startswith(("/api", "/request", "/manage")) else ()


# Every staff page opens for an admin; the other roles see the same views (fewer of them).
@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_years_1_and_9999_in_a_date_parameter_are_never_a_server_error(app, world, role):
    client, failures = world.client(role), []
    for rule in rules(app):
        if "GET" not in rule.methods or not opens(client, role, rule) or rule.endpoint.endswith("openapi"):
            continue
        for name in date_names(rule):
            times = (f"{YEAR_9999}T23:30:00-06:00", f"{YEAR_1}T00:30:00+01:00") if name in ("start", "end") else ()
            for hostile in (*HOSTILE_DAYS, *times):
                response = send(client, "GET", f"{fill(rule, world)}?{urlencode({name: hostile})}", world)
                refused = 400 <= response.status_code < 500 and name in text_of(response)
                if server_error(response) or (
                    (rule.endpoint, name) in DATE_REFUSALS and role != "anonymous" and not refused
                ):
                    failures.append((rule.rule, name, hostile, response.status_code))
    assert not failures, report(failures)


def test_the_known_date_parameters_are_refused_naming_them(client, world):
    headers = {"Authorization": f"Bearer {world.api_token}"}
    for hostile in (*HOSTILE_DAYS, f"{YEAR_9999}T08:00:00-06:00"):
        found = client.get(
            f"/fhir/Appointment/$find?service-type=evaluation&start={quote(hostile)}&end=2027-03-09", headers=headers
        )
        assert found.status_code == 400 and "start" in json.dumps(found.json), (hostile, found.json)
    for hostile in HOSTILE_DAYS:
        listed = client.get(f"/api/v1/availability?visit_type=evaluation&from={hostile}")
        assert listed.status_code == 422 and "from" in listed.json["fields"]
    calendar = world.client("scheduler").get(f"/staff/calendar?day={YEAR_9999}")
    # The calendar again, with the problem in its summary, linked to the day field to fix.
    assert calendar.status_code == 422 and f'<a href="#day">{YEAR_MESSAGE}</a>' in text_of(calendar)
    csv = world.client("admin").get(f"/staff/day-list/{world.ids['provider_id']}.csv?day={YEAR_9999}")
    assert csv.status_code == 422 and "day: " + YEAR_MESSAGE in text_of(csv)


def test_the_patients_time_page_refuses_years_1_and_9999_naming_from(app, world):
    from tests.public.conftest import answer_questions

    app.config["SESSION_COOKIE_SECURE"] = False
    web = app.test_client()
    answer_questions(web)
    assert web.get("/request/time").status_code == 200
    for hostile in HOSTILE_DAYS:
        response = web.get(f"/request/time?from={hostile}")
        assert response.status_code == 422 and "from: " + YEAR_MESSAGE in text_of(response)


def test_a_manage_link_with_a_nul_is_not_found_and_never_reaches_the_database(client, world):
    for suffix in ("", "/cancel", "/reschedule", "/reschedule/check"):
        for path in (
            f"/manage/{world.reference}%00/{world.token}{suffix}",
            f"/manage/{world.reference}/{world.token}%00{suffix}",
        ):
            for method in ("GET", "POST"):
                response = client.open(path, method=method)
                assert response.status_code == 404 and "Page not found" in text_of(response), (method, path)


# A hypothesis walk of the URL map: any rule, any string variable or query parameter, any text
# holding a control character somewhere.
def with_control(characters: list[str]) -> st.SearchStrategy[str]:
    """Text holding one of ``characters`` somewhere among other (printable or not) text."""
    return st.builds(
        lambda before, ch, after: before + ch + after,
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
        st.sampled_from(characters),
        st.text(max_size=8, alphabet="abcXYZ-09 "),
    )


CONTROLS = [chr(c) for c in (*range(32), 127)]
control_text = with_control(CONTROLS)
# What no field takes, not even a multi-line one (which may hold a tab or a line break).
unusable_text = with_control([c for c in CONTROLS if c not in "\t\n\r"])


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), text=control_text, role=st.sampled_from(ROLES))
def test_any_control_character_anywhere_in_an_address_is_a_4xx(app, world, data, text, role):
    client = world.client(role)
    rule = data.draw(st.sampled_from(rules(app)))
    method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    where = data.draw(st.sampled_from([*string_variables(rule), *QUERY_NAMES]))
    if where in string_variables(rule):
        path = fill(rule, world, (where, text))
    else:
        path = f"{fill(rule, world)}?{urlencode({where: text})}"
    response = send(client, method, path, world)
    # A line break or tab in a query value is refused too; a path with one is not found.
    assert 400 <= response.status_code < 500, (method, path, response.status_code)


# ----- forms, as the pages show them -------------------------------------------------------------------


@dataclass
class PageForm:
    action: str
    fields: dict[str, list[str]]  # name -> values posted by default
    kinds: dict[str, str]  # name -> input type ("text", "date", "hidden", "textarea", "radio", ...)


class FormParser(HTMLParser):
    """The POST forms of a page: each field's name, kind and what a browser would post unchanged."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path, self.forms, self.current = page_path, [], None
        self.select: str | None = None
        self.textarea: str | None = None
        self.options: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                action = urlsplit(a.get("action") or self.page_path)
                self.current = PageForm(action.path + (f"?{action.query}" if action.query else ""), {}, {})
            return
        form = self.current
        if form is None or not (name := a.get("name")):
            if tag == "option" and form is not None and self.select:
                self._option(a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                if kind == "submit" and name:
                    form.kinds.setdefault(name, "submit")
                return
            form.kinds.setdefault(name, kind)
            values = form.fields.setdefault(name, [])
            if kind in ("radio", "checkbox"):
                self.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    values.append(a.get("value", "on"))
            else:
                values.append(a.get("value", ""))
        elif tag == "textarea":
            form.kinds[name], form.fields[name], self.textarea = "textarea", [""], name
        elif tag == "select":
            form.kinds[name], self.select = "select", name
            form.fields.setdefault(name, [])

    def _option(self, a: dict[str, str]) -> None:
        assert self.current is not None and self.select
        self.options.setdefault(self.select, []).append(a.get("value", ""))
        if "selected" in a:
            self.current.fields[self.select].append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.fields[self.textarea] = [self.current.fields[self.textarea][0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


PLAUSIBLE = {
    "email": "ann.lee@example.com",
    "phone": "507-555-0101",
    "birth_month": "3",
    "birth_day": "3",
    "birth_year": "1970",
    "birth_date_text": "3/3/1970",
    "password": PASSWORD + " 9",
    "username": "newuser9",
    "q": "Lee",
    "minutes": "30",
    "reason": "Unwell",
}


def plausible(form: PageForm, options: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form as a person would send it: what the page filled in, blanks filled plausibly."""
    day = next_clinic_day(after_days=25).isoformat()
    sent: dict[str, list[str]] = {}
    for name, values in form.fields.items():
        kind = form.kinds[name]
        if kind == "submit" or name == "csrf_token":
            continue
        if values and any(values):
            sent[name] = values
        elif kind in ("radio", "select") and [o for o in options.get(name, []) if o]:
            sent[name] = [next(o for o in options[name] if o)]
        elif kind == "date":
            sent[name] = [day]
        elif kind == "time":
            sent[name] = ["09:00"]
        elif kind not in ("checkbox", "hidden"):
            sent[name] = [PLAUSIBLE.get(name, "Test value")]
    return sent


TEXT_KINDS = ("text", "textarea", "hidden", "search", "email", "tel", "url", "password", "number")


def hostile_variants(form: PageForm) -> Iterator[tuple[str, str]]:
    for name, kind in form.kinds.items():
        if name == "csrf_token" or kind == "submit":
            continue
        if kind in TEXT_KINDS:
            yield name, NUL
        if kind == "date" or name in DATE_NAMES or "day" in name:
            yield from ((name, hostile) for hostile in HOSTILE_DAYS)


def forms_on(client: FlaskClient, path: str) -> list[tuple[PageForm, dict[str, list[str]]]]:
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.content_type:
        return []
    parser = FormParser(path)
    parser.feed(text_of(response))
    return [(form, parser.options) for form in parser.forms if not form.action.startswith(SKIPPED_ACTIONS)]


# Fields a view reads itself, not through a form, and never lets near the database: accepted.
# "from" and "shown": the staff time picker's days (web/staff/time_picker.read_asked), where a
# value that is not a date is as if not given, so the rest of the form is still taken.
RAW_FIELDS = {"return_to", "confirmed", "action", "from", "shown"}


def walk_forms(client: FlaskClient, pages: list[str]) -> list[tuple[Any, ...]]:
    failures, seen = [], set()
    for page in pages:
        for form, options in forms_on(client, page):
            key = (re.sub(r"\d+", "N", form.action), tuple(sorted(form.fields)))
            if key in seen:
                continue
            seen.add(key)
            base = plausible(form, options)
            for name, hostile in hostile_variants(form):
                response = client.post(form.action, data={**base, name: hostile})
                refused = 400 <= response.status_code < 500
                if server_error(response) or (hostile == NUL and not refused and name not in RAW_FIELDS):
                    failures.append((form.action, name, repr(hostile), response.status_code))
    return failures


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_staff_form_refuses_a_nul_in_each_field_and_survives_years_1_and_9999(app, world, role):
    client = world.client(role)
    pages = [
        fill(rule, world)
        for rule in rules(app)
        if "GET" in rule.methods
        and rule.rule.startswith("/staff")
        and not rule.arguments - set(world.ids)
        and opens(client, role, rule)
        and not rule.rule.endswith((".csv", "/mail/<path:name>"))
    ]
    pages += ["/staff/queue?specialty=radiology-pain"]
    failures = walk_forms(client, pages)
    assert not failures, report(failures)


def test_every_patient_form_refuses_a_nul_in_each_field(app, world):
    from tests.public.conftest import answer_questions
    from tests.public.conftest import first_day_page

    app.config["SESSION_COOKIE_SECURE"] = False
    web = app.test_client()
    failures = walk_forms(
        web,
        ["/", f"/manage/{world.reference}/{world.token}/cancel", f"/manage/{world.reference}/{world.token}/reschedule"],
    )
    answer_questions(web)
    failures += walk_forms(
        web, ["/request/what", "/request/seen-before", "/request/cause", "/request/red-flags", "/request/referred"]
    )
    answer_questions(web)
    failures += walk_forms(web, ["/request/time"])
    slot = re.search(r'name="slot" value="([^"]+)"', text_of(first_day_page(web))).group(1)
    assert web.post("/request/time", data={"slot": slot}).status_code == 302
    failures += walk_forms(web, ["/request/details"])
    answer_questions(web, requested="injection", referred="yes", seen_before="yes")
    failures += walk_forms(web, ["/request/preferences"])
    assert not failures, report(failures)


def test_a_nul_in_a_staff_name_is_refused_on_its_field(world):
    admin = world.client("admin")
    for path, name, value in [
        ("/staff/admin/providers/new", "name", "Dr. N\x00ul"),
        ("/staff/admin/rooms", "name", "Room\x00 9"),
        ("/staff/admin/closures", "name", "Closed\x00"),
    ]:
        form, options = next((f, o) for f, o in forms_on(admin, path) if name in f.fields)
        response = admin.post(form.action, data={**plausible(form, options), name: value})
        assert response.status_code == 422, path
        assert re.search(rf'id="{name}-error"[^>]*>.*?{re.escape(CONTROL_MESSAGE)}', text_of(response), re.S)


def test_a_nul_in_a_cancel_reason_and_prep_notes_is_refused_on_the_field(world):
    cancelled = world.client("scheduler").post("/staff/visits/1/cancel", data={"reason": "Ill\x00", "notify": "y"})
    assert 400 <= cancelled.status_code < 500 and CONTROL_MESSAGE in text_of(cancelled)
    admin = world.client("admin")
    edit = next(f for f, _ in forms_on(admin, "/staff/admin/visit-types?code=evaluation") if "prep_notes" in f.fields)
    noted = admin.post(edit.action, data={"minutes": "60", "prep_notes": "Bring\x00 films", "active": "y"})
    assert noted.status_code == 422 and CONTROL_MESSAGE in text_of(noted)


def test_time_off_and_closures_in_years_1_and_9999_are_refused_on_the_field(world):
    admin, provider = world.client("admin"), world.ids["provider_id"]
    ok = next_clinic_day(after_days=30).isoformat()
    for year in HOSTILE_DAYS:
        for name in ("first_day", "last_day"):
            off = admin.post(
                f"/staff/admin/providers/{provider}/time-off", data={"first_day": ok, "last_day": ok, name: year}
            )
            assert off.status_code == 422, (name, year)
            assert re.search(rf'id="{name}-error"[^>]*>.*?{re.escape(YEAR_MESSAGE)}', text_of(off), re.S)
            assert f'value="{year}"' in text_of(off)  # what was typed is kept
        closed = admin.post("/staff/admin/closures", data={"day": year, "name": "Far away"})
        assert closed.status_code == 422 and YEAR_MESSAGE in text_of(closed)


def test_queue_placement_at_year_9999_is_refused_not_a_crash(world):
    placed = world.client("scheduler").post(
        f"/staff/queue/{world.ids['request_id']}/place", data={"slot": f"{YEAR_9999}T08:00:00-06:00|1"}
    )
    assert 300 <= placed.status_code < 500


def test_a_signed_sms_from_with_a_nul_is_refused_naming_from(app_with):
    app = app_with(SMS_BASE_URL="http://127.0.0.1:9", SMS_AUTH_TOKEN="tok", SMS_WEBHOOK_URL="https://x.test/hook")
    form = {"From": "+1507555\x000101", "Body": "STOP"}
    signed = twilio_signature("tok", "https://x.test/hook", form.items())
    response = app.test_client().post("/hooks/sms/inbound", data=form, headers={"X-Twilio-Signature": signed})
    assert response.status_code == 422 and "From" in response.json["fields"]


# ----- JSON bodies, from the OpenAPI documents ---------------------------------------------------------


def leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(body, dict):
        for key, value in body.items():
            yield from leaves(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from leaves(value, (*path, index))
    else:
        yield path, body


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def hostile_values(leaf: Any) -> list[Any]:
    if not isinstance(leaf, str):
        return []
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", leaf):
        return [NUL, YEAR_1, YEAR_9999]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", leaf):
        return [NUL, f"{YEAR_9999}T08:00:00-06:00", f"{YEAR_1}T08:00:00+01:00", f"{YEAR_9999}T23:30:00-06:00"]
    return [leaf + "\x00", CONTROL]


def field_names(body: Any, where: tuple[Any, ...]) -> list[str]:
    """How an answer may name the field at ``where``: its keys, and a FHIR parameter's name."""
    names = [str(step) for step in where if isinstance(step, str)]
    if where[0] == "parameter":
        names.append(body["parameter"][where[1]]["name"])
    return names


def documented_bodies(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body for each documented operation that takes one (the walk varies each leaf)."""
    day = next_clinic_day(after_days=4)
    start = central(day, 10).isoformat()
    proposal = {
        "resourceType": "Appointment",
        "start": start,
        "serviceType": [{"coding": [{"code": "evaluation"}]}],
        "participant": [{"actor": {"reference": f"Practitioner/{world.ids['provider_id']}"}}],
    }
    patient = {
        "resourceType": "Patient",
        "name": [{"family": "Lee", "given": ["Ann"]}],
        "birthDate": "1970-02-03",
        "telecom": [{"system": "email", "value": "ann@example.com"}],
    }

    def parameters(**values: Any) -> dict[str, Any]:
        listed = [
            {"name": k, **({"resource": v} if isinstance(v, dict) else {"valueString": v})} for k, v in values.items()
        ]
        return {"resourceType": "Parameters", "parameter": listed}

    return {
        ("api", "/api/v1/appointments"): booking_json(central(day, 10)),
        ("api", "/api/v1/requests"): {
            "patient": patient_json(),
            "reason": {"requested": "injection"},
            "preferences": {"days": ["monday"], "notes": "Mornings"},
        },
        ("api", "/api/v1/appointments/{reference}/cancel"): {"reason": "Better now"},
        ("api", "/api/v1/waitlist"): {
            "visit_type": "evaluation",
            "patient": patient_json(),
            "earliest": day.isoformat(),
            "latest": (day + timedelta(days=30)).isoformat(),
            "weekdays": ["monday"],
            "parts_of_day": ["morning"],
        },
        ("fhir", "/fhir/Appointment/$find"): parameters(
            **{"service-type": "evaluation", "start": day.isoformat(), "end": day.isoformat()}
        ),
        ("fhir", "/fhir/Appointment/$hold"): parameters(appointment=proposal),
        ("fhir", "/fhir/Appointment/$book"): parameters(appointment=proposal, patient=patient),
    }


def test_the_walk_covers_every_documented_operation_with_a_body(world):
    # Operations that take a body (a claim takes none: its token is a path segment, walked above).
    documented = {
        ("api", path) for path, item in api_document()["paths"].items() if "requestBody" in item.get("post", {})
    }
    documented |= {
        ("fhir", path) for path, item in fhir_document()["paths"].items() if "requestBody" in item.get("post", {})
    }
    assert documented == set(documented_bodies(world))


def test_every_string_of_every_documented_body_with_a_nul_or_years_1_and_9999_is_a_4xx_naming_it(client, world):
    failures = []
    for (area, path), body in documented_bodies(world).items():
        url = path.replace("{reference}", world.reference)
        headers = {"Authorization": f"Bearer {world.token if area == 'api' else world.api_token}"}
        for where, leaf in leaves(body):
            for hostile in hostile_values(leaf):
                response = client.post(url, json=replaced(body, where, hostile), headers=headers)
                answer = json.dumps(response.json)
                named = any(name in answer for name in field_names(body, where))
                if not (400 <= response.status_code < 500 and named):
                    failures.append((url, where, repr(hostile), response.status_code, answer[:200]))
    assert not failures, report(failures)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), text=unusable_text)
def test_any_control_character_in_any_string_of_a_documented_body_is_a_4xx(client, world, data, text):
    (area, path), body = data.draw(st.sampled_from(sorted(documented_bodies(world).items())))
    where = data.draw(st.sampled_from([w for w, leaf in leaves(body) if isinstance(leaf, str)]))
    url = path.replace("{reference}", world.reference)
    headers = {"Authorization": f"Bearer {world.token if area == 'api' else world.api_token}"}
    response = client.post(url, json=replaced(body, where, text), headers=headers)
    assert 400 <= response.status_code < 500, (url, where, repr(text), response.status_code)


def test_a_control_character_in_a_key_of_any_documented_body_is_a_4xx(client, world):
    for (area, path), body in documented_bodies(world).items():
        url = path.replace("{reference}", world.reference)
        headers = {"Authorization": f"Bearer {world.token if area == 'api' else world.api_token}"}
        nested = replaced(body, next(w for w, _ in leaves(body))[:-1] + ("n\x00te",), "x")
        for hostile in ({**body, "n\x00te": "x"}, nested):
            response = client.post(url, json=hostile, headers=headers)
            assert 400 <= response.status_code < 500, (url, hostile, response.status_code)
