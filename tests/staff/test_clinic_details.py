"""The clinic's own details are data an admin edits (audited), and every place patients are told
where to go says what the admin saved: the confirmation and visit pages, the emails a real SMTP
server receives, the invite's LOCATION and FHIR Location.address. Texts never carry the address."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduler.domain.clinic_details import PLACEHOLDER
from scheduler.domain.messages import reminder_time
from scheduler.jobs import transports
from scheduler.services import clinic
from scheduler.services import clinic_details
from scheduler.services import moves
from scheduler.services.integrations import create_api_client
from scheduler.services.notices import compose_sms
from scheduler.services.outbox_delivery import drain_once
from scheduler.store import models
from scheduler.store.engine import db
from tests.fhir.conftest import validate
from tests.public.conftest import book_first_time
from tests.staff.conftest import audit_events

NEW = {
    "address_line1": "1216 Second Street SW",
    "address_line2": "Suite 4",
    "city": "Rochester",
    "state": "MN",
    "postal_code": "55902",
    "building": "Gonda Building, subway-level entrance by the fountain",
    "parking": "Ramp 3, level 2 & up",
    "map_url": "https://maps.example.org/?q=1216+Second+Street+SW&z=17",
    "after_hours": "After 5 p.m. and at weekends, the nurse line gives advice.",
    "nurse_line": "507-555-0199",
    "phone": "",
}
ONE_LINE = "SI Joint Clinic, 1216 Second Street SW, Suite 4, Rochester, MN 55902"
MAP_LINK = 'href="https://maps.example.org/?q=1216+Second+Street+SW&amp;z=17"'


@pytest.fixture
def web(app):
    """A patient's client (the session cookie is Secure in every real deployment: not over http)."""
    app.config["SESSION_COOKIE_SECURE"] = False
    return app.test_client()


def text(response) -> str:
    return response.get_data(as_text=True)


def parts(message):
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def catalog_revision(app) -> int:
    with app.app_context():
        return clinic.revisions()[1]


def test_the_demo_details_are_placeholders_marked_as_such(app):
    with app.app_context():
        shown = clinic_details.current()
    assert shown.address_lines == ("200 First Street SW (placeholder)",)
    assert shown.building.startswith("Placeholder") and shown.after_hours.startswith("Placeholder")
    assert shown.phone == app.config["CLINIC_PHONE"]  # none stored: the configured number
    assert shown.one_line() == "SI Joint Clinic, 200 First Street SW (placeholder), Rochester, MN 55905"


