"""Small modal dialogs: confirm, and a form of labelled inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kiosk.admin.i18n import tr, translate_bindings

__all__ = ["ConfirmDialog", "FormDialog"]

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 70; height: auto; max-height: 22; border: thick $accent; background: $surface;
    padding: 0 1;
}}
{name} .buttons {{ height: 3; align-horizontal: right; }}
{name} Input {{ margin-bottom: 1; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit «Да»."""

    DEFAULT_CSS = _CSS.format(name="ConfirmDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Отмена")]

    def __init__(self, question: str, confirm_label: str = "") -> None:
        super().__init__()
        translate_bindings(self)
        confirm_label = confirm_label or tr("Да")
        self._question = question
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        """The question and two buttons, «Нет» focused."""
        with Vertical():
            yield Static(self._question)
            with Horizontal(classes="buttons"):
                yield Button(self._confirm_label, variant="error", id="yes")
                yield Button(tr("Нет"), variant="primary", id="no")

    def on_mount(self) -> None:
        """Focus «Нет», so Enter never destroys by accident."""
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        """Close without confirming."""
        self.dismiss(False)


class FormDialog(ModalScreen[dict[str, str] | None]):
    """Labelled inputs; Enter in the last one or «Сохранить» returns field → text."""

    DEFAULT_CSS = _CSS.format(name="FormDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Отмена")]

    def __init__(self, title: str, fields: Sequence[tuple[str, str, str]]) -> None:
        """``fields``: (key, label, initial text)."""
        super().__init__()
        translate_bindings(self)
        self._title = title
        self._fields = list(fields)

    def compose(self) -> ComposeResult:
        """Title, one input per field, buttons."""
        with Vertical():
            yield Label(f"[b]{self._title}[/]")
            for key, label, value in self._fields:
                yield Label(label)
                yield Input(value, id=f"field-{key}", compact=True)
            with Horizontal(classes="buttons"):
                yield Button(tr("Сохранить"), variant="primary", id="save")
                yield Button(tr("Отмена"), id="cancel")

    def values(self) -> dict[str, str]:
        """The current text of every field."""
        return {key: self.query_one(f"#field-{key}", Input).value for key, _, _ in self._fields}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.dismiss(self.values())
        else:
            self.focus_next()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.values() if event.button.id == "save" else None)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
