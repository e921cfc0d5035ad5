"""Chat: the parent types as the child and sees Аня's answer (through the daemon or directly)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, RichLog

from kiosk.admin.base import Pane
from kiosk.admin.i18n import tr
from kiosk.admin.live import DaemonError, DaemonUnavailable, request
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.daemon.assemble import Core
    from kiosk.daemon.pipeline import TurnRunner

__all__ = ["ChatPane"]

_LOGGER = logging.getLogger(__name__)


class ChatPane(Pane):
    """Enter sends the text as the child; ctrl+p makes the daemon say it aloud."""

    DEFAULT_CSS = """
    ChatPane RichLog { height: 1fr; }
    ChatPane Input { dock: bottom; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+p", "speak", "Сказать вслух"),
        Binding("ctrl+l", "clear", "Очистить"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._core: Core | None = None
        self._runner: TurnRunner | None = None

    def compose(self) -> ComposeResult:
        """The conversation log and the input line."""
        yield RichLog(id="chat-log", wrap=True, markup=True, min_width=20)
        yield Input(placeholder=tr("Напишите как ребёнок и нажмите Enter"), id="chat-input")

    def on_mount(self) -> None:
        """Explain the tab; close the local brain only after the app's jobs ended."""
        self.admin.at_exit(self.close_core)
        self.query_one(RichLog).write(
            "[dim]"
            + tr(
                "Пишите как ребёнок — Аня ответит. Если демон работает, ответ идёт через "
                "него (и звучит в комнате); иначе — напрямую через тот же мозг, без звука."
            )
            + "[/]"
        )

    def focus_first(self) -> None:
        """Focus the input."""
        self.query_one("#chat-input", Input).focus()

    @on(Input.Submitted, "#chat-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        event.input.value = ""
        self.query_one(RichLog).write(f"[b cyan]{tr('Ребёнок')}:[/] {escape(text)}")
        self.send(text)

    @work(exclusive=True, group="chat")
    async def send(self, text: str) -> None:
        """Get Аня's answer to ``text``: the daemon's ``say_as_child``, else the brain here."""
        log = self.query_one(RichLog)
        try:
            try:
                result = await request(
                    self.admin.socket_path, "say_as_child", text=text, wait_s=60.0
                )
                via = tr("демон")
            except DaemonUnavailable:
                result = await self._local_turn(text)
                via = tr("напрямую")
        except KioskError as exc:
            self.admin.report(exc, tr("Аня не ответила"))
            return
        timings = result.get("timings_ms") or {}
        total = timings.get("reply_done") or timings.get("done")
        meta = f"{result.get('emotion', '')} · {result.get('engine', '')} · {via}"
        if total is not None:
            meta += " · " + tr("{v:.0f} мс", v=float(total))
        name = self.admin.settings.general.persona
        if self._core is not None:
            name = self._core.persona.name
        log.write(f"[b green]{escape(name)}:[/] {escape(str(result.get('reply', '')))}")
        log.write(f"[dim]  {escape(meta)}[/]")

    async def _local_turn(self, text: str) -> dict[str, Any]:
        from kiosk.daemon.assemble import open_core
        from kiosk.daemon.pipeline import TurnRunner
        from kiosk.events import UserText

        if self._core is None or self._core.persona.id != self.admin.settings.general.persona:
            self.close_core()
            self._core = await self.admin.run_blocking(
                open_core, self.admin.settings, self.admin.paths
            )
            self._runner = TurnRunner(
                self._core.brain,
                self._core.store,
                persona_id=self._core.persona.id,
                source="admin",
                child_name=self.admin.settings.general.child_name,
                history_turns=self.admin.settings.brain.history_turns,
            )
        assert self._runner is not None
        # The whole turn runs on a thread of its own loop: the app waits for it on exit, so
        # the turn is stored (and its database closed) after it ends, never under it.
        turn = await self.admin.run_blocking(
            asyncio.run, self._runner.run(UserText(text=text, source="admin"))
        )
        return {
            "reply": turn.reply,
            "emotion": turn.emotion,
            "engine": turn.engine,
            "timings_ms": turn.timings,
        }

    @work(group="daemon-command")
    async def action_speak(self) -> None:
        """Have the kiosk say the typed text aloud (needs the daemon)."""
        box = self.query_one("#chat-input", Input)
        text = box.value.strip()
        if not text:
            self.notify(tr("Напишите, что сказать, и нажмите ctrl+p"), severity="warning")
            return
        try:
            await request(self.admin.socket_path, "speak", text=text, wait_s=30.0)
        except DaemonUnavailable:
            self.notify(tr("Сказать вслух может только запущенный демон"), severity="warning")
            return
        except DaemonError as exc:
            self.admin.report(exc)
            return
        box.value = ""
        self.query_one(RichLog).write(f"[b yellow]{tr('Вслух')}:[/] {escape(text)}")

    def action_clear(self) -> None:
        """Clear the log."""
        self.query_one(RichLog).clear()

    def close_core(self) -> None:
        """End the local conversation and close its database handle."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None
        if self._core is not None:
            self._core.close()
            self._core = None
