"""Settings: the values a parent changes, validated and written atomically to the config."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from kiosk.admin.base import Pane
from kiosk.admin.config_edit import (
    FIELDS,
    apply_settings,
    config_target,
    format_value,
    parse_value,
    read_value,
)
from kiosk.admin.live import DaemonError, DaemonUnavailable, request
from kiosk.errors import KioskError

__all__ = ["SettingsPane"]

_LOGGER = logging.getLogger(__name__)


def _widget_id(key: str) -> str:
    return "set-" + key.replace(".", "--")


class SettingsPane(Pane):
    """One row per setting; ctrl+s validates all changes and writes them at once."""

    DEFAULT_CSS = """
    SettingsPane #settings-file { height: 1; }
    SettingsPane .setting { height: 1; }
    SettingsPane .setting Label.name { width: 22; }
    SettingsPane .setting Input, SettingsPane .setting Select { width: 26; }
    SettingsPane .setting Label.help { width: 1fr; padding-left: 1; color: $text-muted; }
    SettingsPane #settings-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Сохранить"),
        Binding("ctrl+z", "revert", "Вернуть"),
    ]

    def compose(self) -> ComposeResult:
        """File line, error line, the rows."""
        yield Static(id="settings-file", classes="muted")
        yield Static(id="settings-error")
        with VerticalScroll():
            for field in FIELDS:
                with Horizontal(classes="setting"):
                    yield Label(field.label, classes="name")
                    if field.choices:
                        options = [(c, c) for c in field.choices]
                        yield Select[str](options, allow_blank=False, id=_widget_id(field.key),
                                          compact=True)  # fmt: skip
                    else:
                        yield Input(id=_widget_id(field.key), compact=True)
                    yield Label(field.help, classes="help")

    def on_mount(self) -> None:
        """Show the current values."""
        self.reload()

    def reload(self) -> None:
        """Put the current settings into the form."""
        settings = self.admin.settings
        self.query_one("#settings-file", Static).update(
            f"Файл: {escape(str(config_target(settings)))}"
            + ("" if settings.source else " (будет создан)")
        )
        for field in FIELDS:
            widget = self.query_one(f"#{_widget_id(field.key)}")
            text = format_value(read_value(settings, field.key))
            if isinstance(widget, Input | Select):
                widget.value = text
        self.query_one("#settings-error", Static).update("")

    def changes(self) -> dict[str, Any]:
        """The fields whose text differs from the current settings, parsed."""
        settings = self.admin.settings
        changed: dict[str, Any] = {}
        for field in FIELDS:
            widget = self.query_one(f"#{_widget_id(field.key)}")
            text = widget.value if isinstance(widget, Input | Select) else ""
            if not isinstance(text, str):
                continue
            if text.strip() != format_value(read_value(settings, field.key)):
                changed[field.key] = parse_value(field, text)
        return changed

    def action_save(self) -> bool:
        """Validate and write the changed settings; True when written."""
        error = self.query_one("#settings-error", Static)
        try:
            changes = self.changes()
            if not changes:
                self.notify("Ничего не изменилось")
                return False
            settings = apply_settings(self.admin.settings, changes, self.admin.store)
        except KioskError as exc:
            error.update(escape(exc.message))
            self.notify(exc.message, title="Не сохранено", severity="error", markup=False)
            return False
        self.admin.settings_changed(settings)
        self.reload()
        self.notify(f"Сохранено: {', '.join(changes)}", markup=False)
        self.tell_daemon()
        return True

    def action_revert(self) -> None:
        """Throw away unsaved edits."""
        self.reload()

    @work(group="daemon-command")
    async def tell_daemon(self) -> None:
        """Ask a running daemon to re-read the settings."""
        try:
            await request(self.admin.socket_path, "reload")
        except DaemonUnavailable:
            self.notify("Демон не запущен — настройки применятся при запуске")
        except DaemonError as exc:
            self.admin.report(exc)
        else:
            self.notify("Демон перечитал настройки")
