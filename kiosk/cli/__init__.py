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

# Subcommands: (module:attribute, one-line help). Imported on demand so that
# `kiosk --help` and light commands start fast.
_COMMANDS: dict[str, tuple[str, str]] = {
    "avatar": ("kiosk.cli.avatar:avatar", "Photo → avatar asset; preview."),
    "admin": ("kiosk.cli.admin:admin", "The parent's console (Textual TUI)."),
    "bench": ("kiosk.cli.bench:bench", "Latency, FPS, A/V sync, memory — measured."),
    "chat": ("kiosk.cli.chat:chat", "Text conversation with the persona."),
    "config": ("kiosk.cli.config:config", "Show and check the settings."),
    "data": ("kiosk.cli.data:data", "Export or wipe everything stored about the child."),
    "demo": ("kiosk.cli.demo:demo", "The whole loop on the embedded defaults."),
    "doctor": ("kiosk.cli.doctor:doctor", "What works, what is missing, how to fix it."),
    "listen": ("kiosk.cli.listen:listen", "Wake word, VAD and STT on a WAV file."),
    "memory": ("kiosk.cli.memory:memory", "What Аня remembers about the child."),
    "models": ("kiosk.cli.models:models", "List, import and verify models (offline)."),
    "persona": ("kiosk.cli.persona:persona", "Personas: list, show, switch."),
    "run": ("kiosk.cli.run:run", "The daemon in the foreground (what systemd starts)."),
    "say": ("kiosk.cli.say:say", "Speak text with the configured voice, to a WAV."),
    "voice": ("kiosk.cli.voice:voice", "Voice enrollment and training."),
}


class KioskGroup(click.Group):
    """A group that loads subcommands on demand and reports ``KioskError`` as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module_name, attr = _COMMANDS[cmd_name][0].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
