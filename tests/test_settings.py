"""Settings are read in one typed place, and a value of the wrong type stops the app at start-up."""

from __future__ import annotations

import pytest

from scheduler import create_app
from scheduler.settings import Settings


def test_a_setting_of_the_wrong_type_stops_the_app_at_start_up_naming_it(database_url):
    with pytest.raises(ValueError, match="SCHEDULER_HOLD_MINUTES"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test", "HOLD_MINUTES": "ten"})


def test_settings_read_as_their_types_and_follow_the_config_as_it_changes(app):
    config = dict(app.config)
    found = Settings(config)
    assert (found.hold_minutes, found.mail_smtp_port, found.mail_smtp_starttls) == (10, 25, False)
    config.update(MAIL_SMTP_PORT="2525", PUBLIC_BASE_URL="https://book.example.org/")
    assert found.mail_smtp_port == 2525  # environment values may arrive as text
    assert found.public_base_url == "https://book.example.org"
