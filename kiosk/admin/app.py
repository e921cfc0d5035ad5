"""The parent's console: one Textual app, a tab per job, usable at 80x24 with keys only."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, TabbedContent, TabPane

from kiosk.admin.i18n import tr, translate_bindings
from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.paths import Paths
from kiosk.store import Store

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = ["CLOSE_WAIT_S", "TABS", "AdminApp"]

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")

CLOSE_WAIT_S = 15.0
"""Seconds the app waits, on exit, for blocking jobs still running before closing the database."""

TABS: tuple[tuple[str, str], ...] = (
    ("dashboard", "Обзор"),
    ("conversations", "Разговоры"),
    ("memory", "Память"),
    ("persona", "Персонаж"),
    ("settings", "Настройки"),
    ("chat", "Чат"),
    ("service", "Служба"),
)
"""Tab id and Russian title, in order (F1..F7)."""


class AdminApp(App[None]):
    """``kiosk admin``: dashboard, conversations, memory, persona, settings, chat, service."""

    TITLE = "Киоск — пульт родителя"
    SUB_TITLE = ""
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layers: base overlay; }
    TabbedContent { height: 1fr; }
    TabPane { padding: 0 1; }
    .muted { color: $text-muted; }
    .stale { color: $warning; text-style: bold; }
    .error-line { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Выход", priority=True),
        Binding("f1", "show_tab('dashboard')", "Вкладки", key_display="F1-7", priority=True),
        *(
            Binding(f"f{i}", f"show_tab('{tab}')", title, show=False, priority=True)
            for i, (tab, title) in enumerate(TABS, start=1)
            if i > 1
        ),
    ]

    def __init__(self, settings: Settings, paths: Paths, *, reconnect_s: float = 2.0) -> None:
        super().__init__()
        self.settings = settings
        """The current settings (replaced when the parent saves a change)."""
        self.paths = paths
        """Resolved paths (database, personas, socket)."""
        self.reconnect_s = reconnect_s
        """Seconds between attempts to reach the daemon's socket."""
        self.daemon_up = False
        """Whether the daemon answered last time we asked."""
        self.store = Store.open(paths.database)
        """The database, shared by every tab (thread-safe)."""
        self._jobs: set[concurrent.futures.Future[Any]] = set()
        self._at_exit: list[Callable[[], None]] = []
        self.title = tr(self.TITLE)
        translate_bindings(self)

    @property
    def socket_path(self) -> Path:
        """The daemon's control socket."""
        return self.paths.socket_path

    def compose(self) -> ComposeResult:
        """Tabs and the footer with the key bindings."""
        from kiosk.admin.chat import ChatPane
        from kiosk.admin.conversations import ConversationsPane
        from kiosk.admin.dashboard import DashboardPane
        from kiosk.admin.memory import MemoryPane
        from kiosk.admin.persona_tab import PersonaPane
        from kiosk.admin.service import ServicePane
        from kiosk.admin.settings_tab import SettingsPane

        panes: dict[str, type[Widget]] = {
            "dashboard": DashboardPane,
            "conversations": ConversationsPane,
            "memory": MemoryPane,
            "persona": PersonaPane,
            "settings": SettingsPane,
            "chat": ChatPane,
            "service": ServicePane,
        }
        with TabbedContent(initial="dashboard"):
            for tab, title in TABS:
                with TabPane(tr(title), id=tab):
                    yield panes[tab](id=f"{tab}-pane")
        yield Footer()

    def on_mount(self) -> None:
        """Start on the dashboard with the keyboard focus in it."""
        self.query_one("#dashboard-pane").focus()

    def action_show_tab(self, tab: str) -> None:
        """Switch to ``tab`` (F1..F7)."""
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = self.query_one(f"#{event.pane.id}-pane")
        reload = getattr(pane, "reload", None)
        if reload is not None:
            reload()
        pane.focus_first()  # type: ignore[attr-defined]

    def report(self, exc: BaseException, title: str = "") -> None:
        """Show an error as a notification: the message and what to do, never a traceback."""
        title = title or tr("Ошибка")
        if isinstance(exc, KioskError):
            text = exc.message + (f"\n→ {exc.hint}" if exc.hint else "")
        else:
            _LOGGER.exception("admin: unexpected error", exc_info=exc)
            text = f"{exc.__class__.__name__}: {exc}"
        self.notify(text, title=title, severity="error", timeout=8, markup=False)

    def settings_changed(self, settings: Settings) -> None:
        """Adopt new settings and tell the tabs that show them."""
        self.settings = settings
        for pane_id in ("#dashboard-pane", "#memory-pane", "#persona-pane"):
            pane: Any = self.query_one(pane_id)
            pane.reload()

    async def run_blocking(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run ``function(*args)`` on a thread the app waits for before it closes the database.

        Textual abandons a cancelled thread worker (and ``asyncio.to_thread``) while its
        thread goes on; a job started here is awaited on exit instead, so it never finds
        the database closed under it.
        """
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # handed to the awaiting coroutine
                future.set_exception(exc)

        self._jobs.add(future)
        future.add_done_callback(self._jobs.discard)
        threading.Thread(target=run, name="kiosk-admin-job", daemon=True).start()
        return await asyncio.wrap_future(future)

    def at_exit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on exit, after the blocking jobs ended and before the DB closes."""
        self._at_exit.append(callback)

    async def on_unmount(self) -> None:
        """Cancel the workers, let blocking jobs finish, then close what the tabs opened."""
        self.workers.cancel_all()
        jobs = list(self._jobs)
        if jobs:
            _LOGGER.info("admin: waiting for %d job(s) before closing the database", len(jobs))
            _, pending = await asyncio.to_thread(
                concurrent.futures.wait, jobs, timeout=CLOSE_WAIT_S
            )
            if pending:
                _LOGGER.warning("admin: %d job(s) still running at exit", len(pending))
        for callback in self._at_exit:
            try:
                callback()
            except Exception:
                _LOGGER.exception("admin: cleanup failed")
        self.store.close()
