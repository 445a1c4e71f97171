"""The SI Joint Clinic scheduler: ``create_app()`` builds the Flask application."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask import got_request_exception

from scheduler import settings
from scheduler.config import DEFAULTS

DEV_SECRET = DEFAULTS["SECRET_KEY"]
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("SCHEDULER_INSTANCE_PATH") or None)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    _configure(app, test_config)
    _register_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    _trust_proxies(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SCHEDULER")
    if test_config:
        app.config.from_mapping(test_config)
    url = str(app.config["DATABASE_URL"])
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # Relative SQLite paths are relative to the instance folder, not the working directory.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(app.instance_path) / url.removeprefix("sqlite:///").removeprefix("instance/"))
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # hide_parameters: SQL errors would otherwise carry patients' details into logs. Connections
    # that sat idle are tested before use by database.configure_engine (not at every checkout).
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"hide_parameters": True})
    settings.check(app)  # a setting of the wrong type stops the app here, by name
    if app.config["SECRET_KEY"] == DEV_SECRET and not (app.debug or app.testing or app.config.get("ALLOW_DEV_SECRET")):
        raise RuntimeError("Set SCHEDULER_SECRET_KEY: the development secret is not allowed here.")
    if not (app.debug or app.testing):
        _refuse_development_addresses(app, test_config or {})


# Left to these defaults, a production service would send patients links to a developer's machine
# and mail from a domain that cannot exist (RFC 2606 .example), and put both in every invite.
DEVELOPMENT_ADDRESSES = {
    "PUBLIC_BASE_URL": "the address patients and other systems reach the service at, e.g. https://scheduler.example.org",
    "MAIL_DOMAIN": "the clinic's own mail domain (Message-IDs and calendar UIDs)",
    "MAIL_FROM": "the clinic's sender, e.g. SI Joint Clinic <no-reply@clinic.example.org>",
}


def _refuse_development_addresses(app: Flask, given: dict[str, Any]) -> None:
    """Outside development and tests, refuse to start while PUBLIC_BASE_URL, MAIL_DOMAIN or
    MAIL_FROM is still its development default, naming each: every absolute URL the app makes
    (emails, FHIR, feeds) starts with PUBLIC_BASE_URL. A value set on purpose, in the environment
    or the config given to create_app, is taken as it is (``make run`` sets them for the demo)."""
    unset = [
        key
        for key, what in DEVELOPMENT_ADDRESSES.items()
        if app.config[key] == DEFAULTS[key] and key not in given and f"SCHEDULER_{key}" not in os.environ
    ]
    if unset:
        raise RuntimeError(
            "Set "
            + "; ".join(f"SCHEDULER_{key} ({DEVELOPMENT_ADDRESSES[key]})" for key in unset)
            + ": the development defaults are not allowed here."
        )


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies (nginx: 1), take the client's address, the scheme and the
    host from their X-Forwarded-* headers, believing exactly that many hops and no more."""
    hops = settings.Settings(app.config).proxy_hops
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _register_extensions(app: Flask) -> None:
    from scheduler.extensions import csrf
    from scheduler.extensions import limiter
    from scheduler.extensions import login
    from scheduler.extensions import migrate
    from scheduler.store.engine import configure_engine
    from scheduler.store.engine import db
    from scheduler.store.unit_of_work import discard_on_error

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    # Sent before the 500 handler runs: the failed request's transaction is abandoned first.
    got_request_exception.connect(discard_on_error, app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from scheduler.extensions import csrf
    from scheduler.web import api
    from scheduler.web import clinic_details
    from scheduler.web import errors
    from scheduler.web import fhir
    from scheduler.web import health
    from scheduler.web import hooks
    from scheduler.web import public
    from scheduler.web import sane_input
    from scheduler.web import sealed_session
    from scheduler.web import security
    from scheduler.web import staff

    sane_input.register(app)  # first of all: no control character in a path or query string
    sealed_session.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # JSON API: no cookies, so no cross-site request to forge
    app.register_blueprint(hooks.bp)
    csrf.exempt(hooks.bp)  # called by the SMS provider, authenticated by its signature instead
    app.register_blueprint(public.bp)
    staff.register(app)  # sign-in (auth) and the staff pages, all under /staff
    fhir.register(app)  # the FHIR R4 API under /fhir, and staff calendar feeds under /feeds
    errors.register(app)
    security.register(app)
    clinic_details.register(app)  # clinic(): the clinic's address, phone and after-hours advice in pages


def _register_commands(app: Flask) -> None:
    from scheduler import cli
    from scheduler import cli_integrations

    cli.register(app)
    cli_integrations.register(app)
