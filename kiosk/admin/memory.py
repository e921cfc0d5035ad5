"""Memory: the facts Аня keeps about the child, editable, with the next prompt beside them."""

from __future__ import annotations

import logging
from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from kiosk.admin import data
from kiosk.admin.base import Pane
from kiosk.admin.dialogs import ConfirmDialog, FormDialog
from kiosk.admin.i18n import tr
from kiosk.brain.persona import load_persona
from kiosk.errors import KioskError
from kiosk.store.records import Fact

__all__ = ["MemoryPane"]

_LOGGER = logging.getLogger(__name__)


class MemoryPane(Pane):
    """The facts table (pinned first) and a live preview of the next system prompt."""

    DEFAULT_CSS = """
    MemoryPane DataTable { height: 1fr; min-height: 5; }
    MemoryPane #prompt-box { height: 1fr; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Добавить"),
        Binding("e", "edit", "Изменить"),
        Binding("p", "pin", "Закрепить"),
        Binding("d", "forget", "Забыть"),
    ]

    def compose(self) -> ComposeResult:
        """Facts table and prompt preview."""
        yield Label(
            f"[b]{tr('Что Аня помнит')}[/] [dim]{tr('(◆ закреплено — всегда в промпте)')}[/]"
        )
        table: DataTable[str] = DataTable(id="facts", cursor_type="row", zebra_stripes=True)
        table.add_columns(*(tr(c) for c in ("№", "◆", "Вес", "Факт", "Из", "Дата")))
        yield table
        with VerticalScroll(id="prompt-box"):
            yield Static(id="prompt")

    def on_mount(self) -> None:
        """Fill the table and the preview."""
        self.reload()

    def focus_first(self) -> None:
        """Focus the table."""
        self.query_one("#facts", DataTable).focus()

    def reload(self, follow: int | None = None) -> None:
        """Re-read the facts and rebuild the prompt preview; the cursor follows fact ``follow``."""
        table: DataTable[str] = self.query_one("#facts", DataTable)
        row = table.cursor_row
        table.clear()
        for index, fact in enumerate(self.admin.store.facts()):
            if fact.id == follow:
                row = index
            table.add_row(
                str(fact.id),
                "◆" if fact.pinned else "",
                f"{fact.priority:.1f}",
                fact.text,
                f"№{fact.source_turn_id}" if fact.source_turn_id else tr("вручную"),
                f"{data.local(fact.created_at):%d.%m.%y}",
                key=str(fact.id),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.update_preview()

    def update_preview(self) -> str:
        """Show (and return) the system prompt the next turn would get."""
        settings = self.admin.settings
        try:
            persona = load_persona(settings.general.persona, self.admin.paths)
        except KioskError as exc:
            text = tr("Персонаж не загружается: {why}", why=exc.message)
        else:
            text = data.prompt_preview(self.admin.store, persona, settings.general.child_name)
        self.query_one("#prompt", Static).update(
            f"[b]{tr('Промпт следующей реплики')}[/]\n[dim]{escape(text)}[/]"
        )
        # The facts close the prompt: show that end, where the parent's edits land.
        self.query_one("#prompt-box", VerticalScroll).scroll_end(animate=False)
        return text

    def selected_fact(self) -> Fact | None:
        """The fact under the cursor."""
        table: DataTable[str] = self.query_one("#facts", DataTable)
        if not table.row_count:
            self.notify(tr("Фактов нет — a, чтобы добавить"), severity="warning")
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.admin.store.fact(int(key or 0))

    def action_add(self) -> None:
        """Add a fact by hand."""
        fields = [
            ("text", tr("Факт (например: у Маши аллергия на орехи)"), ""),
            ("priority", tr("Вес 0..1 (выше — важнее)"), "0.8"),
        ]
        self.app.push_screen(FormDialog(tr("Новый факт"), fields), self._added)

    def _added(self, values: dict[str, str] | None) -> None:
        if values is None:
            return
        try:
            priority = float(values["priority"].replace(",", "."))
            fact_id = self.admin.store.add_fact(values["text"], priority=priority)
        except ValueError as exc:
            self.notify(tr("Не добавлено: {why}", why=_explain(exc)), severity="error")
            return
        except KioskError as exc:
            self.admin.report(exc)
            return
        self.notify(tr("Запомнено (№{id})", id=fact_id))
        self.reload(follow=fact_id)

    def action_edit(self) -> None:
        """Change the selected fact's text or weight."""
        fact = self.selected_fact()
        if fact is None:
            return
        fields = [
            ("text", tr("Факт"), fact.text),
            ("priority", tr("Вес 0..1"), f"{fact.priority:.2f}"),
        ]
        self.app.push_screen(
            FormDialog(tr("Факт №{id}", id=fact.id), fields), lambda v: self._edited(fact.id, v)
        )

    def _edited(self, fact_id: int, values: dict[str, str] | None) -> None:
        if values is None:
            return
        try:
            priority = float(values["priority"].replace(",", "."))
            self.admin.store.update_fact(fact_id, text=values["text"], priority=priority)
        except ValueError as exc:
            self.notify(tr("Не сохранено: {why}", why=_explain(exc)), severity="error")
            return
        except KioskError as exc:
            self.admin.report(exc)
            return
        self.notify(tr("Факт №{id} изменён", id=fact_id))
        self.reload(follow=fact_id)

    def action_pin(self) -> None:
        """Pin or unpin the selected fact."""
        fact = self.selected_fact()
        if fact is None:
            return
        self.admin.store.pin_fact(fact.id, not fact.pinned)
        self.notify(tr("Закреплено") if not fact.pinned else tr("Откреплено"))
        self.reload(follow=fact.id)

    def action_forget(self) -> None:
        """Forget the selected fact, after asking."""
        fact = self.selected_fact()
        if fact is None:
            return

        def forget(confirmed: bool | None) -> None:
            if confirmed:
                self.admin.store.forget_fact(fact.id)
                self.notify(tr("Аня забыла: {fact}", fact=fact.text), markup=False)
                self.reload()

        question = tr("Забыть «{fact}»?", fact=escape(fact.text))
        self.app.push_screen(ConfirmDialog(question, tr("Забыть")), forget)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_edit()


def _explain(exc: ValueError) -> str:
    text = str(exc)
    if "priority" in text or "could not convert" in text:
        return tr("вес должен быть числом от 0 до 1")
    if "text" in text:
        return tr("факт не может быть пустым")
    return text
