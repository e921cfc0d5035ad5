"""``kiosk admin``: the parent's Textual console (over ssh, 80x24 is enough)."""

from __future__ import annotations

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["admin"]


@click.command()
@click.option(
    "--lang",
    type=click.Choice(["ru", "en"]),
    default="ru",
    show_default=True,
    help="Interface language: every label, key and message (the child's content stays as is).",
)
@pass_app
def admin(app: AppContext, lang: str) -> None:
    """The parent's console: status, conversations, memory, persona, settings, chat, service."""
    from kiosk.admin.app import AdminApp
    from kiosk.admin.i18n import set_language

    set_language(lang)
    AdminApp(app.settings, app.paths).run()
