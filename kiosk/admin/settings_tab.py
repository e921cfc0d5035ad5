"""Settings: the values a parent changes, validated and written atomically to the config."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rich.markup import escape
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from kiosk.admin.base import Pane
from kiosk.admin.config_edit import (
    FIELDS,
    SettingField,
    apply_settings,
    config_target,
    format_value,
    parse_value,
    read_value,
)
from kiosk.admin.i18n import tr
from kiosk.admin.live import DaemonError, DaemonUnavailable, request
from kiosk.errors import KioskError

__all__ = ["SettingsPane"]

_LOGGER = logging.getLogger(__name__)

_FIELDS_BY_ID = {"set-" + f.key.replace(".", "--"): f for f in FIELDS}


def _widget_id(key: str) -> str:
    return "set-" + key.replace(".", "--")


def _options(field: SettingField) -> list[tuple[str, str]]:
    if field.kind == "bool":
        return [(tr("да"), "да"), (tr("нет"), "нет")]
    return [(c, c) for c in field.choices]


class SettingsPane(Pane):
    """One row per setting; ctrl+s validates all changes and writes them at once."""

    DEFAULT_CSS = """
    SettingsPane #settings-file { height: 1; }
    SettingsPane .setting { height: 1; }
    SettingsPane .setting Label.name { width: 22; }
    SettingsPane .setting Input, SettingsPane .setting Select { width: 26; }
    SettingsPane .setting Label.help { width: 1fr; padding-left: 1; color: $text-muted; }
    SettingsPane #settings-error { color: $error; height: auto; }
    SettingsPane #settings-help { height: 3; color: $text-muted; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Сохранить"),
        Binding("ctrl+z", "revert", "Вернуть"),
        Binding("ctrl+f", "photo", "Аватар из фото"),
    ]

    def compose(self) -> ComposeResult:
        """File line, error line, the rows, the focused row's explanation."""
        yield Static(id="settings-file", classes="muted")
        yield Static(id="settings-error")
        with VerticalScroll(id="settings-rows"):
            for field in FIELDS:
                with Horizontal(classes="setting"):
                    yield Label(tr(field.label), classes="name")
                    if field.choices or field.kind == "bool":
                        yield Select[str](_options(field), allow_blank=False,
                                          id=_widget_id(field.key), compact=True)  # fmt: skip
                    else:
                        yield Input(id=_widget_id(field.key), compact=True)
                    yield Label(tr(field.help), classes="help")
        yield Static(id="settings-help")

    def on_mount(self) -> None:
        """Show the current values."""
        self.reload()
        self.query_one("#settings-help", Static).update(
            tr("Tab — следующее поле, ctrl+s — сохранить всё, ctrl+z — вернуть как было.")
        )

    def focus_first(self) -> None:
        """Focus the first setting (its explanation appears below the form)."""
        self.query_one(f"#{_widget_id(FIELDS[0].key)}").focus()

    def reload(self) -> None:
        """Put the current settings into the form."""
        settings = self.admin.settings
        where = tr("Файл: {path}", path=escape(str(config_target(settings))))
        self.query_one("#settings-file", Static).update(
            where + ("" if settings.source else tr(" (будет создан)"))
        )
        for field in FIELDS:
            widget = self.query_one(f"#{_widget_id(field.key)}")
            text = format_value(read_value(settings, field.key))
            if isinstance(widget, Input | Select):
                widget.value = text
        self._show_error("")

    def _show_error(self, text: str) -> None:
        error = self.query_one("#settings-error", Static)
        error.update(text)
        error.display = bool(text)

    @on(events.DescendantFocus)
    def _explain(self, event: events.DescendantFocus) -> None:
        widget: Widget | None = event.widget
        while widget is not None and widget.id not in _FIELDS_BY_ID:
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if widget is None or widget.id is None:
            return
        field = _FIELDS_BY_ID[widget.id]
        text = tr(field.detail or field.help)
        self.query_one("#settings-help", Static).update(
            f"[b]{escape(tr(field.label))}[/] ({field.key}): {escape(text)}"
        )

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
        try:
            changes = self.changes()
            if not changes:
                self.notify(tr("Ничего не изменилось"))
                return False
            settings = apply_settings(self.admin.settings, changes, self.admin.store)
        except KioskError as exc:
            self._show_error(escape(exc.message))
            self.notify(exc.message, title=tr("Не сохранено"), severity="error", markup=False)
            return False
        self.admin.settings_changed(settings)
        self.reload()
        labels = {f.key: tr(f.label) for f in FIELDS}
        what = "; ".join(labels.get(key, key) for key in changes)
        self.notify(tr("Сохранено: {what}", what=what), markup=False)
        self.tell_daemon()
        return True

    def action_revert(self) -> None:
        """Throw away unsaved edits."""
        self.reload()

    def action_photo(self) -> None:
        """Make an avatar from a photo (consent first), then use it."""
        from kiosk.admin.photo import PhotoDialog

        self.app.push_screen(PhotoDialog(), self._photo_done)

    def _photo_done(self, name: str | None) -> None:
        if not name:
            return
        try:
            settings = apply_settings(
                self.admin.settings, {"avatar.photo_asset": name}, self.admin.store
            )
        except KioskError as exc:
            self.admin.report(exc, tr("Не сохранено"))
            return
        self.admin.settings_changed(settings)
        self.reload()
        self.notify(tr("Аватар «{name}» включён", name=name), markup=False)
        self.tell_daemon()

    @work(group="daemon-command")
    async def tell_daemon(self) -> None:
        """Ask a running daemon to re-read the settings."""
        try:
            reply = await request(self.admin.socket_path, "reload")
        except DaemonUnavailable:
            self.notify(tr("Демон не запущен — настройки применятся при запуске"))
        except DaemonError as exc:
            self.admin.report(exc)
        else:
            self.notify(reload_message(reply), markup=False)


def reload_message(reply: dict[str, Any]) -> str:
    """What the parent reads after ``reload``: applied, or which sections need a restart."""
    restart = [str(name) for name in reply.get("restart_needed", [])]
    if not restart:
        return tr("Демон перечитал настройки")
    return tr(
        "Сохранено; «{sections}» вступит в силу после перезапуска демона "
        "(вкладка «Служба», клавиша r)",
        sections=", ".join(restart),
    )
