"""Conversations: by day, a transcript with emotions and safety marked, search, export, wipe."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static, Tree

from kiosk.admin import data
from kiosk.admin.base import Pane
from kiosk.admin.dialogs import ConfirmDialog
from kiosk.admin.i18n import tr
from kiosk.store.records import Conversation, Turn

__all__ = ["EMOTION_MARKS", "ConversationsPane", "format_turn"]

_LOGGER = logging.getLogger(__name__)

EMOTION_MARKS = {
    "happy": "😊",
    "sad": "😢",
    "surprised": "😮",
    "thinking": "🤔",
    "excited": "🤩",
    "calm": "😌",
    "concern": "😟",
}
"""An emoji for each of Аня's emotions but neutral, shown before its name."""


def format_turn(turn: Turn, with_date: bool = False) -> str:
    """One turn as Rich markup: time, who, text; emotion and safety marked."""
    moment = data.local(turn.created_at)
    when = f"{moment:%d.%m %H:%M}" if with_date else f"{moment:%H:%M:%S}"
    who = tr(data.ROLE_NAMES.get(turn.role, turn.role))
    colour = {"child": "$accent", "avatar": "$success", "parent": "$warning"}.get(turn.role, "")
    mark = ""
    if turn.role == "avatar" and turn.emotion != "neutral":
        name = tr(data.EMOTION_NAMES.get(turn.emotion, turn.emotion))
        mark = f" {EMOTION_MARKS.get(turn.emotion, '')}[dim]{escape(name)}[/]"
    line = f"[dim]{when}[/] [b {colour}]{who}[/]{mark}: {escape(turn.text)}"
    category = data.safety_category(turn.safety)
    if category != "ok":
        line = f"[on $error 40%]{line} [b]⚠ {escape(data.category_name(category))}[/][/]"
    return line


class ConversationsPane(Pane):
    """A day → conversation tree on the left, the transcript or search results on the right."""

    DEFAULT_CSS = """
    ConversationsPane #conv-search { margin-bottom: 1; }
    ConversationsPane Tree { width: 26; }
    ConversationsPane #transcript-box { width: 1fr; border-left: solid $primary; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("/", "search", "Поиск"),
        Binding("m", "export('md')", "В Markdown"),
        Binding("j", "export('json')", "В JSON"),
        Binding("w", "wipe", "Стереть всё"),
    ]

    def compose(self) -> ComposeResult:
        """Search box, day tree and transcript."""
        yield Input(placeholder=tr("Поиск по словам (Enter), Esc — назад"), id="conv-search",
                    compact=True)  # fmt: skip
        with Horizontal():
            yield Tree(tr("Дни"), id="days")
            with VerticalScroll(id="transcript-box"):
                yield Static(tr("Выберите разговор слева"), id="transcript")

    def on_mount(self) -> None:
        """Fill the tree."""
        self.reload()

    def focus_first(self) -> None:
        """Focus the day tree."""
        self.query_one(Tree).focus()

    def reload(self) -> None:
        """Re-read the conversations, grouped by day."""
        tree: Tree[Conversation] = self.query_one("#days", Tree)
        tree.clear()
        tree.show_root = False
        days = data.conversation_days(self.admin.store)
        for index, (day, conversations) in enumerate(days):
            node = tree.root.add(f"{day:%d.%m.%Y} ({len(conversations)})", expand=index == 0)
            for conversation in conversations:
                start = data.local(conversation.started_at)
                node.add_leaf(
                    f"{start:%H:%M} {conversation.persona} · {conversation.turn_count}",
                    data=conversation,
                )
        if not days:
            self.query_one("#transcript", Static).update(tr("Разговоров пока нет."))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Conversation]) -> None:
        if event.node.data is not None:
            self.show_conversation(event.node.data)

    def show_conversation(self, conversation: Conversation) -> None:
        """Show one transcript."""
        start = data.local(conversation.started_at)
        lines = [f"[b]{start:%d.%m.%Y %H:%M}[/] · {escape(conversation.persona)} · "
                 f"{escape(conversation.source)}", ""]  # fmt: skip
        lines += [format_turn(t) for t in self.admin.store.turns(conversation.id)]
        self.query_one("#transcript", Static).update("\n".join(lines))
        self.query_one("#transcript-box", VerticalScroll).scroll_home(animate=False)

    @on(Input.Submitted, "#conv-search")
    def _search(self, event: Input.Submitted) -> None:
        self.search(event.value)

    def search(self, query: str) -> list[Turn]:
        """Show the turns matching ``query`` (FTS5); returns them."""
        turns = self.admin.store.search_turns(query) if query.strip() else []
        header = "[b]" + tr("Найдено: {n}", n=len(turns)) + "[/] " + tr("по «{q}»", q=escape(query))
        lines = [header, ""] + [format_turn(t, with_date=True) for t in turns]
        self.query_one("#transcript", Static).update("\n".join(lines))
        return turns

    def on_key(self, event: Any) -> None:
        """Esc in the search box goes back to the tree."""
        if event.key == "escape" and self.query_one("#conv-search", Input).has_focus:
            self.query_one(Tree).focus()
            event.stop()

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#conv-search", Input).focus()

    @work(exclusive=True, group="export")
    async def action_export(self, kind: str) -> None:
        """Write everything to Markdown or JSON in the output folder."""
        folder = self.admin.paths.output_dir
        write = data.export_json if kind == "json" else data.export_markdown
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = await self.admin.run_blocking(write, self.admin.store, folder)
        except Exception as exc:  # shown, not raised: the parent can retry
            self.admin.report(exc, tr("Выгрузка не удалась"))
            return
        self.notify(tr("Сохранено: {path}", path=path), title=tr("Выгрузка"), markup=False)

    def action_wipe(self) -> None:
        """Ask, then delete every conversation, turn and fact."""
        question = (
            "[b]"
            + tr("Стереть всё о ребёнке?")
            + "[/]\n\n"
            + tr(
                "Удалятся все разговоры, реплики и всё, что Аня помнит. Настройки останутся. "
                "Отменить это нельзя — сначала можно выгрузить (m или j)."
            )
        )
        self.app.push_screen(ConfirmDialog(question, tr("Стереть")), self._wipe_confirmed)

    def _wipe_confirmed(self, confirmed: bool | None) -> None:
        if not confirmed:
            self.notify(tr("Ничего не удалено"))
            return
        try:
            counts = self.admin.store.wipe_child_data()
        except Exception as exc:
            self.admin.report(exc, tr("Не удалось стереть"))
            return
        self.notify(
            tr(
                "Стёрто: разговоров {c}, реплик {t}, фактов {f}",
                c=counts["conversations"], t=counts["turns"], f=counts["facts"],
            ),
            title=tr("Данные ребёнка удалены"),
        )  # fmt: skip
        self.reload()
        self.query_one("#transcript", Static).update(tr("Разговоров пока нет."))