def test_an_admins_edit_is_saved_audited_and_is_what_patients_are_told_everywhere(
    app, client, web, inbox, signed_in, make_provider
):
    make_provider("pmr", name="Dr. Lin")
    admin = signed_in(client, "admin")
    page = client.get("/staff/admin/clinic")
    assert page.status_code == 200 and 'value="200 First Street SW (placeholder)"' in text(page)
    assert 'href="/staff/admin/clinic"' in text(client.get("/staff/admin"))  # linked from the admin home
    before = catalog_revision(app)

    saved = client.post("/staff/admin/clinic", data=NEW)
    assert saved.status_code == 302
    assert "1216 Second Street SW" in text(client.get("/staff/admin/clinic"))
    [event] = audit_events(app, "clinic-details.update")
    assert (event.actor_kind, event.actor_id, event.record_type, event.channel) == ("staff", admin.id, "clinic_details",
                                                                                    "web")  # fmt: skip
    assert "address_lines" in event.detail and "1216" not in event.detail  # which fields, not their text
    assert catalog_revision(app) > before  # the catalog's caches see the change
    assert client.post("/staff/admin/clinic", data=NEW).status_code == 302  # the same again...
    assert len(audit_events(app, "clinic-details.update")) == 1  # ...changes nothing, audits nothing

    # The patient's confirmation and visit pages.
    book_first_time(web)
    web.post("/request/check")
    confirmation = text(web.get("/request/confirmation"))
    where = re.search(r"<dt>Where</dt><dd>(.*?)</dd>", confirmation, re.S).group(1)
    for said in ("1216 Second Street SW", "Suite 4", "Rochester, MN 55902", NEW["building"], "Ramp 3, level 2 &amp; up",
                 MAP_LINK):  # fmt: skip
        assert said in where, said
    assert "200 First Street SW" not in confirmation
    footer = re.search(r'<footer class="site-footer">.*?</footer>', confirmation, re.S).group(0)
    assert NEW["after_hours"] in footer and 'href="tel:+15075550199"' in footer
    manage = re.search(r'href="(/manage/[^/"]+/[^/"]+)"', confirmation).group(1)
    assert "1216 Second Street SW" in text(web.get(manage)) and NEW["building"] in text(web.get(manage))

    # The emails as a real SMTP server receives them, and the invite's LOCATION.
    with app.app_context():
        appointment = db.session.execute(select(models.Appointment)).scalar_one()
        start, appointment_id = appointment.starts_at, appointment.id
        assert drain_once(transports) == {"sent": 1}
    [confirmed] = inbox.messages
    found = parts(confirmed)
    plain, rich = found["text/plain"].get_content(), found["text/html"].get_content()
    for said in ("1216 Second Street SW", "Suite 4", "Rochester, MN 55902", NEW["building"], NEW["map_url"],
                 NEW["after_hours"], "507-555-0199"):  # fmt: skip
        assert said in plain, said
    for said in ("1216 Second Street SW", "Rochester, MN 55902", "Ramp 3, level 2 &amp; up", MAP_LINK,
                 'href="tel:+15075550199"'):  # fmt: skip
        assert said in rich, said
    [event] = Calendar.from_ical(found["text/calendar"].get_content()).walk("VEVENT")
    assert str(event["LOCATION"]) == ONE_LINE
    assert "LOCATION:SI Joint Clinic\\, 1216 Second Street SW\\, Suite 4\\, Rochester\\, MN 55902" in (
        found["text/calendar"].get_content().replace("\r\n ", "")
    )  # RFC 5545 escaping of the commas

    # The rescheduled notice and the reminder say the same.
    new_start = start + timedelta(days=7)
    with app.app_context():
        moves.move_appointment(appointment_id, new_start)
        assert drain_once(transports) == {"sent": 1}
        assert drain_once(transports, reminder_time(new_start) + timedelta(minutes=1)) == {"sent": 1}
    moved, reminder = inbox.messages[1:]
    assert "reminder" in reminder["Subject"] and "moved" in moved["Subject"]
    for message in (reminder, moved):
        assert "1216 Second Street SW" in parts(message)["text/plain"].get_content()
        assert NEW["building"] in html.unescape(parts(message)["text/html"].get_content())
    [moved_event] = Calendar.from_ical(parts(moved)["text/calendar"].get_content()).walk("VEVENT")
    assert str(moved_event["LOCATION"]) == ONE_LINE

    # Texts carry no address and nothing that names the clinic.
    with app.app_context():
        texts = db.session.execute(
            select(models.OutboxMessage).where(models.OutboxMessage.channel == "sms")
        ).scalars().all()
        bodies = [sms.body for sms in map(compose_sms, texts) if sms is not None]
    assert bodies and all("Second Street" not in b and "SI Joint" not in b and "Suite" not in b for b in bodies)

    # FHIR Location.address, as an R4 Address.
    with app.app_context():
        token = create_api_client("Test EHR", ("read",)).token
    location = client.get("/fhir/Location/clinic", headers={"Authorization": f"Bearer {token}"}).json
    validate(location)
    assert location["address"] == {
        "use": "work",
        "type": "both",
        "text": "1216 Second Street SW, Suite 4, Rochester, MN 55902",
        "line": ["1216 Second Street SW", "Suite 4"],
        "city": "Rochester",
        "state": "MN",
        "postalCode": "55902",
        "country": "US",
    }
    assert NEW["building"] in location["description"]


def test_a_phone_number_given_replaces_the_configured_one_on_every_page(app, client, web, signed_in):
    signed_in(client, "admin")
    assert client.post("/staff/admin/clinic", data={**NEW, "phone": "507-555-0123"}).status_code == 302
    header = re.search(r'<header class="site-header">.*?</header>', text(web.get("/")), re.S).group(0)
    assert '<a class="phone" href="tel:+15075550123">507-555-0123</a>' in header
    assert client.post("/staff/admin/clinic", data=NEW).status_code == 302  # blank again: the configured one
    assert "507-538-1280" in text(web.get("/"))


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("map_url", "http://maps.example.org/clinic", "Enter a map link that starts with https://"),
        ("map_url", "https://", "Enter a map link that starts with https://"),
        ("address_line1", "", "Enter the street address."),
        ("city", "   ", "Enter the city."),
        ("parking", "Park " * 101, "Use 500 characters or fewer."),
        ("address_line1", "1216 Second\x00 Street SW", "no control characters"),
        ("nurse_line", "call us", "Enter a phone number like 507-538-1280"),
    ],
)
def test_unusable_input_is_refused_on_its_field_with_everything_typed_kept_and_nothing_saved(
    app, client, signed_in, field, typed, message
):
    signed_in(client, "admin")
    before = catalog_revision(app)
    refused = client.post("/staff/admin/clinic", data={**NEW, field: typed})
    assert refused.status_code == 422
    page = text(refused)
    inline = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert inline and message in html.unescape(inline.group(1)), page
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    assert 'value="Suite 4"' in page and "Gonda Building, subway-level entrance" in page  # the rest is kept
    if field == "map_url":
        assert f'value="{typed}"' in page  # and so is what was wrong
    with app.app_context():
        assert clinic_details.stored() == PLACEHOLDER
    assert audit_events(app, "clinic-details.update") == []
    assert catalog_revision(app) == before


@pytest.mark.parametrize("role", ["phone", "scheduler"])
def test_only_admins_may_open_or_change_the_clinic_details(app, client, signed_in, role):
    signed_in(client, role)
    assert client.get("/staff/admin/clinic").status_code == 403
    assert client.post("/staff/admin/clinic", data=NEW).status_code == 403
    with app.app_context():
        assert clinic_details.stored() == PLACEHOLDER
    if role == "scheduler":
        assert "/staff/admin/clinic" not in text(client.get("/staff/admin"))  # no link to a closed door
