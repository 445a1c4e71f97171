"""``flask`` commands: seed-demo, seed-catalog, jobs, create-staff."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from scheduler.domain.staff import ROLES


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(seed_catalog_command)
    app.cli.add_command(jobs)
    app.cli.add_command(create_staff_command)


@click.group()
def jobs() -> None:
    """The message worker."""


@jobs.command("run")
@with_appcontext
def jobs_run() -> None:
    """Deliver due messages until stopped (its own process; never inside the web server)."""
    from flask import current_app

    from scheduler.jobs import run_scheduler

    click.echo("Message worker started; Ctrl+C stops it.")
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


@jobs.command("drain")
@with_appcontext
@click.option("--until-empty", is_flag=True, help="Repeat passes until one finds nothing due, then exit.")
def jobs_drain(until_empty: bool) -> None:
    """One pass over the due messages (or passes until none is due), then exit."""
    from collections import Counter

    from scheduler.jobs import transports
    from scheduler.services.outbox_delivery import drain_once

    outcomes: Counter[str] = Counter()
    while True:
        found = drain_once(transports)
        outcomes.update(found)
        if not until_empty or not sum(found.values()):
            break
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "Nothing due.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only when the database has no clinic data yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Add the demo clinic (catalog, rooms, 13 providers, a few weeks of visits); safe to re-run."""
    from scheduler.services.catalog_lists import any_providers
    from scheduler.services.seed import seed_demo

    if if_empty and any_providers():
        click.echo("Clinic data already present; demo seed skipped.")
        return
    result = seed_demo()
    click.echo(f"Demo data ready ({result['appointments_created']} appointments added).")


@click.command("seed-catalog")
@with_appcontext
def seed_catalog_command() -> None:
    """Add the clinic's default specialties, visit types, routing rules and holiday closures."""
    from scheduler.services.seed import seed_catalog

    seed_catalog()
    click.echo("Catalog ready.")


@click.command("create-staff")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in ROLES]), help="What they may do.")
@click.option("--name", "display_name", required=True, help='The name shown on the pages, e.g. "Dana Smith".')
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_staff_command(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a staff account. The password is asked for twice (hidden), never taken as an argument,
    so it stays out of shell history and the process list."""
    from scheduler.domain.staff import MIN_PASSWORD_LENGTH
    from scheduler.domain.staff import StaffAccountError
    from scheduler.services.staff import create_account

    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)", hide_input=True, confirmation_prompt=True
        )
    try:
        account = create_account(username, display_name, role, password)
    except StaffAccountError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Created {account.role} account {account.username} ({account.display_name}).")
