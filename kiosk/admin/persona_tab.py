"""The persona editor: fields with validation, switch the active character, new from template."""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from kiosk.admin.base import Pane
from kiosk.admin.config_edit import apply_settings
from kiosk.admin.dialogs import FormDialog
from kiosk.admin.i18n import tr
from kiosk.admin.live import DaemonError, DaemonUnavailable, request
from kiosk.admin.persona_edit import PERSONA_FIELDS, form_values, persona_from_form, save_persona
from kiosk.brain.persona import Persona, list_personas
from kiosk.errors import KioskError

__all__ = ["PersonaPane"]

_LOGGER = logging.getLogger(__name__)


class PersonaPane(Pane):
    """Pick a persona, edit its fields, save it to the parent's folder, make it active."""

    DEFAULT_CSS = """
    PersonaPane #persona-top { height: 1; margin-bottom: 1; }
    PersonaPane #persona-select { width: 32; }
    PersonaPane #persona-where { padding: 0 1; }
    PersonaPane .field { height: 1; }
    PersonaPane .field Label { width: 16; }
    PersonaPane .field Input, PersonaPane .field Select { width: 1fr; }
    PersonaPane #persona-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Сохранить"),
        Binding("ctrl+o", "activate", "Сделать активным"),
        Binding("ctrl+n", "new", "Новый"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.personas: dict[str, Persona] = {}
        """Known personas by id."""
        self.current: str = ""
        """Id of the persona in the form."""

    def compose(self) -> ComposeResult:
        """Persona picker, the form, the error line."""
        with Horizontal(id="persona-top"):
            yield Select[str](self._options(), allow_blank=False, id="persona-select", compact=True)
            yield Static(id="persona-where", classes="muted")
        yield Static(id="persona-error")
        with VerticalScroll(id="persona-form"):
            for field in PERSONA_FIELDS:
                with Horizontal(classes="field"):
                    yield Label(tr(field.label))
                    if field.kind == "choice":
                        options = [(c, c) for c in field.choices]
                        yield Select[str](options, allow_blank=False, id=f"pf-{field.name}",
                                          compact=True)  # fmt: skip
                    else:
                        yield Input(id=f"pf-{field.name}", compact=True)

    def _options(self) -> list[tuple[str, str]]:
        self.personas = {p.id: p for p in list_personas(self.admin.paths)}
        active = self.admin.settings.general.persona
        return [
            (f"{p.name} ({p.id}){' ★' if p.id == active else ''}", p.id)
            for p in self.personas.values()
        ]

    def on_mount(self) -> None:
        """Load the personas."""
        self.reload()

    def focus_first(self) -> None:
        """Focus the picker."""
        self.query_one("#persona-select", Select).focus()

    def reload(self) -> None:
        """Re-read the persona files; show the active one unless another is being edited."""
        options = self._options()
        active = self.admin.settings.general.persona
        select: Select[str] = self.query_one("#persona-select", Select)
        wanted = self.current or active
        with self.prevent(Select.Changed):
            select.set_options(options)
            if wanted in self.personas:
                select.value = wanted
        if wanted in self.personas:
            self.show(wanted)

    def show(self, persona_id: str) -> None:
        """Put a persona into the form."""
        self.current = persona_id
        persona = self.personas[persona_id]
        for name, text in form_values(persona).items():
            widget = self.query_one(f"#pf-{name}")
            if isinstance(widget, Select):
                widget.value = text
            elif isinstance(widget, Input):
                widget.value = text
                widget.cursor_position = 0
        own = (self.admin.paths.personas_dir / f"{persona_id}.toml").is_file()
        active = persona_id == self.admin.settings.general.persona
        self.query_one("#persona-where", Static).update(
            (tr("★ активный · ") if active else "") + (tr("свой файл") if own else tr("встроенный"))
        )
        self.query_one("#persona-error", Static).update("")

    @on(Select.Changed, "#persona-select")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.personas:
            self.show(event.value)

    def form(self) -> dict[str, str]:
        """The form's current text, field → text."""
        values = {}
        for field in PERSONA_FIELDS:
            widget = self.query_one(f"#pf-{field.name}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            values[field.name] = value if isinstance(value, str) else ""
        return values

    def action_save(self) -> Persona | None:
        """Validate the form and write the persona; refuse with a message naming the field."""
        error = self.query_one("#persona-error", Static)
        try:
            persona = persona_from_form(self.current, self.form())
            path = save_persona(persona, self.admin.paths)
        except KioskError as exc:
            error.update(escape(exc.message))
            self.notify(exc.message, title=tr("Не сохранено"), severity="error", markup=False)
            return None
        error.update("")
        self.notify(tr("Сохранено: {what}", what=path), title=persona.name, markup=False)
        self.reload()
        if persona.id == self.admin.settings.general.persona:
            self.tell_daemon("reload")
        return persona

    def action_activate(self) -> None:
        """Make the persona in the form the active one (config, and the daemon if it runs)."""
        if not self.current:
            return
        try:
            settings = apply_settings(
                self.admin.settings, {"general.persona": self.current}, self.admin.store
            )
        except KioskError as exc:
            self.admin.report(exc, tr("Не переключено"))
            return
        self.admin.settings_changed(settings)
        self.notify(tr("Активный персонаж: {name}", name=self.personas[self.current].name))
        self.tell_daemon("persona", name=self.current)

    @work(group="daemon-command")
    async def tell_daemon(self, cmd: str, **args: Any) -> None:
        """Send a command to the daemon when it runs (the change is saved either way)."""
        try:
            await request(self.admin.socket_path, cmd, **args)
        except DaemonUnavailable:
            self.notify(tr("Демон не запущен — изменения применятся при его запуске"))
        except DaemonError as exc:
            self.admin.report(exc)
        else:
            self.notify(tr("Демон применил изменения"))

    def action_new(self) -> None:
        """Create a persona from the one in the form."""
        fields = [
            ("id", tr("Идентификатор (латиница, цифры, - и _)"), ""),
            ("name", tr("Имя"), ""),
        ]
        self.app.push_screen(FormDialog(tr("Новый персонаж из текущего"), fields), self._created)

    def _created(self, values: dict[str, str] | None) -> None:
        if values is None:
            return
        new_id = values["id"].strip().lower()
        if not re.fullmatch(r"[a-z0-9_-]{1,64}", new_id):
            self.notify(tr("Идентификатор: только a-z, 0-9, - и _"), severity="error")
            return
        if new_id in self.personas:
            self.notify(tr("Персонаж {id} уже есть", id=new_id), severity="error")
            return
        template = self.form()
        template["name"] = values["name"].strip() or template["name"]
        try:
            persona = persona_from_form(new_id, template)
            save_persona(persona, self.admin.paths)
        except KioskError as exc:
            self.admin.report(exc, tr("Не создан"))
            return
        self.current = new_id
        self.reload()
        self.notify(tr("Создан: {name} ({id}); ctrl+o — сделать активным", name=persona.name,
                       id=new_id))  # fmt: skip
