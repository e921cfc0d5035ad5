"""``kiosk config``: where the settings come from, and what they are."""

from __future__ import annotations

import json

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.config import config_search_path

__all__ = ["config"]


@click.group()
def config() -> None:
    """Show and check the settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def show(app: AppContext, as_json: bool) -> None:
    """Print the effective settings (file, environment overrides and defaults merged)."""
    settings = app.settings
    data = settings.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"# из: {settings.source or 'встроенные значения'}")
    for section, values in data.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        click.echo("")


@config.command("check")
@pass_app
def check(app: AppContext) -> None:
    """Validate the settings; exit non-zero with every problem listed."""
    settings = app.settings
    click.echo(f"Настройки в порядке ({settings.source or 'встроенные значения'}).")


@config.command("path")
def path() -> None:
    """List the files looked at, in order."""
    for candidate in config_search_path():
        click.echo(f"{'✔' if candidate.is_file() else ' '} {candidate}")
