from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, RichLog

from kiosk.admin.app import AdminApp
from kiosk.paths import Paths

from .daemon_peer import DaemonPeer
from .helpers import wait_group


def _log_text(app: AdminApp) -> str:
    return "\n".join(line.text for line in app.query_one("#chat-log", RichLog).lines)


async def test_chat_without_daemon_answers_through_the_brain(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f6")
        await pilot.pause()
        box = admin_app.query_one("#chat-input", Input)
        assert box.has_focus
        box.value = "Привет! Как дела?"
        await pilot.press("enter")
        await wait_group(admin_app, "chat")
        await pilot.pause()
        assert "напрямую" in _log_text(admin_app)
        sources = {c.source for c in admin_app.store.conversations()}
        assert "admin" in sources  # the turn was stored like any other


async def test_chat_goes_through_the_daemon_when_it_runs(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    peer = await DaemonPeer(paths.socket_path).start()
    try:
        async with admin_app.run_test() as pilot:
            await pilot.press("f6")
            admin_app.query_one("#chat-input", Input).value = "Расскажи сказку"
            await pilot.press("enter")
            await wait_group(admin_app, "chat")
            await pilot.pause()
            assert "Демон слышал: Расскажи сказку" in _log_text(admin_app)
            admin_app.query_one("#chat-input", Input).value = "Пора ужинать!"
            await pilot.press("ctrl+p")
            await wait_group(admin_app, "daemon-command")
        assert {"cmd": "speak", "text": "Пора ужинать!"}.items() <= peer.requests[-1].items()
    finally:
        await peer.stop()
