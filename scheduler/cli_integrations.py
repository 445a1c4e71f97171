"""``flask`` commands for integrations: API clients of the FHIR API, and staff calendar feeds.

Tokens are printed once, when made: only their hashes are stored, so they cannot be shown again
(make a new one and revoke the old instead).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from scheduler.services.integrations import SCOPES
from scheduler.services.public_urls import public_url


def register(app: Flask) -> None:
    for command in (
        create_api_client_command,
        revoke_api_client_command,
        list_api_clients_command,
        create_calendar_feed_command,
        revoke_calendar_feed_command,
        list_calendar_feeds_command,
    ):
        app.cli.add_command(command)


def _fail_on_refusal(error: Exception) -> click.ClickException:
    return click.ClickException(getattr(error, "message", str(error)))


@click.command("create-api-client")
@with_appcontext
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES), help="Repeat for both.")
@click.option("--created-by", "created_by", default=None, help="The admin's username, for the audit trail.")
def create_api_client_command(name: str, scopes: tuple[str, ...], created_by: str | None) -> None:
    """Make an API client for the FHIR API and print its token (shown this once)."""
    from scheduler.domain.errors import DomainError
    from scheduler.services.integrations import create_api_client
    from scheduler.services.integrations import staff_account_id

    staff_id = None
    if created_by:
        staff_id = staff_account_id(created_by)
        if staff_id is None:
            raise click.ClickException("No staff account with that username.")
    try:
        made = create_api_client(name, scopes, created_by=staff_id)
    except DomainError as refused:
        raise _fail_on_refusal(refused) from None
    click.echo(f"Created API client {made.client.id} ({made.client.name}), scopes: {made.client.scopes}.")
    click.echo("Token (shown once; send as 'Authorization: Bearer <token>'):")
    click.echo(made.token)


@click.command("revoke-api-client")
@with_appcontext
@click.argument("client_id", type=int)
def revoke_api_client_command(client_id: int) -> None:
    """Stop an API client's token working, from its next call on."""
    from scheduler.domain.errors import DomainError
    from scheduler.services.integrations import revoke_api_client

    try:
        revoke_api_client(client_id)
    except DomainError as refused:
        raise _fail_on_refusal(refused) from None
    click.echo(f"API client {client_id} revoked.")


@click.command("list-api-clients")
@with_appcontext
def list_api_clients_command() -> None:
    """Every API client, revoked ones included (tokens are never shown again)."""
    from scheduler.services.integrations import api_clients

    for client in api_clients():
        state = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
        click.echo(f"{client.id}\t{client.name}\t{client.scopes}\t{state}")


@click.command("create-calendar-feed")
@with_appcontext
@click.argument("username")
@click.option("--provider", "provider_id", type=int, default=None, help="One provider's visits.")
@click.option("--specialty", "specialty_code", default=None, help="Every visit of one specialty, e.g. pmr.")
def create_calendar_feed_command(username: str, provider_id: int | None, specialty_code: str | None) -> None:
    """Make a secret calendar (iCalendar) URL for a staff member and print it (shown this once)."""

    from scheduler.domain.errors import DomainError
    from scheduler.services.integrations import create_feed
    from scheduler.services.integrations import staff_account_id

    staff_id = staff_account_id(username)
    if staff_id is None:
        raise click.ClickException("No staff account with that username.")
    try:
        made = create_feed(staff_id, provider_id=provider_id, specialty_code=specialty_code)
    except DomainError as refused:
        raise _fail_on_refusal(refused) from None
    click.echo(f"Created calendar feed {made.feed.id} for {username.lower()} ({made.feed.scope}).")
    click.echo("Subscribe to this URL (shown once; anyone with it sees the visits, so keep it private):")
    click.echo(public_url(f"/feeds/{made.token}.ics"))


@click.command("revoke-calendar-feed")
@with_appcontext
@click.argument("feed_id", type=int)
def revoke_calendar_feed_command(feed_id: int) -> None:
    """Stop a calendar feed URL working."""
    from scheduler.domain.errors import DomainError
    from scheduler.services.integrations import revoke_feed

    try:
        revoke_feed(feed_id)
    except DomainError as refused:
        raise _fail_on_refusal(refused) from None
    click.echo(f"Calendar feed {feed_id} revoked.")


@click.command("list-calendar-feeds")
@with_appcontext
def list_calendar_feeds_command() -> None:
    """Every calendar feed, revoked ones included (URLs are never shown again)."""
    from scheduler.services.integrations import feeds

    for feed in feeds():
        target = f"provider {feed.provider_id}" if feed.scope == "provider" else f"specialty {feed.specialty_id}"
        state = f"revoked {feed.revoked_at:%Y-%m-%d}" if feed.revoked_at else "active"
        click.echo(f"{feed.id}\tstaff {feed.staff_id}\t{target}\t{state}")
