"""``flask`` commands: seed-demo, seed-catalog."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(seed_catalog_command)


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Add the demo clinic (catalog, rooms, 13 providers, a few weeks of visits); safe to re-run."""
    from scheduler.services.seed import seed_demo

    result = seed_demo()
    click.echo(f"Demo data ready ({result['appointments_created']} appointments added).")


@click.command("seed-catalog")
def seed_catalog_command() -> None:
    """Add the clinic's default specialties, visit types, routing rules and holiday closures."""
    from scheduler.services.seed import seed_catalog

    seed_catalog()
    click.echo("Catalog ready.")
