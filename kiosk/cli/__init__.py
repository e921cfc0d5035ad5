"""The ``kiosk`` command: a thin layer over the library; errors become one clear line."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from kiosk import __version__
from kiosk.cli.context import AppContext
from kiosk.errors import KioskError

__all__ = ["main"]

# Subcommand modules, imported lazily so `kiosk --help` stays fast.
_COMMANDS = {
    "chat": "kiosk.cli.chat:chat",
    "say": "kiosk.cli.say:say",
    "listen": "kiosk.cli.listen:listen",
    "demo": "kiosk.cli.demo:demo",
    "run": "kiosk.cli.run:run",
    "models": "kiosk.cli.models:models",
    "doctor": "kiosk.cli.doctor:doctor",
    "config": "kiosk.cli.config:config",
}


class KioskGroup(click.Group):
    """A group that loads subcommands on demand and reports ``KioskError`` as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module_name, attr = _COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KioskError as exc:
            click.secho(f"Ошибка: {exc.message}", fg="red", err=True)
            if exc.hint:
                click.echo(f"  → {exc.hint}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=KioskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Config TOML (default: $KIOSK_CONFIG, ~/.config/kiosk/kiosk.toml, /etc/kiosk/kiosk.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details to stderr.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """Kiosk: an offline talking avatar for a child (Аня)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = AppContext(config_path=config_path)
