"""``kiosk run``: the daemon in the foreground, as systemd starts it."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["run"]


@click.command()
@click.option(
    "--demo", is_flag=True, help="Hear the bundled demo questions instead of a microphone."
)
@click.option("--headless", is_flag=True, help="No window (the avatar is still animated).")
@click.option(
    "--input",
    "input_wav",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Hear this WAV file instead of a microphone (real time), then stop.",
)
@click.option("--fullscreen/--windowed", default=None, help="Override avatar.fullscreen.")
@pass_app
def run(
    app: AppContext, demo: bool, headless: bool, input_wav: Path | None, fullscreen: bool | None
) -> None:
    """Run the kiosk: listen for «Аня», answer, animate. Stops on SIGTERM or Esc."""
    from kiosk.daemon.journal import configure_daemon_logging
    from kiosk.daemon.live import run_live

    settings = app.settings
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # -v keeps its debug lines
        configure_daemon_logging(settings.daemon.log_level)
    if fullscreen is not None:
        settings = settings.model_copy(
            update={"avatar": settings.avatar.model_copy(update={"fullscreen": fullscreen})}
        )
    turns = run_live(settings, app.paths, demo=demo, headless=headless, input_wav=input_wav)
    click.echo(f"Остановлено. Разговоров за сеанс: {turns}.", err=True)
