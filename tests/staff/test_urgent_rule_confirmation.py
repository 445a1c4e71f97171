"""The urgent routing rule is not switched off or demoted by one stray click: the admin is told
what it would do and must confirm, and the confirmed change is in the audit trail."""

from __future__ import annotations

from scheduler.domain.clock import utc_now
from scheduler.domain.routing import History
from scheduler.domain.routing import Intake
from scheduler.services import clinic
from scheduler.services import routing
from tests.staff.conftest import audit_events

URGENT = "urgent-infection-or-red-flag"
FEVERISH = Intake("evaluation", False, "infection", False)


def decided(app):
    with app.app_context():
        return routing.decide(FEVERISH, History(), clinic.current_catalog(utc_now()))


def test_switching_off_the_urgent_rule_asks_first_naming_the_consequence_and_changes_nothing(client, app, signed_in):
    signed_in(client, "admin")
    asked = client.post(f"/staff/admin/routing/{URGENT}/off")
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Are you sure?" in page and "offered routine visits" in page and 'name="confirmed" value="yes"' in page
    assert decided(app).urgent  # nothing changed yet
    assert audit_events(app, "routing.disable") == []


def test_a_confirmed_switch_off_takes_effect_and_is_audited_as_confirmed(client, app, signed_in):
    signed_in(client, "admin")
    done = client.post(f"/staff/admin/routing/{URGENT}/off", data={"confirmed": "yes"})
    assert done.status_code == 302
    assert not decided(app).urgent
    [event] = audit_events(app, "routing.disable")
    assert "confirmed" in event.detail
    # Switching it back on needs no confirmation.
    assert client.post(f"/staff/admin/routing/{URGENT}/on").status_code == 302
    assert decided(app).urgent


def test_moving_a_rule_above_the_urgent_one_asks_first_but_other_moves_do_not(client, app, signed_in):
    signed_in(client, "admin")
    asked = client.post("/staff/admin/routing/new-patient-evaluation/up")  # would pass the urgent rule
    assert asked.status_code == 200 and "no longer treated as urgent" in asked.get_data(as_text=True)
    assert client.post(f"/staff/admin/routing/{URGENT}/down").status_code == 200  # the same, from its side
    assert decided(app).rule == URGENT
    assert client.post("/staff/admin/routing/bone-health/up").status_code == 302  # not near the urgent rule
    confirmed = client.post(f"/staff/admin/routing/{URGENT}/down", data={"confirmed": "yes"})
    assert confirmed.status_code == 302
    assert decided(app).rule == "new-patient-evaluation"  # a new patient with an infection, now routine
    assert [e.detail for e in audit_events(app, "routing.reorder")][-1].endswith("(confirmed)")
